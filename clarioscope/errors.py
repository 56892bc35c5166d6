"""One application error type, turned into a clear JSON 4xx by the DRF exception handler."""

from __future__ import annotations

import sys
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found as django_page_not_found
from django.views.defaults import server_error as django_server_error
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
        response.data = {
            "error": code,
            "detail": detail if "detail" in response.data else response.data,
        }
    elif response is not None and isinstance(response.data, list):
        response.data = {"error": "invalid", "detail": response.data}
    return response


def _unavailable_exception_types() -> tuple[type[BaseException], ...]:
    """Errors that mean a backing service (database, broker, cache) is down, not a bug."""
    import kombu.exceptions
    import redis.exceptions

    return (
        OperationalError,
        InterfaceError,
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
        kombu.exceptions.OperationalError,
    )


def _is_machine_path(request: HttpRequest) -> bool:
    """API and webhook callers read JSON; people on pages read HTML."""
    return request.path.startswith(("/api/", "/hooks/"))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: the JSON error shape of the API for API and webhook paths (a URL that matches
    no route, a slug of no practice), Django's page for everything else."""
    if _is_machine_path(request):
        return JsonResponse({"error": "not_found", "detail": "Not found."}, status=404)
    return django_page_not_found(request, exception or Http404())


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: 503 + Retry-After when a backing service is down, else a plain 500.

    Django calls this inside its `except` block, so sys.exc_info() is the exception that escaped
    the view or a middleware (the session save, an enqueue after commit) - paths the DRF handler
    above never sees. A load balancer or client retries a 503; a 500 says the code is wrong.
    """
    exc = sys.exc_info()[1]
    is_api = _is_machine_path(request)
    if exc is not None and isinstance(exc, _unavailable_exception_types()):
        body = {
            "error": "unavailable",
            "detail": "A backing service is unavailable; retry shortly.",
        }
        if is_api:
            response: HttpResponse = JsonResponse(body, status=503)
        else:
            response = HttpResponse(
                "Service temporarily unavailable; retry shortly.",
                status=503,
                content_type="text/plain; charset=utf-8",
            )
        response.headers["Retry-After"] = "5"
        return response
    if is_api:
        return JsonResponse(
            {"error": "server_error", "detail": "Internal server error."}, status=500
        )
    return django_server_error(request)
