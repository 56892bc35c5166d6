"""Response headers that Django 5.2 does not set itself."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# Nothing here needs a camera, a microphone, a location or payment: say so to the browser.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class SecurityHeadersMiddleware:
    """Content-Security-Policy (Django 5.2 has no built-in CSP), Permissions-Policy, no-store.

    Each header is only a default: a view that needs another policy (an embeddable form page
    sets its own frame-ancestors) sets the header itself and keeps it. Static files never get
    here: whitenoise answers them earlier in the chain, with their own long cache headers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        # Pages and API answers carry patient messages: no browser or proxy may keep a copy.
        response.headers.setdefault("Cache-Control", "no-store")
        return response
