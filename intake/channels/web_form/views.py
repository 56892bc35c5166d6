"""The contact form page: CSRF-protected, rate limited per client IP, embeddable in an iframe.

Posting stores the message (classification is queued) and redirects to a thank-you page, so a
reload never posts twice; the per-render submission id makes a double click harmless too.
"""

from __future__ import annotations

import json
import secrets

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from intake.channels.web_form.forms import ContactForm
from intake.models import Practice
from intake.selectors import practice_for_hook
from intake.services import message_receive

RATE_LIMIT = 5  # accepted posts per client IP and practice ...
RATE_WINDOW_SECONDS = 10 * 60  # ... per this window


def _practice(slug: str) -> Practice:
    practice = practice_for_hook(slug=slug)
    if not practice.form_enabled:
        raise Http404("This practice has no contact form.")
    return practice


def _client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client wants it to be unless a trusted
    # proxy rewrote it, and a proxy setup that does should set REMOTE_ADDR from it.
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _rate_limited(practice: Practice, ip: str) -> bool:
    """Count this post; True when the IP is over the limit for the current window."""
    key = f"intake:form-rate:{practice.pk}:{ip}"
    # add() starts the window only for the first post; incr() is atomic in Redis and locmem.
    cache.add(key, 0, timeout=RATE_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.add(key, 1, timeout=RATE_WINDOW_SECONDS)
        count = 1
    return count > RATE_LIMIT


def embed_csp() -> str:
    """The site's policy with one change: any site (the practice's own) may frame this page."""
    directives = [
        d.strip()
        for d in settings.CONTENT_SECURITY_POLICY.split(";")
        if d.strip() and not d.strip().startswith("frame-ancestors")
    ]
    return "; ".join([*directives, "frame-ancestors *"])


def _embeddable(response: HttpResponse) -> HttpResponse:
    response.headers["Content-Security-Policy"] = embed_csp()
    response.xframe_options_exempt = True  # type: ignore[attr-defined]
    return response


@csrf_protect
@require_http_methods(["GET", "POST"])
def contact_form(request: HttpRequest, slug: str) -> HttpResponse:
    practice = _practice(slug)
    status = 200
    if request.method == "POST":
        form = ContactForm(request.POST)
        if _rate_limited(practice, _client_ip(request)):
            # Shown again with what they typed, so nothing is lost when they retry later.
            context = {"practice": practice, "form": form, "rate_limited": True}
            return _embeddable(render(request, "intake/contact_form.html", context, status=429))
        if form.is_valid():
            data = form.cleaned_data
            if not form.is_bot:
                message_receive(
                    practice=practice,
                    channel="web_form",
                    text=data["message"],
                    sender=data["contact"],
                    subject=f"Contact form: {data['name']}" if data["name"] else "Contact form",
                    idempotency_key=f"web_form:{data['submission_id']}",
                    raw_payload=json.dumps(
                        {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"},
                        ensure_ascii=False,
                    ),
                    raw_content_type="application/json",
                )
            return HttpResponseRedirect(reverse("contact-form-thanks", args=[practice.slug]))
        status = 400
    else:
        form = ContactForm(initial={"submission_id": secrets.token_hex(16)})
    response = render(
        request, "intake/contact_form.html", {"practice": practice, "form": form}, status=status
    )
    return _embeddable(response)


@require_http_methods(["GET"])
def contact_form_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    practice = _practice(slug)
    return _embeddable(render(request, "intake/contact_form_thanks.html", {"practice": practice}))
