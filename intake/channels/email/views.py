"""Inbound email endpoints: the signed provider webhook and the raw RFC 822 upload."""

from __future__ import annotations

from typing import Any, cast

from django.core.cache import cache
from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import BaseParser, FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clarioscope.errors import ApplicationError
from intake.api import IDEMPOTENCY_KEY_PARAMETER, SUBMIT_RESPONSES, submit_response
from intake.channels.common import QUEUED, WebhookView, secret_of, webhook_errors
from intake.channels.email.mailgun import (
    MailgunInboundSerializer,
    message_id_of,
    replay_key,
    verify_signature,
)
from intake.channels.email.parse import NotAnEmail, body_to_text, parse_rfc822
from intake.selectors import practice_for_hook
from intake.services import message_receive


class MailgunWebhook(WebhookView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="hooks_mailgun_inbound",
        summary="Inbound email webhook (Mailgun route forward)",
        description="Signed with HMAC-SHA256(signing key, timestamp + token); a timestamp older "
        "than 10 minutes or a token seen before is refused. A repeated Message-Id is stored once.",
        request={
            "multipart/form-data": MailgunInboundSerializer,
            "application/x-www-form-urlencoded": MailgunInboundSerializer,
        },
        responses={
            200: QUEUED,
            **webhook_errors(),
        },
        auth=[],
        tags=["webhooks"],
    )
    def post(self, request: Request, slug: str) -> Response:
        practice = practice_for_hook(slug=slug)
        signing_key = secret_of(practice, "mailgun_signing_key", "Mailgun")
        raw = bytes(request.body)  # before DRF consumes the stream
        verify_signature(practice=practice, signing_key=signing_key, fields=request.data)
        try:
            payload = MailgunInboundSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            data: dict[str, Any] = payload.validated_data
            result = message_receive(
                practice=practice,
                channel="email",
                text=body_to_text(plain=data["body-plain"], html=data["body-html"]),
                external_id=message_id_of(data),
                sender=data["from"] or data["sender"],
                subject=data["subject"],
                raw_payload=raw,
                raw_content_type=request.content_type,
            )
        except Exception:
            # Nothing was stored: let the provider's retry through instead of calling it a replay.
            form = cast(QueryDict, request.data)
            cache.delete(replay_key(practice, str(form.get("token"))))
            raise
        return Response(
            {"id": result.message.pk, "status": result.message.status, "created": result.created}
        )


class RFC822Parser(BaseParser):
    media_type = "message/rfc822"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return stream.read() if stream is not None else b""


class RawEmailUpload(APIView):
    parser_classes = [RFC822Parser]

    @extend_schema(
        operation_id="messages_email_upload",
        summary="Upload one raw email (RFC 822)",
        description="The body is the email exactly as received (`Content-Type: message/rfc822`). "
        "HTML-only mails become text; quoted replies and signatures are cut before "
        "classification; the raw email is stored. Classified synchronously like POST "
        "/api/v1/messages/. A repeated Message-ID or Idempotency-Key returns the stored "
        "message (200).",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request={"message/rfc822": OpenApiTypes.BINARY},
        responses=SUBMIT_RESPONSES,
        tags=["messages"],
    )
    def post(self, request: Request) -> Response:
        # Through the parser, so that another content type is refused with 415; an empty body
        # never reaches the parser and comes back as an empty dict.
        data = request.data
        raw = data if isinstance(data, bytes) else b""
        if not raw.strip():
            raise ApplicationError("The email is empty.", code="empty")
        try:
            parsed = parse_rfc822(raw)
        except NotAnEmail as exc:
            raise ApplicationError(str(exc), code="not_an_email") from exc
        return submit_response(
            request,
            channel="email",
            text=parsed.text,
            external_id=parsed.message_id,
            sender=parsed.sender,
            subject=parsed.subject,
            received_at=parsed.received_at,
            raw_payload=raw,
            raw_content_type="message/rfc822",
        )
