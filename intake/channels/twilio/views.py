"""Twilio webhooks: answer with empty TwiML at once, classify in a Celery task."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpResponse, QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser
from rest_framework.request import Request

from clarioscope.errors import ApplicationError
from intake.channels.common import WebhookView, bad_signature, secret_of, webhook_errors
from intake.channels.twilio.payloads import TwilioSmsSerializer, TwilioTranscriptionSerializer
from intake.channels.twilio.signature import signature_algorithm, signature_valid
from intake.models import Practice
from intake.selectors import practice_for_hook
from intake.services import message_receive

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
TWIML_RESPONSE: dict[Any, Any] = {
    (200, "text/xml"): OpenApiResponse(
        OpenApiTypes.STR, description="Empty TwiML: stored; classification is queued."
    ),
    **webhook_errors(),
}


def _verified_params(request: Request, token: str) -> dict[str, list[str]]:
    """The POST parameters, once X-Twilio-Signature proves Twilio sent them."""
    form = cast(QueryDict, request.data)
    params = {name: form.getlist(name) for name in form}
    valid = signature_valid(
        token=token,
        url=request.build_absolute_uri(),
        params=params,
        signature=request.headers.get("X-Twilio-Signature", ""),
        algorithm=signature_algorithm(
            request.headers.get("X-Twilio-Webhooks-Signature-Settings", "")
        ),
    )
    if not valid:
        raise bad_signature()
    return params


def _raw(request: Request) -> bytes:
    # Read before DRF parses the form, which would consume the stream.
    return bytes(request.body)


def _verified_payload(
    request: Request, slug: str, serializer_class: type[serializers.Serializer[Any]]
) -> tuple[Practice, bytes, dict[str, Any]]:
    """The practice, the raw body and the validated fields of a request Twilio signed."""
    practice = practice_for_hook(slug=slug)
    token = secret_of(practice, "twilio_auth_token", "Twilio")
    raw = _raw(request)
    _verified_params(request, token)
    payload = serializer_class(data=request.data)
    payload.is_valid(raise_exception=True)
    return practice, raw, dict(payload.validated_data)


class TwilioSmsWebhook(WebhookView):
    parser_classes = [FormParser]

    @extend_schema(
        operation_id="hooks_twilio_sms",
        summary="Twilio inbound SMS webhook",
        description="Point the phone number's 'A message comes in' webhook (HTTP POST) here. "
        "Signed with the practice's Twilio auth token; a repeated MessageSid is stored once.",
        request={"application/x-www-form-urlencoded": TwilioSmsSerializer},
        responses=TWIML_RESPONSE,
        auth=[],
        tags=["webhooks"],
    )
    def post(self, request: Request, slug: str) -> HttpResponse:
        practice, raw, data = _verified_payload(request, slug, TwilioSmsSerializer)
        message_receive(
            practice=practice,
            channel="sms",
            text=data["Body"],
            external_id=data["MessageSid"],
            sender=data["From"],
            raw_payload=raw,
            raw_content_type=request.content_type,
        )
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")


class TwilioVoicemailWebhook(WebhookView):
    parser_classes = [FormParser]

    @extend_schema(
        operation_id="hooks_twilio_voicemail",
        summary="Twilio voicemail transcription callback",
        description="Use as the transcribeCallback of <Record>. A repeated RecordingSid is "
        "stored once; a failed transcription is stored without text and goes to review.",
        request={"application/x-www-form-urlencoded": TwilioTranscriptionSerializer},
        responses=TWIML_RESPONSE,
        auth=[],
        tags=["webhooks"],
    )
    def post(self, request: Request, slug: str) -> HttpResponse:
        practice, raw, data = _verified_payload(request, slug, TwilioTranscriptionSerializer)
        if data["TranscriptionStatus"] not in {"completed", "failed"}:
            raise ApplicationError(
                f"unexpected TranscriptionStatus {data['TranscriptionStatus']!r}"
            )
        text = data["TranscriptionText"] if data["TranscriptionStatus"] == "completed" else ""
        message_receive(
            practice=practice,
            channel="voicemail",
            text=text,
            external_id=data["RecordingSid"],
            sender=data["From"] or data["Caller"],
            subject="Voicemail transcription",
            raw_payload=raw,
            raw_content_type=request.content_type,
        )
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")
