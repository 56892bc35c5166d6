"""Pieces shared by the webhook adapters: no API key, a provider signature instead."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, status
from rest_framework.views import APIView

from clarioscope.errors import ApplicationError
from intake.models import Practice
from intake.serializers import ErrorSerializer, WebhookAckSerializer

QUEUED = OpenApiResponse(WebhookAckSerializer, description="Stored; classification queued.")


class WebhookView(APIView):
    """A provider calls this; the provider's signature, checked in the view, is the credential.

    DRF views are CSRF-exempt unless session authentication is on, which is right here: the
    caller is a server holding a shared secret, not a browser holding a cookie.
    """

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]


def secret_of(practice: Practice, field: str, provider: str) -> str:
    secret = str(getattr(practice, field) or "")
    if not secret:
        raise ApplicationError(
            f"{provider} is not configured for this practice (no signing secret).",
            status_code=status.HTTP_403_FORBIDDEN,
            code="not_configured",
        )
    return secret


def bad_signature(detail: str = "The request signature is missing or invalid.") -> ApplicationError:
    return ApplicationError(detail, status_code=status.HTTP_403_FORBIDDEN, code="bad_signature")


def hmac_sha256_hex(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def webhook_errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Schema entries for the error answers every webhook can give."""
    descriptions = {
        400: "The payload is not what this provider sends.",
        403: "Bad, stale or replayed signature, or the channel is not configured.",
        404: "No practice with this slug.",
        413: "The body is over the size limit.",
        415: "Wrong content type.",
    }
    return {
        code: OpenApiResponse(ErrorSerializer, description=descriptions[code])
        for code in (codes or tuple(descriptions))
    }
