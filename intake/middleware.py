"""Refuse request bodies over the size limit before anything parses them.

Django applies DATA_UPLOAD_MAX_MEMORY_SIZE only to form parsing (and answers 400), while DRF's
JSON parser reads the stream directly and would accept any size. One check on Content-Length,
ahead of sessions, CSRF and every view, gives every endpoint the same clear 413.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            # Django itself reads a malformed Content-Length as an empty body.
            length = 0
        limit = settings.MAX_BODY_BYTES
        if length > limit:
            return JsonResponse(
                {
                    "error": "too_large",
                    "detail": f"The request body is {length} bytes; the limit is {limit} bytes.",
                },
                status=413,
            )
        return self.get_response(request)
