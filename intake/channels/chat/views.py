"""Chat-widget webhook: one JSON event per visitor message, HMAC-signed with the chat secret.

The widget (or its vendor's server) sends `X-ClarioScope-Signature: sha256=<hex>`, the
HMAC-SHA256 of the exact request body with the practice's chat secret, as GitHub and most
chat vendors do. Replays are harmless: a repeated message_id is stored once.
"""

from __future__ import annotations

import hmac
from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from intake.channels.common import (
    QUEUED,
    WebhookView,
    bad_signature,
    hmac_sha256_hex,
    secret_of,
    webhook_errors,
)
from intake.selectors import practice_for_hook
from intake.serializers import FreeTextField, WebhookAckSerializer
from intake.services import message_receive

SIGNATURE_HEADER = "X-ClarioScope-Signature"


class ChatSenderSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=["visitor", "agent", "bot"], default="visitor")
    id = serializers.CharField(max_length=200, required=False, allow_blank=True)
    name = FreeTextField(max_length=200, required=False, allow_blank=True, default="")
    email = FreeTextField(max_length=320, required=False, allow_blank=True, default="")
    phone = FreeTextField(max_length=64, required=False, allow_blank=True, default="")


class ChatEventSerializer(serializers.Serializer[Any]):
    event = serializers.CharField(max_length=64, default="message.created")
    conversation_id = serializers.CharField(max_length=200, required=False, allow_blank=True)
    message_id = serializers.CharField(max_length=200)
    text = FreeTextField(allow_blank=True)
    sender = ChatSenderSerializer(required=False)
    sent_at = serializers.DateTimeField(required=False)


def verify_chat_signature(*, secret: str, body: bytes, header: str) -> None:
    scheme, _, signature = header.partition("=")
    expected = hmac_sha256_hex(secret, body)
    if scheme != "sha256" or not hmac.compare_digest(expected.encode(), signature.encode()):
        raise bad_signature()


class ChatWebhook(WebhookView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="hooks_chat",
        summary="Chat widget webhook",
        description="Only `message.created` events from a visitor are stored; other events "
        "and agent or bot messages are acknowledged and ignored.",
        parameters=[
            OpenApiParameter(
                SIGNATURE_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="sha256=<hex HMAC-SHA256 of the body with the chat secret>",
            )
        ],
        request=ChatEventSerializer,
        responses={
            202: QUEUED,
            200: OpenApiResponse(
                WebhookAckSerializer, description="A repeat, or an event that is not stored."
            ),
            **webhook_errors(),
        },
        auth=[],
        tags=["webhooks"],
    )
    def post(self, request: Request, slug: str) -> Response:
        practice = practice_for_hook(slug=slug)
        secret = secret_of(practice, "chat_secret", "Chat")
        body = bytes(request.body)
        signature = request.headers.get(SIGNATURE_HEADER, "")
        verify_chat_signature(secret=secret, body=body, header=signature)
        payload = ChatEventSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        event: dict[str, Any] = payload.validated_data
        sender: dict[str, Any] = event.get("sender") or {}
        if event["event"] != "message.created" or sender.get("type", "visitor") != "visitor":
            return Response({"id": None, "status": "ignored", "created": False})
        result = message_receive(
            practice=practice,
            channel="chat",
            text=event["text"],
            external_id=event["message_id"],
            sender=sender.get("email") or sender.get("phone") or sender.get("name") or "",
            received_at=event.get("sent_at"),
            raw_payload=body,
            raw_content_type=request.content_type,
        )
        return Response(
            {"id": result.message.pk, "status": result.message.status, "created": result.created},
            status=status.HTTP_202_ACCEPTED if result.created else status.HTTP_200_OK,
        )
