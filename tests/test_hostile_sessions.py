"""Sessions under attack: CSRF on every form and every state-changing route, login lockout on
every sign-in form (the Django admin's too), idle logout through the real sign-in flow.

The review app's own tests cover the lockout rules and the idle timeout in detail; these tests
come at them from outside, the way an attacker or a security review would.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from conftest import PASSWORD
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from intake.models import Practice
from tests.review_factories import auto_routed, queued

pytestmark = pytest.mark.django_db

FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)
METHOD_POST = re.compile(r"""method\s*=\s*["']?post""", re.I)
ACTION = re.compile(r"""action\s*=\s*["']([^"']*)["']""", re.I)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Machine endpoints authenticate with an API key or a provider signature, never a cookie, so
# CSRF does not apply to them; every other view must enforce it.
CSRF_EXEMPT_PREFIXES = ("api/", "hooks/")


def all_views() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                found.append((prefix + str(entry.pattern), entry.callback))

    walk(get_resolver().url_patterns, "")
    return found


def test_only_machine_endpoints_skip_csrf():
    exempt = [route for route, view in all_views() if getattr(view, "csrf_exempt", False)]
    assert exempt, "expected the API and webhooks to be exempt"
    assert all(route.startswith(CSRF_EXEMPT_PREFIXES) for route in exempt), exempt


def test_the_api_never_accepts_a_session_cookie_as_credentials(reviewer: User, api_key: str):
    # Otherwise a page on another site could make a signed-in reviewer's browser call the API.
    assert settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "intake.auth.ApiKeyAuthentication"
    ]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(reviewer)
    assert browser.get("/api/v1/messages/").status_code == 401
    response = browser.post(
        "/api/v1/messages/", {"channel": "email", "text": "x"}, content_type="application/json"
    )
    assert response.status_code == 401


@pytest.fixture
def pages(practice: Practice) -> dict[str, list[str]]:
    item = queued(practice, text="please move my appointment")
    spot = auto_routed(practice, text="what time do you open")
    slug = practice.slug
    base = f"/practices/{slug}/"
    review = [
        base + "queue/",
        base + "review/",
        base + f"messages/{item.message_id}/",
        base + f"messages/{spot.pk}/",
        base + "spot-check/",
    ]
    return {
        "rita.reviewer": review,
        "paul.admin": [*review, base + "dashboard/", base + "settings/", base + "exports/"],
        "mona.ml": [base + "exports/", "/mlops/"],
        "": ["/accounts/login/", f"/f/{slug}/"],
    }


@pytest.mark.parametrize("username", ["rita.reviewer", "paul.admin", "mona.ml", ""])
def test_every_post_form_carries_a_token_and_is_refused_without_it(
    username: str, pages: dict[str, list[str]], reviewer: User, practice_admin: User, ml_staff: User
):
    users = {u.username: u for u in (reviewer, practice_admin, ml_staff)}
    checked = 0
    for page in pages[username]:
        browser = Client(enforce_csrf_checks=True)
        if username:
            browser.force_login(users[username])
        response = browser.get(page, follow=True)
        assert response.status_code == 200, page
        html = response.content.decode()
        for form in FORM.findall(html):
            if not METHOD_POST.search(form.split(">", 1)[0]):
                continue
            tokens = CSRF_INPUT.findall(form)
            assert tokens, f"a POST form on {page} has no CSRF token:\n{form[:300]}"
            action = ACTION.search(form.split(">", 1)[0])
            target = (
                action.group(1) if action and action.group(1) else response.request["PATH_INFO"]
            )
            # The same browser (same cookies), the token left out: the forged cross-site post.
            forged = browser.post(target, {"label": "billing_inquiry"})
            assert forged.status_code == 403, f"{target} accepted a POST without a CSRF token"
            assert b"CSRF" in forged.content
            checked += 1
        if "hx-post" in html or "data-csrf" in html:
            # Script-driven posts send the token in a header, set on the page.
            assert "X-CSRFToken" in html or re.search(r'data-csrf="[^"]+"', html), page
    assert checked, f"no POST form found on {pages[username]}"


def test_script_driven_review_posts_are_refused_without_the_csrf_header(
    reviewer: User, practice: Practice
):
    item = queued(practice, text="can you call me back")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(reviewer)
    base = f"/practices/{practice.slug}/"
    for url in (
        base + "review/next/",
        base + f"items/{item.pk}/claim/",
        base + f"items/{item.pk}/skip/",
        base + f"items/{item.pk}/escalate/",
        base + f"messages/{item.message_id}/decide/",
        base + "review/undo/",
        "/accounts/logout/",
    ):
        response = browser.post(url, {"label": "billing_inquiry"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 403, url
    item.refresh_from_db()
    assert item.status == "open" and item.claimed_by_id is None


def sign_in(browser: Client, login_url: str, username: str, password: str) -> Any:
    page = browser.get(login_url, follow=True)
    token = CSRF_INPUT.search(page.content.decode())
    assert token, f"no CSRF token on {login_url}"
    return browser.post(
        page.request["PATH_INFO"]
        + ("?" + page.request["QUERY_STRING"] if page.request.get("QUERY_STRING") else ""),
        {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)},
    )


@pytest.mark.parametrize("login_url", ["/accounts/login/", "/admin/login/"])
def test_every_sign_in_form_locks_out_after_repeated_failures(login_url: str, practice_admin: User):
    # The practice admin is also a Django admin here: the admin's own sign-in form must not be
    # a way around the lockout.
    practice_admin.is_staff = True
    practice_admin.save(update_fields=["is_staff"])
    browser = Client(enforce_csrf_checks=True)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        response = sign_in(browser, login_url, "paul.admin", "not-the-password")
        assert response.status_code == 200

    response = sign_in(browser, login_url, "paul.admin", PASSWORD)

    assert response.status_code == 200, "signed in despite the lockout"
    assert "_auth_user_id" not in browser.session
    assert "Too many failed sign-ins" in response.content.decode()


def test_a_locked_account_gives_an_unknown_username_the_same_answer(practice_admin: User):
    browser = Client(enforce_csrf_checks=True)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(browser, "/accounts/login/", "nobody.here", "guess")
    unknown = sign_in(browser, "/accounts/login/", "nobody.here", "guess")
    assert unknown.status_code == 200
    # Same lockout text whether the account exists or not: no username enumeration.
    assert "Too many failed sign-ins" in unknown.content.decode()


def test_idle_session_signs_out_through_the_real_sign_in_flow(reviewer: User, practice: Practice):
    browser = Client(enforce_csrf_checks=True)
    response = sign_in(browser, "/accounts/login/", "rita.reviewer", PASSWORD)
    assert response.status_code == 302
    queue = f"/practices/{practice.slug}/queue/"
    assert browser.get(queue).status_code == 200
    expiry = Session.objects.get().expire_date
    assert timedelta(minutes=29) < expiry - timezone.now() <= timedelta(minutes=30)

    # Thirty idle minutes later (the stored expiry passes), the next click asks to sign in.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = browser.get(queue)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(settings.LOGIN_URL)
    assert browser.get(queue).status_code == 302


def test_staff_reach_the_admin_through_the_one_sign_in_page(practice_admin: User, reviewer: User):
    practice_admin.is_staff = practice_admin.is_superuser = True
    practice_admin.save(update_fields=["is_staff", "is_superuser"])
    browser = Client(enforce_csrf_checks=True)
    response = sign_in(browser, "/admin/", "paul.admin", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    assert browser.get("/admin/").status_code == 200

    # Signed in but not staff: a plain refusal, not a loop back to the sign-in page.
    other = Client()
    other.force_login(reviewer)
    assert other.get("/admin/login/").status_code == 403
