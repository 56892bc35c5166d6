"""The public contact form: CSRF-protected, rate limited per IP, embeddable, stored once."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from intake.channels.web_form.views import RATE_LIMIT
from intake.models import Message, MessageStatus

FIXTURES = Path(__file__).resolve().parent.parent / "intake" / "channels" / "web_form" / "fixtures"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def fixture(name: str) -> dict[str, str]:
    return json.loads((FIXTURES / name).read_text())


def open_form(client: Client, practice: Any) -> tuple[Any, dict[str, str]]:
    """GET the page as a browser does; return it and the hidden fields it carries."""
    page = client.get(f"/f/{practice.slug}/")
    html = page.content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    return page, hidden


def submit(client: Client, practice: Any, fields: dict[str, str], **extra: Any) -> Any:
    _, hidden = open_form(client, practice)
    return client.post(f"/f/{practice.slug}/", {**hidden, **fields}, **extra)


def browser() -> Client:
    return Client(enforce_csrf_checks=True)


def test_form_page_is_embeddable_and_carries_a_csrf_token(practice):
    page, hidden = open_form(browser(), practice)

    assert page.status_code == 200
    assert "Contact Sunrise Clinic" in page.content.decode()
    assert "csrfmiddlewaretoken" in hidden and re.fullmatch(
        r"[0-9a-f]{32}", hidden["submission_id"]
    )
    policy = page["Content-Security-Policy"]
    assert policy.endswith("frame-ancestors *") and "frame-ancestors 'none'" not in policy
    assert "script-src 'self'" in policy  # nothing else is relaxed
    assert "X-Frame-Options" not in page.headers


def test_submitted_form_is_stored_classified_and_thanked(
    practice, django_capture_on_commit_callbacks
):
    client = browser()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = submit(client, practice, fixture("new_patient.json"))

    assert response.status_code == 302
    assert response["Location"] == f"/f/{practice.slug}/thanks/"
    assert len(queued) == 1
    message = Message.objects.get()
    assert message.channel == "web_form"
    assert message.sender == "aisha.rahman@proton.me"
    assert message.subject == "Contact form: Aisha Rahman"
    assert message.text.startswith("Hello! I'm moving to Portland")
    raw = json.loads(message.raw_payload)
    assert raw["contact"] == "aisha.rahman@proton.me" and "csrfmiddlewaretoken" not in raw
    assert message.status == MessageStatus.CLASSIFIED

    thanks = client.get(response["Location"])
    assert thanks.status_code == 200 and "Thank you" in thanks.content.decode()
    assert "frame-ancestors *" in thanks["Content-Security-Policy"]


def test_post_without_csrf_token_is_refused(practice):
    response = browser().post(f"/f/{practice.slug}/", fixture("new_patient.json"))
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_double_submit_of_one_rendered_form_stores_one_message(practice):
    client = browser()
    _, hidden = open_form(client, practice)
    fields = {**hidden, **fixture("new_patient.json")}

    first = client.post(f"/f/{practice.slug}/", fields)
    again = client.post(f"/f/{practice.slug}/", fields)

    assert first.status_code == again.status_code == 302
    assert Message.objects.count() == 1


def test_posts_over_the_limit_from_one_ip_are_429(practice):
    client = browser()
    statuses = [
        submit(client, practice, fixture("new_patient.json"), REMOTE_ADDR="203.0.113.9").status_code
        for _ in range(RATE_LIMIT + 1)
    ]

    assert statuses == [302] * RATE_LIMIT + [429]
    assert Message.objects.count() == RATE_LIMIT
    # Another IP is not affected.
    other = submit(client, practice, fixture("new_patient.json"), REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 302


def test_rate_limited_page_explains_itself(practice):
    client = browser()
    for _ in range(RATE_LIMIT):
        submit(client, practice, fixture("new_patient.json"))
    page = submit(client, practice, fixture("new_patient.json"))
    assert page.status_code == 429
    assert "Too many messages" in page.content.decode()
    assert "moving to Portland next month" in page.content.decode()  # their text is kept


def test_honeypot_filled_by_a_bot_stores_nothing_but_looks_like_success(practice):
    response = submit(browser(), practice, fixture("bot_spam.json"))
    assert response.status_code == 302
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "fields, error_field",
    [
        ({"message": ""}, "message"),
        ({"message": "   \x00  "}, "message"),
        ({"contact": ""}, "contact"),
        ({"message": "x" * 5001}, "message"),
        ({"submission_id": "not-a-token"}, "submission_id"),
    ],
)
def test_invalid_form_is_shown_again_with_errors(practice, fields, error_field):
    client = browser()
    _, hidden = open_form(client, practice)
    data = {**hidden, **fixture("new_patient.json"), **fields}

    response = client.post(f"/f/{practice.slug}/", data)

    assert response.status_code == 400
    assert error_field in response.context["form"].errors
    assert 'role="alert"' in response.content.decode()
    assert not Message.objects.exists()


def test_html_in_the_message_is_escaped_on_the_page_and_stored_as_text(practice):
    client = browser()
    _, hidden = open_form(client, practice)
    response = client.post(
        f"/f/{practice.slug}/",
        {**hidden, "message": "<script>alert(1)</script>", "contact": "<b>x</b>" * 100},
    )
    assert response.status_code == 400  # contact too long
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert "&lt;script&gt;" in response.content.decode()


def test_unknown_or_disabled_practice_form_is_404(practice):
    assert Client().get("/f/no-such-clinic/").status_code == 404
    practice.form_enabled = False
    practice.save(update_fields=["form_enabled"])
    assert Client().get(f"/f/{practice.slug}/").status_code == 404
    assert Client().post(f"/f/{practice.slug}/", fixture("new_patient.json")).status_code == 404


def test_other_methods_are_405(practice):
    assert Client().put(f"/f/{practice.slug}/").status_code == 405
