"""The per-message path under load: how many queries a message costs, cached lookups and when
they expire, the response fast path, and webhook messages classified in shared batches."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from twilio.request_validator import RequestValidator

from clarioscope.taxonomy import INTENTS
from intake import localcache
from intake.models import ApiKey, Message, MessageStatus, ReviewItem
from intake.serializers import MessageResultSerializer, message_result
from intake.services import (
    CLASSIFY_PENDING_QUEUED_KEY,
    _claim_untried,
    _classify_loaded,
    api_key_create,
    message_ingest,
    message_receive,
    messages_classify_pending,
    messages_sweep_unclassified,
)
from tests.workers import CeleryWorker, run_threads, wait_for

URL = "/api/v1/messages/"
TWILIO_SMS = json.loads(
    (
        Path(__file__).resolve().parent.parent
        / "intake/channels/twilio/fixtures/sms_reschedule.json"
    ).read_text()
)


def post(client: Client, body: Any) -> Any:
    return client.post(URL, json.dumps(body), content_type="application/json")


def sms(practice: Any, sid: str, body: str) -> Any:
    path = f"/hooks/twilio/{practice.slug}/sms/"
    params = {**TWILIO_SMS, "MessageSid": sid, "Body": body}
    signature = RequestValidator(practice.twilio_auth_token).compute_signature(
        f"http://testserver{path}", params
    )
    return Client().post(
        path,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )


# --- queries per message --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # as in production: no test transaction around it
def test_a_rest_message_costs_an_insert_and_an_update_once_the_key_is_known(api_client, practice):
    # Confident enough for everyone: no review item to open (that adds a transaction).
    practice.review_threshold = 0.0
    practice.save(update_fields=["review_threshold"])
    post(api_client, {"channel": "sms", "text": "first, looks the key up"})

    with CaptureQueriesContext(connection) as queries:
        response = post(api_client, {"channel": "sms", "text": "can I move my appointment?"})

    assert response.status_code == 201
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert statements == ["INSERT", "UPDATE"], statements
    stored = Message.objects.get(pk=response.json()["id"])
    assert stored.status == MessageStatus.CLASSIFIED
    assert stored.classify_attempts == 1


@pytest.mark.django_db(transaction=True)
def test_an_sms_webhook_costs_one_insert_once_the_practice_is_known(practice):
    # A classify_pending task is queued already, so the webhook only stores (no eager task).
    cache.add(CLASSIFY_PENDING_QUEUED_KEY, 1, 30)
    sms(practice, "SM" + "1" * 32, "first, looks the practice up")
    with CaptureQueriesContext(connection) as queries:
        response = sms(practice, "SM" + "2" * 32, "running late for my 3pm")

    assert response.status_code == 200
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT"]
    assert Message.objects.filter(status=MessageStatus.PENDING).count() == 2


@pytest.mark.django_db
def test_a_duplicate_in_a_batch_does_not_abort_the_batch(api_client):
    first = post(api_client, {"channel": "sms", "text": "hello", "external_id": "dup-1"}).json()

    response = api_client.post(
        "/api/v1/messages/batch/",
        json.dumps(
            {
                "messages": [
                    {"channel": "sms", "text": "hello", "external_id": "dup-1"},
                    {"channel": "sms", "text": "new one", "external_id": "new-1"},
                ]
            }
        ),
        content_type="application/json",
    )

    assert response.status_code in {200, 201, 202}, response.content
    body = response.json()
    assert body["ids"][0] == first["id"]
    assert body["created"] == 1 and body["duplicates"] == 1
    assert Message.objects.count() == 2


# --- cached lookups -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_key_revoked_by_another_process_is_refused_once_the_cache_expires(
    practice, settings, monkeypatch
):
    settings.LOOKUP_CACHE_SECONDS = 5
    created = api_key_create(practice=practice)
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {created.raw_key}")
    assert post(client, {"channel": "sms", "text": "hi"}).status_code == 201
    # Another process revokes it: this process's cache is not told.
    ApiKey.objects.filter(pk=created.api_key.pk).update(revoked_at="2026-01-01T00:00:00Z")
    assert post(client, {"channel": "sms", "text": "still within 5 s"}).status_code == 201

    now = localcache.time.monotonic()
    monkeypatch.setattr(localcache.time, "monotonic", lambda: now + 5.01)

    response = post(client, {"channel": "sms", "text": "after 5 s"})
    assert response.status_code == 401
    assert Message.objects.count() == 2


@pytest.mark.django_db
def test_with_the_cache_off_every_request_looks_the_key_up(api_client, settings):
    settings.LOOKUP_CACHE_SECONDS = 0
    post(api_client, {"channel": "sms", "text": "first"})
    with CaptureQueriesContext(connection) as queries:
        post(api_client, {"channel": "sms", "text": "second"})
    assert next(q["sql"].split()[0] for q in queries.captured_queries) == "SELECT"


@pytest.mark.django_db
def test_a_practice_edited_in_this_process_is_seen_at_once(
    practice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        assert sms(practice, "SM" + "3" * 32, "hello").status_code == 200
        old_token = practice.twilio_auth_token
        practice.twilio_auth_token = "f" * 32
        practice.save(update_fields=["twilio_auth_token"])

        assert sms(practice, "SM" + "4" * 32, "signed with the new token").status_code == 200
        practice.twilio_auth_token = old_token  # signs with the old one; the view knows better
        assert sms(practice, "SM" + "5" * 32, "signed with the old token").status_code == 403


# --- the response fast path -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        "can I move my appointment to friday?",
        "my chest hurts and my left arm is numb",  # red flag: urgent, to review
        "   ",  # stored as empty text: unclassified
    ],
)
def test_message_result_is_what_the_result_serializer_says(practice, text):
    message = message_ingest(practice=practice, channel="sms", text=text).message
    messages_classify_pending()
    message.refresh_from_db()
    assert json.dumps(message_result(message), sort_keys=True) == json.dumps(
        MessageResultSerializer(message).data, sort_keys=True
    )


@pytest.mark.django_db
def test_message_result_of_a_pending_message_matches_too(practice):
    message = message_ingest(practice=practice, channel="sms", text="hello").message
    assert message_result(message) == MessageResultSerializer(message).data


# --- webhook messages classified in shared batches ------------------------------------------


@pytest.mark.django_db
def test_pending_messages_are_classified_in_batches_with_one_attempt_each(practice):
    ids = [
        message_ingest(practice=practice, channel="sms", text=f"message number {n}").message.pk
        for n in range(10)
    ]

    assert messages_classify_pending(batch_size=4) == 10

    rows = Message.objects.filter(pk__in=ids)
    assert {m.status for m in rows} == {MessageStatus.CLASSIFIED}
    assert {m.classify_attempts for m in rows} == {1}
    assert messages_classify_pending() == 0


@pytest.mark.django_db
def test_a_message_being_classified_by_its_rest_request_is_not_taken(practice):
    in_flight = message_ingest(
        practice=practice, channel="email", text="hello", classifying_now=True
    ).message
    untried = message_ingest(practice=practice, channel="sms", text="hello").message

    assert messages_classify_pending() == 1

    in_flight.refresh_from_db()
    untried.refresh_from_db()
    assert in_flight.status == MessageStatus.PENDING  # its request classifies it
    assert untried.status == MessageStatus.CLASSIFIED


@pytest.mark.django_db
def test_while_a_classification_is_queued_new_messages_ride_along(
    practice, django_capture_on_commit_callbacks
):
    cache.add(CLASSIFY_PENDING_QUEUED_KEY, 1, 30)  # a classify_pending task is queued already

    with django_capture_on_commit_callbacks(execute=True):
        ids = [
            message_receive(practice=practice, channel="sms", text=f"hi {n}").message.pk
            for n in range(3)
        ]

    # No task ran for them (none was queued): they wait for the one that is.
    assert set(Message.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        MessageStatus.PENDING
    }
    assert messages_classify_pending() == 3
    assert cache.get(CLASSIFY_PENDING_QUEUED_KEY) is None  # the task cleared the mark


@pytest.mark.django_db
def test_without_a_queued_task_a_webhook_message_queues_one_and_is_classified(
    practice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = sms(practice, "SM" + "6" * 32, "please refill my inhaler")
    assert response.status_code == 200
    assert len(callbacks) == 1
    assert Message.objects.get().status == MessageStatus.CLASSIFIED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claimers_never_take_the_same_message(practice):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL")
    for n in range(40):
        message_ingest(practice=practice, channel="sms", text=f"message {n}")
    claimed: list[list[int]] = []
    start = threading.Barrier(4)

    def claim() -> None:
        try:
            start.wait(timeout=10)
            mine: list[int] = []
            while batch := _claim_untried(3):
                mine += [m.pk for m in batch]
            claimed.append(mine)
        finally:
            connections.close_all()

    run_threads(claim, 4, timeout=60)

    every = [pk for mine in claimed for pk in mine]
    assert len(claimed) == 4
    assert len(every) == 40 and len(set(every)) == 40
    assert set(Message.objects.values_list("classify_attempts", flat=True)) == {1}


@pytest.mark.postgres
@pytest.mark.integration
def test_a_burst_of_webhooks_is_classified_by_the_worker_once_each(
    practice: Any, celery_worker: CeleryWorker
) -> None:
    for n in range(60):
        assert sms(practice, f"SM{n:032d}", f"burst message {n}, call me back").status_code == 200

    wait_for(lambda: not Message.objects.filter(status=MessageStatus.PENDING).exists(), timeout=120)
    rows = list(Message.objects.values_list("status", "classify_attempts"))
    assert len(rows) == 60
    assert set(rows) == {(MessageStatus.CLASSIFIED, 1)}


@pytest.mark.django_db
def test_a_batch_writes_every_result_but_never_over_another_workers(practice):
    texts = ["can I move my appointment?", "my chest hurts and my arm is numb", "refill please"]
    messages = [message_ingest(practice=practice, channel="sms", text=t).message for t in texts]
    # Another worker got to the third one between our read and our write.
    Message.objects.filter(pk=messages[2].pk).update(
        status=MessageStatus.CLASSIFIED, label="billing", model_version="other-worker"
    )

    done = _classify_loaded(messages)

    assert [m.pk for m in done] == [messages[0].pk, messages[1].pk]
    first, urgent, theirs = (Message.objects.get(pk=m.pk) for m in messages)
    assert theirs.label == "billing" and theirs.model_version == "other-worker"
    assert not ReviewItem.objects.filter(message=theirs).exists()
    for stored, in_memory in ((first, messages[0]), (urgent, messages[1])):
        assert stored.status == MessageStatus.CLASSIFIED
        assert set(stored.probabilities) == set(INTENTS)
        assert stored.probabilities == in_memory.probabilities
        assert stored.confidence == in_memory.confidence
        assert stored.label == in_memory.label and stored.model_version == in_memory.model_version
        assert stored.classified_at == in_memory.classified_at
    assert urgent.urgent and urgent.red_flags == ["chest_pain"] and urgent.needs_review
    item = ReviewItem.objects.get(message=urgent)
    assert item.reason == "urgent" and item.urgent and item.practice_id == practice.pk


@pytest.mark.django_db
def test_the_sweep_queues_tried_messages_by_id_and_leaves_untried_ones_to_one_shared_task(
    practice,
):
    untried = [
        message_ingest(practice=practice, channel="sms", text=f"hello {n}").message
        for n in range(3)
    ]
    # A web process died after storing this one and before classifying it.
    tried = message_ingest(
        practice=practice, channel="email", text="hello", classifying_now=True
    ).message
    cache.add(CLASSIFY_PENDING_QUEUED_KEY, 1, 30)  # a classify_pending task is queued already

    assert messages_sweep_unclassified(older_than_seconds=0) == 4

    # The tried one was queued by id (and ran, tasks are in-process here); the untried ones
    # wait for the task that is already queued instead of being queued again.
    tried.refresh_from_db()
    assert tried.status == MessageStatus.CLASSIFIED and tried.classify_attempts == 2
    assert {m.status for m in Message.objects.filter(pk__in=[m.pk for m in untried])} == {
        MessageStatus.PENDING
    }

    cache.delete(CLASSIFY_PENDING_QUEUED_KEY)  # that task was lost
    assert messages_sweep_unclassified(older_than_seconds=0) == 3
    assert not Message.objects.filter(status=MessageStatus.PENDING).exists()
    assert set(Message.objects.values_list("classify_attempts", flat=True)) <= {1, 2}
