from django.urls import URLPattern, URLResolver, path

from intake import api
from intake.channels.chat.views import ChatWebhook
from intake.channels.email.views import MailgunWebhook, RawEmailUpload
from intake.channels.twilio.views import TwilioSmsWebhook, TwilioVoicemailWebhook
from intake.channels.web_form.views import contact_form, contact_form_thanks

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/messages/", api.MessagesApi.as_view(), name="api-messages"),
    path("api/v1/messages/batch/", api.MessageBatchApi.as_view(), name="api-messages-batch"),
    path("api/v1/messages/email/", RawEmailUpload.as_view(), name="api-messages-email"),
    path("api/v1/messages/<int:message_id>/", api.MessageDetailApi.as_view(), name="api-message"),
    path("hooks/twilio/<slug:slug>/sms/", TwilioSmsWebhook.as_view(), name="hook-twilio-sms"),
    path(
        "hooks/twilio/<slug:slug>/voicemail/",
        TwilioVoicemailWebhook.as_view(),
        name="hook-twilio-voicemail",
    ),
    path("hooks/mailgun/<slug:slug>/", MailgunWebhook.as_view(), name="hook-mailgun"),
    path("hooks/chat/<slug:slug>/", ChatWebhook.as_view(), name="hook-chat"),
    path("f/<slug:slug>/", contact_form, name="contact-form"),
    path("f/<slug:slug>/thanks/", contact_form_thanks, name="contact-form-thanks"),
]
