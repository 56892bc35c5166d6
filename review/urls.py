from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path

from review import views

app_name = "review"

practice = "practices/<slug:slug>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("practices/", views.practice_choose, name="practice_choose"),
    path(practice, views.practice_home, name="practice_home"),
    # Reviewers (and practice admins)
    path(practice + "queue/", views.queue, name="queue"),
    path(practice + "review/", views.work, name="work"),
    path(practice + "review/next/", views.next_item, name="next"),
    path(practice + "review/undo/", views.undo, name="undo"),
    path(practice + "items/<int:item_id>/claim/", views.claim, name="claim"),
    path(practice + "items/<int:item_id>/skip/", views.skip, name="skip"),
    path(practice + "items/<int:item_id>/escalate/", views.escalate, name="escalate"),
    path(practice + "messages/<int:message_id>/", views.message_detail, name="message"),
    path(practice + "messages/<int:message_id>/raw/", views.raw, name="raw"),
    path(practice + "messages/<int:message_id>/decide/", views.decide, name="decide"),
    path(practice + "spot-check/", views.spot_check, name="spot_check"),
    # Practice admins
    path(practice + "dashboard/", views.dashboard, name="dashboard"),
    path(practice + "settings/", views.practice_settings, name="settings"),
    path(practice + "audit/", views.audit_log, name="audit"),
    # ML staff (and practice admins)
    path(practice + "exports/", views.exports_page, name="exports"),
    path(practice + "exports/<int:export_id>/", views.export_status, name="export_status"),
    path(
        practice + "exports/<int:export_id>/download/",
        views.export_download,
        name="export_download",
    ),
    path(
        practice + "exports/<int:export_id>/manifest/",
        views.export_manifest,
        name="export_manifest",
    ),
]
