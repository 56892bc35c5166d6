"""Mailgun-style signed inbound-email webhook (a route's `forward()` action).

The signature is HMAC-SHA256 of timestamp + token with the practice's webhook signing key. A
timestamp outside the tolerance is refused, and so is a token seen before: the token is kept in
the shared cache for longer than the tolerance, so a captured request cannot be replayed.
"""

from __future__ import annotations

import hmac
import json
import time
from typing import Any

from django.core.cache import cache
from rest_framework import serializers, status

from clarioscope.errors import ApplicationError
from intake.channels.common import bad_signature, hmac_sha256_hex
from intake.models import Practice
from intake.serializers import FreeTextField

TOLERANCE_SECONDS = 10 * 60
TOKEN_CACHE_SECONDS = 2 * TOLERANCE_SECONDS + 60


class MailgunInboundSerializer(serializers.Serializer[Any]):
    """The route-forward fields intake reads; attachments and the rest stay in the raw payload."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # Mailgun's field names have hyphens (and one is the keyword `from`), so they cannot be
        # class attributes; DRF takes the field names from this mapping.
        def optional_text(**kwargs: Any) -> FreeTextField:
            return FreeTextField(required=False, allow_blank=True, default="", **kwargs)

        return {
            "timestamp": serializers.CharField(max_length=20),
            "token": serializers.CharField(max_length=100),
            "signature": serializers.CharField(max_length=128),
            "recipient": optional_text(max_length=320),
            "sender": optional_text(max_length=320),
            "from": optional_text(max_length=320),
            "subject": optional_text(),
            "body-plain": optional_text(),
            "body-html": optional_text(),
            "message-headers": optional_text(help_text="JSON list of [name, value] pairs."),
            "Message-Id": optional_text(max_length=998),
        }


def verify_signature(*, practice: Practice, signing_key: str, fields: Any) -> None:
    """Raise 403 unless the request is signed, fresh and seen for the first time."""
    timestamp = str(fields.get("timestamp") or "")
    token = str(fields.get("token") or "")
    signature = str(fields.get("signature") or "")
    if not (timestamp and token and signature):
        raise bad_signature("timestamp, token and signature are required.")
    expected = hmac_sha256_hex(signing_key, f"{timestamp}{token}".encode())
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise bad_signature()
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        raise bad_signature("timestamp is not a Unix time.") from None
    if age > TOLERANCE_SECONDS:
        raise ApplicationError(
            "The signature timestamp is too old (or in the future).",
            status_code=status.HTTP_403_FORBIDDEN,
            code="stale_signature",
        )
    if not cache.add(replay_key(practice, token), 1, timeout=TOKEN_CACHE_SECONDS):
        raise ApplicationError(
            "This signed request was already received (token replayed).",
            status_code=status.HTTP_403_FORBIDDEN,
            code="replayed",
        )


def replay_key(practice: Practice, token: str) -> str:
    return f"intake:mailgun-token:{practice.pk}:{token}"


def message_id_of(fields: dict[str, Any]) -> str:
    """The Message-Id: a field of its own in some payloads, else in message-headers."""
    direct = str(fields.get("Message-Id") or "")
    if direct:
        return direct.strip("<> ")
    try:
        headers = json.loads(fields.get("message-headers") or "[]")
    except ValueError:
        return ""
    if isinstance(headers, list):
        for pair in headers:
            if isinstance(pair, list) and len(pair) == 2 and str(pair[0]).lower() == "message-id":
                return str(pair[1]).strip("<> ")
    return ""
