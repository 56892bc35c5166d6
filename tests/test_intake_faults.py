"""Faults on the real components: concurrent duplicate deliveries, a worker SIGKILLed mid-batch,
and tenancy isolation on every endpoint.

The first two run on PostgreSQL with Redis and a real Celery worker subprocess (`celery_worker`,
tests/workers.py) and skip with the reason on SQLite or without TEST_REDIS_URL. Isolation runs
everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from twilio.request_validator import RequestValidator

from intake.models import AccessAudit, Message, MessageStatus, ReviewItem
from intake.services import messages_sweep_unclassified
from intake.tasks import classify_messages
from tests.workers import CeleryWorker, reset_celery_connections, run_threads, wait_for

CHANNELS = Path(__file__).resolve().parent.parent / "intake" / "channels"


def twilio_params() -> dict[str, str]:
    return json.loads((CHANNELS / "twilio" / "fixtures" / "sms_reschedule.json").read_text())


# --- 50 concurrent deliveries ------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.integration
def test_fifty_concurrent_deliveries_of_one_twilio_webhook_store_one_message(
    practice: Any, celery_worker: CeleryWorker
) -> None:
    """50 threads, each a full Django request with its own database connection, released at
    once: they race on the unique (practice, channel, external_id) constraint for real."""
    params = twilio_params()
    path = f"/hooks/twilio/{practice.slug}/sms/"
    signature = RequestValidator(practice.twilio_auth_token).compute_signature(
        f"http://testserver{path}", params
    )
    body = urlencode(params)
    start = threading.Barrier(50)
    statuses: list[int] = []
    failures: list[BaseException] = []

    def deliver() -> None:
        try:
            client = Client()
            start.wait(timeout=30)
            response = client.post(
                path,
                body,
                content_type="application/x-www-form-urlencoded",
                headers={"X-Twilio-Signature": signature},
            )
            statuses.append(response.status_code)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    run_threads(deliver, 50, timeout=120)

    assert not failures, failures[:3]
    assert statuses == [200] * 50
    assert Message.objects.count() == 1
    message = Message.objects.get()
    assert message.external_id == params["MessageSid"]
    # Classified by the worker process, not by the web requests, and only once.
    done = Message.objects.filter(pk=message.pk).exclude(status=MessageStatus.PENDING)
    wait_for(done.exists, timeout=60)
    message.refresh_from_db()
    assert message.status == MessageStatus.CLASSIFIED
    assert message.classify_attempts == 1


# --- a worker SIGKILLed while classifying ------------------------------------------------


@pytest.mark.postgres
@pytest.mark.integration
def test_worker_sigkilled_while_classifying_1000_messages_loses_none(
    api_key: str, practice: Any, celery_worker: CeleryWorker
) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    for batch in range(2):
        messages = [
            {"channel": "sms", "text": f"message {batch}-{i}: can I move my appointment to friday?"}
            for i in range(500)
        ]
        response = client.post(
            "/api/v1/messages/batch/", {"messages": messages}, content_type="application/json"
        )
        assert response.status_code == 202
    assert Message.objects.count() == 1000

    # The worker has taken a task and started on it: kill it, pool child and all, right there.
    started = Message.objects.filter(classify_attempts__gt=0)
    wait_for(started.exists, timeout=60, interval=0.01)
    celery_worker.kill()
    pending_after_kill = Message.objects.filter(status=MessageStatus.PENDING).count()
    assert pending_after_kill > 0, "the worker finished everything before it could be killed"

    # A new worker, then the periodic sweep (run now instead of waiting for beat).
    celery_worker.start()
    queued = messages_sweep_unclassified(older_than_seconds=0)
    assert 0 < queued <= pending_after_kill
    wait_for(
        lambda: not Message.objects.filter(status=MessageStatus.PENDING).exists(),
        timeout=180,
        interval=0.25,
    )

    assert Message.objects.count() == 1000
    assert Message.objects.filter(status=MessageStatus.CLASSIFIED).count() == 1000
    assert ReviewItem.objects.count() == Message.objects.filter(needs_review=True).count()

    # Exactly once: a redelivered task or another sweep finds nothing left to classify and
    # changes no stored result.
    before = dict(Message.objects.values_list("pk", "classified_at"))
    redelivered = classify_messages.delay(sorted(before)).get(timeout=120)
    assert redelivered == 0
    assert messages_sweep_unclassified(older_than_seconds=0) == 0
    assert dict(Message.objects.values_list("pk", "classified_at")) == before


# --- tenancy isolation on every endpoint -------------------------------------------------


@pytest.mark.django_db
def test_another_practices_key_never_reads_or_writes_this_practices_messages(
    api_client: Client, other_api_client: Client, practice: Any, other_practice: Any
) -> None:
    mine = api_client.post(
        "/api/v1/messages/",
        {"channel": "sms", "text": "my private question", "external_id": "SM-shared"},
        content_type="application/json",
        headers={"Idempotency-Key": "shared-key"},
    ).json()
    eml = (CHANNELS / "email" / "fixtures" / "gmail_reply_quoted_printable.eml").read_bytes()
    api_client.post("/api/v1/messages/email/", eml, content_type="message/rfc822")
    snapshot = list(Message.objects.order_by("pk").values())
    AccessAudit.objects.all().delete()

    # Reads: the list is empty and every id of the practice answers 404.
    listing = other_api_client.get("/api/v1/messages/").json()
    assert listing["count"] == 0 and listing["results"] == []
    for message_id in Message.objects.values_list("pk", flat=True):
        response = other_api_client.get(f"/api/v1/messages/{message_id}/")
        assert response.status_code == 404
        assert "private" not in response.content.decode()
    assert not AccessAudit.objects.filter(practice=practice).exists()

    # Writes with the same external id, Idempotency-Key or Message-ID create the caller's own
    # messages and never return, change or reveal this practice's.
    same_id = other_api_client.post(
        "/api/v1/messages/",
        {"channel": "sms", "text": "theirs", "external_id": "SM-shared"},
        content_type="application/json",
    )
    same_key = other_api_client.post(
        "/api/v1/messages/",
        {"channel": "sms", "text": "theirs too"},
        content_type="application/json",
        headers={"Idempotency-Key": "shared-key"},
    )
    batch = other_api_client.post(
        "/api/v1/messages/batch/",
        {"messages": [{"channel": "sms", "text": "batch", "external_id": "SM-shared"}]},
        content_type="application/json",
    )
    same_email = other_api_client.post(
        "/api/v1/messages/email/", eml, content_type="message/rfc822"
    )
    assert (same_id.status_code, same_key.status_code, same_email.status_code) == (201, 201, 201)
    assert batch.status_code == 202 and batch.json()["created"] == 0  # a repeat of its own
    assert mine["id"] not in {same_id.json()["id"], same_key.json()["id"], *batch.json()["ids"]}
    assert list(Message.objects.filter(practice=practice).order_by("pk").values()) == snapshot
    assert Message.objects.filter(practice=other_practice).count() == 3

    # Webhooks: the URL names the practice and only that practice's secret signs for it.
    params = twilio_params()
    url = f"http://testserver/hooks/twilio/{practice.slug}/sms/"
    forged = RequestValidator(other_practice.twilio_auth_token).compute_signature(url, params)
    twilio = Client().post(
        f"/hooks/twilio/{practice.slug}/sms/",
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": forged},
    )
    chat_body = (CHANNELS / "chat" / "fixtures" / "visitor_message.json").read_bytes()
    chat_signature = hmac.new(other_practice.chat_secret.encode(), chat_body, hashlib.sha256)
    chat = Client().post(
        f"/hooks/chat/{practice.slug}/",
        chat_body,
        content_type="application/json",
        headers={"X-ClarioScope-Signature": "sha256=" + chat_signature.hexdigest()},
    )
    timestamp, token = str(int(time.time())), "t" * 50
    mailgun = Client().post(
        f"/hooks/mailgun/{practice.slug}/",
        {
            "timestamp": timestamp,
            "token": token,
            "signature": hmac.new(
                other_practice.mailgun_signing_key.encode(),
                (timestamp + token).encode(),
                hashlib.sha256,
            ).hexdigest(),
            "body-plain": "forged",
        },
    )
    assert (twilio.status_code, chat.status_code, mailgun.status_code) == (403, 403, 403)
    assert list(Message.objects.filter(practice=practice).order_by("pk").values()) == snapshot


# --- broker down -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_webhook_with_the_broker_down_still_stores_and_acknowledges(practice: Any) -> None:
    """The enqueue after commit fails; the sender still gets its 200 (a retry would only be a
    duplicate) and the message waits, pending, for the periodic sweep."""
    from clarioscope.celery import app

    names = ("broker_url", "task_always_eager", "task_publish_retry_policy")
    saved = {name: app.conf[name] for name in names}
    app.conf.update(
        broker_url="redis://127.0.0.1:9/0",  # nothing listens on the discard port
        task_always_eager=False,
        task_publish_retry_policy={"max_retries": 0},
    )
    reset_celery_connections(app)
    try:
        params = twilio_params()
        path = f"/hooks/twilio/{practice.slug}/sms/"
        signature = RequestValidator(practice.twilio_auth_token).compute_signature(
            f"http://testserver{path}", params
        )
        response = Client().post(
            path,
            urlencode(params),
            content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": signature},
        )
    finally:
        app.conf.update(saved)
        reset_celery_connections(app)

    assert response.status_code == 200
    message = Message.objects.get()
    assert message.status == MessageStatus.PENDING
    assert messages_sweep_unclassified(older_than_seconds=0) == 1  # eager again: classified now
    message.refresh_from_db()
    assert message.status == MessageStatus.CLASSIFIED
