from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, reverse
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from clarioscope import health

# A database or broker outage answers 503 with Retry-After everywhere, not 500; API and webhook
# paths get JSON errors even when no route matches.
handler404 = "clarioscope.errors.not_found"
handler500 = "clarioscope.errors.server_error"


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin signs in through the one sign-in page and its lockout: the admin's own form
    would let anyone guess a superuser's password without limit."""
    if request.user.is_authenticated:
        # Signed in, not staff: sending them to sign in again would loop.
        raise PermissionDenied("The admin is for staff.")
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


admin.site.login = admin_login  # type: ignore[method-assign]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("", include("intake.urls")),
    path("mlops/", include("mlops.urls")),
    path("", include("review.urls")),
]
