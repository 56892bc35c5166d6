"""Authorisation matrix: every route x every role x another practice's object ids.

The routes are read from the URL resolver, so a new endpoint or page joins the matrix by itself
(and fails here until its parameters have a value below). Every route is requested with GET and
POST by a reviewer, a practice admin and ML staff of practice A (session sign-in) and by practice
A's API key (header, no session). Where the URL names practice B or one of B's objects, the answer
must be 403, 404, 405 or a redirect to a sign-in page; everywhere, not one byte of B's data may
come back: all of B's message text, senders, subjects, reviewer decisions and export files carry
a marker that no response may contain.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import make_user
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from intake.models import Practice, Role
from review import exports as review_exports
from review.services import export_request, export_run, review_submit
from tests.review_factories import auto_routed, queued

pytestmark = pytest.mark.django_db

MARK = "Zq7FOREIGNx9"
ROLES = ["reviewer", "practice_admin", "ml_staff", "api_key"]
# Public by design: a practice's contact form and its thank-you page (no message data on them).
PUBLIC = {"contact-form", "contact-form-thanks"}
DENIED = {401, 403, 404, 405}
# Webhooks authenticate the provider's signature, not a user: without one they refuse with a 4xx
# (415 when the body is not the provider's content type) before any lookup.
HOOK_DENIED = {400, 403, 404, 405, 415}
# A POST that is valid as a form, so a refusal comes from the ownership check, not validation.
POST_DATA = {"label": "billing_inquiry", "seconds": "3", "reason": "x", "note": "x"}
LOGIN_URLS = ("/accounts/login/", "/admin/login/")


@dataclass(frozen=True)
class Route:
    name: str
    params: tuple[tuple[str, str], ...]  # (name, converter)


def routes() -> Iterator[Route]:
    def walk(patterns: list[Any], namespace: str) -> Iterator[Route]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry.url_patterns, inner)
            elif isinstance(entry, URLPattern) and entry.name:
                converters = getattr(entry.pattern, "converters", {}) or {}
                names = list(entry.pattern.regex.groupindex)
                yield Route(
                    f"{namespace}{entry.name}",
                    tuple((n, type(converters.get(n)).__name__) for n in names),
                )

    seen: set[str] = set()
    for route in walk(get_resolver().url_patterns, ""):
        if route.name not in seen:
            seen.add(route.name)
            yield route


@dataclass
class World:
    own: Practice
    other: Practice
    users: dict[str, User]
    api_key: str
    foreign: dict[str, int]


@pytest.fixture
def world(
    practice: Practice,
    other_practice: Practice,
    reviewer: User,
    practice_admin: User,
    ml_staff: User,
    other_reviewer: User,
    api_key: str,
    django_capture_on_commit_callbacks: Any,
) -> World:
    # Practice A has ordinary data, so its own pages render with content.
    queued(practice, text="please move my appointment to monday")
    auto_routed(practice, text="what are your hours on saturday")
    # Practice B: every field that could leak carries the marker.
    other_admin = make_user("olga.otheradmin", other_practice, Role.PRACTICE_ADMIN)
    item = queued(
        other_practice,
        text=f"{MARK} my chest hurts since the new pills",
        sender=f"+1555{MARK}",
        subject=f"{MARK} subject",
    )
    decided = auto_routed(
        other_practice, text=f"{MARK} refill of lisinopril please", sender=f"{MARK}@example.org"
    )
    review_submit(
        reviewer=other_reviewer,
        practice=other_practice,
        message_id=decided.pk,
        label="existing_patient_question",
        reason=f"{MARK} reviewer note",
    )
    with django_capture_on_commit_callbacks(execute=False):
        export = export_request(
            user=other_admin,
            practice=other_practice,
            fmt="csv",
            filters=review_exports.ExportFilters.from_dict({}),
            deidentify=False,
        )
    export_run(export_id=export.pk)
    return World(
        own=practice,
        other=other_practice,
        users={"reviewer": reviewer, "practice_admin": practice_admin, "ml_staff": ml_staff},
        api_key=api_key,
        foreign={
            "message_id": item.message_id,
            "item_id": item.pk,
            "export_id": export.pk,
            "object_id": item.message_id,
            "id": other_reviewer.pk,
        },
    )


# Values for parameters that name nothing practice-specific (MLOps pages, admin plumbing).
NEUTRAL = {
    "pk": "1",
    "kind": "training",
    "index": "0",
    "dataset": "synthetic",
    "content_type_id": "1",
    "app_label": "intake",
}


def variants(route: Route, world: World) -> Iterator[tuple[str, bool]]:
    """(url, names-foreign-data) for the route: B's slug, and A's slug with B's ids."""
    names = [n for n, _ in route.params]
    unknown = [n for n in names if n not in {"slug", *world.foreign, *NEUTRAL}]
    assert not unknown, f"{route.name}: give the matrix a value for {unknown}"
    foreign_ids = {n: str(world.foreign[n]) for n in names if n in world.foreign}
    neutral = {n: NEUTRAL[n] for n in names if n in NEUTRAL}
    if "slug" in names:
        yield reverse(route.name, kwargs={"slug": world.other.slug, **foreign_ids, **neutral}), True
        if foreign_ids:
            yield (
                reverse(route.name, kwargs={"slug": world.own.slug, **foreign_ids, **neutral}),
                True,
            )
    else:
        yield reverse(route.name, kwargs={**foreign_ids, **neutral}), bool(foreign_ids)


def client_for(role: str, world: World) -> Client:
    if role == "api_key":
        return Client(HTTP_AUTHORIZATION=f"Api-Key {world.api_key}")
    client = Client()
    client.force_login(world.users[role])
    return client


def body_of(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


@pytest.mark.parametrize("role", ROLES)
def test_no_role_reaches_another_practices_data_on_any_route(role: str, world: World):
    problems: list[str] = []
    requests = 0
    client = client_for(role, world)
    for route in routes():
        signing_out = route.name.endswith("logout")
        for url, names_foreign in variants(route, world):
            for method in ("get", "post"):
                response = client.get(url) if method == "get" else client.post(url, POST_DATA)
                if signing_out:
                    # Signed out by that request: sign in again for the rest of the matrix.
                    client = client_for(role, world)
                requests += 1
                status = response.status_code
                body = body_of(response)
                where = f"{method.upper()} {url} ({route.name}) -> {status}"
                location = response.headers.get("Location", "")
                signing_out = route.name.endswith("logout")
                if (
                    role != "api_key"
                    and location.startswith("/accounts/login/")
                    and not signing_out
                ):
                    # The matrix must run signed in, or every refusal would prove nothing.
                    problems.append(f"SIGNED OUT {method.upper()} {url} ({route.name})")
                if MARK.encode() in body:
                    problems.append(f"LEAK {where}")
                if status >= 500:
                    problems.append(f"SERVER ERROR {where}")
                if names_foreign and route.name not in PUBLIC:
                    to_login = status == 302 and location.startswith(LOGIN_URLS)
                    denied = HOOK_DENIED if route.name.startswith("hook-") else DENIED
                    if status not in denied and not to_login:
                        problems.append(f"NOT DENIED {where} {location}")
    assert requests > 150
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_lists_and_dashboards_of_a_role_show_only_its_own_practice(role: str, world: World):
    client = client_for(role, world)
    pages = ["/api/v1/messages/", "/api/v1/messages/?limit=200", "/practices/", "/", "/mlops/"]
    pages += [
        f"/practices/{world.own.slug}/{page}"
        for page in (
            "queue/",
            "review/",
            "spot-check/",
            "dashboard/",
            "settings/",
            "audit/",
            "exports/",
        )
    ]
    for page in pages:
        response = client.get(page, follow=True)
        assert response.status_code < 500, page
        assert MARK.encode() not in body_of(response), page
        assert not re.search(rb"olga\.otheradmin|otto\.other", body_of(response)), page


def test_the_marker_is_visible_to_the_other_practice_itself(world: World, other_reviewer: User):
    """Positive control: B's own reviewer sees B's marked text, so its absence above means
    something."""
    client = Client()
    client.force_login(other_reviewer)
    page = client.get(f"/practices/{world.other.slug}/messages/{world.foreign['message_id']}/")
    assert page.status_code == 200
    assert MARK.encode() in page.content
