"""POST /api/v1/messages/batch/: all or nothing, 202 at once, classification queued."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from intake.models import Message, MessageStatus

FIXTURES = Path(__file__).resolve().parent.parent / "intake" / "channels" / "rest" / "fixtures"
URL = "/api/v1/messages/batch/"

pytestmark = pytest.mark.django_db


def post(client: Client, body: Any) -> Any:
    return client.post(URL, json.dumps(body), content_type="application/json")


def test_batch_is_stored_at_once_and_classified_after_commit(
    api_client, django_capture_on_commit_callbacks
):
    batch = json.loads((FIXTURES / "batch.json").read_text())

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = post(api_client, batch)

    assert response.status_code == 202
    body = response.json()
    assert body["created"] == 5 and body["duplicates"] == 0
    assert len(body["ids"]) == 5
    assert [m["status"] for m in body["messages"]] == ["pending"] * 5
    # Acknowledged before any classification: one task queued for after the commit.
    assert len(queued) == 1
    assert Message.objects.filter(status=MessageStatus.PENDING).count() == 5

    queued[0]()  # what the worker (here: eager Celery) does once the transaction commits

    messages = {m.external_id: m for m in Message.objects.all()}
    assert all(m.status == MessageStatus.CLASSIFIED for m in messages.values())
    assert messages["import-2024-03-25-0004"].urgent  # "chest hurts": a red flag
    assert json.loads(messages["import-2024-03-25-0002"].raw_payload) == batch["messages"][1]


def test_repeated_batch_stores_nothing_new_and_returns_the_same_ids(
    api_client, django_capture_on_commit_callbacks
):
    batch = json.loads((FIXTURES / "batch.json").read_text())
    first = post(api_client, batch).json()

    with django_capture_on_commit_callbacks() as queued:
        again = post(api_client, batch).json()

    assert again["ids"] == first["ids"]
    assert again["created"] == 0 and again["duplicates"] == 5
    assert queued == []
    assert Message.objects.count() == 5


def test_duplicates_inside_one_batch_are_stored_once(api_client):
    item = {"channel": "sms", "text": "late!", "external_id": "dup-1"}
    body = post(api_client, {"messages": [item, item]}).json()

    assert body["ids"][0] == body["ids"][1]
    assert body["created"] == 1 and body["duplicates"] == 1


def test_batch_of_the_maximum_size_is_accepted(api_client):
    limit = settings.BATCH_MAX_MESSAGES
    messages = [{"channel": "sms", "text": f"message number {i}"} for i in range(limit)]

    response = post(api_client, {"messages": messages})

    assert response.status_code == 202
    assert response.json()["created"] == limit
    assert Message.objects.count() == limit


def test_batch_over_the_limit_is_refused_with_a_clear_message(api_client):
    limit = settings.BATCH_MAX_MESSAGES
    messages = [{"channel": "sms", "text": "hi"}] * (limit + 1)

    response = post(api_client, {"messages": messages})

    assert response.status_code == 400
    detail = response.json()["detail"]["messages"][0]
    assert f"at most {limit} messages" in detail and str(limit + 1) in detail
    assert not Message.objects.exists()


def test_one_invalid_message_refuses_the_whole_batch(api_client):
    messages = [
        {"channel": "sms", "text": "fine"},
        {"channel": "fax", "text": "bad channel"},
        {"channel": "sms", "text": ""},
    ]

    response = post(api_client, {"messages": messages})

    assert response.status_code == 400
    errors = response.json()["detail"]["messages"]
    assert set(errors) == {"1", "2"}
    assert "channel" in errors["1"] and "text" in errors["2"]
    assert not Message.objects.exists()


@pytest.mark.parametrize("body", [{"messages": []}, {}, {"messages": "hi"}, [{"channel": "sms"}]])
def test_malformed_batch_is_a_clear_400(api_client, body):
    response = post(api_client, body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert not Message.objects.exists()


def test_batch_needs_a_key(client, practice):
    assert post(client, {"messages": [{"channel": "sms", "text": "hi"}]}).status_code == 401
    assert not Message.objects.exists()
