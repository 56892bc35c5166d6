from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from clarioscope import health

# A database or broker outage answers 503 with Retry-After everywhere, not 500; API and webhook
# paths get JSON errors even when no route matches.
handler404 = "clarioscope.errors.not_found"
handler500 = "clarioscope.errors.server_error"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("", include("intake.urls")),
    path("mlops/", include("mlops.urls")),
    path("", include("review.urls")),
]
