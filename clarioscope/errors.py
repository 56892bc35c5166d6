"""One application error type, turned into a clear JSON 4xx by the DRF exception handler."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError
from rest_framework import status
from rest_framework.response import Response


class ApplicationError(Exception):
    def __init__(
        self,
        message: str,
        *,
        status_code: int = status.HTTP_400_BAD_REQUEST,
        code: str = "invalid",
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.extra = extra or {}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(
            {"error": exc.code, "detail": exc.message, **exc.extra}, status=exc.status_code
        )
    if isinstance(exc, OperationalError | InterfaceError) or type(exc) is DatabaseError:
        # The database is unreachable: tell the client to retry rather than answering 500.
        return Response(
            {"error": "unavailable", "detail": "The database is unavailable; retry shortly."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    # Imported here: rest_framework.views imports the auth classes, which import our services.
    from rest_framework.views import exception_handler

    response = exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "error" not in response.data:
        detail = response.data.get("detail", response.data)
        code = getattr(detail, "code", None) or "invalid"
        response.data = {"error": code, "detail": detail if "detail" in response.data else response.data}
    elif response is not None and isinstance(response.data, list):
        response.data = {"error": "invalid", "detail": response.data}
    return response
