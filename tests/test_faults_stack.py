"""Faults on the production-mode stack: a killed worker, a restarted broker, a lost database.

The stack is the one `make serve` runs (deploy/supervise.py over deploy/Procfile: gunicorn in
production mode, a Celery worker on `default`, Celery beat) against the pytest database and a
private Redis. Each test sends real traffic through the REST API, the batch API and the signed
Twilio webhook while it breaks something, then proves: every accepted message is stored exactly
once and ends classified, nothing answered 500, and the stack recovered by itself.
"""

from __future__ import annotations

import itertools
import json
import shutil
import signal
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum
from twilio.request_validator import RequestValidator

from intake.models import Message, MessageStatus, Practice, ReviewItem
from intake.services import api_key_create, practice_get_or_create
from tests.stack import RedisServer, Stack, TcpProxy, database_url, http, wait_until

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgres,
    pytest.mark.integration,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="fault tests run the production stack against PostgreSQL (set DATABASE_URL)",
    ),
    pytest.mark.skipif(
        shutil.which("redis-server") is None,
        reason="fault tests start a private redis-server (apt install redis-server)",
    ),
    pytest.mark.django_db(transaction=True),
]

# How long the stack has to finish classifying everything accepted once a fault is over: the
# sweep runs every 2 s for messages pending over 4 s (see Stack), so this is generous.
RECOVERY_TIMEOUT = 90.0


@dataclass
class Fixture:
    stack: Stack
    redis: RedisServer
    proxy: TcpProxy


@pytest.fixture(scope="module")
def prod(django_db_setup: None, tiny_model_dir: Path) -> Iterator[Fixture]:
    redis = RedisServer()
    redis.start()
    db = connection.settings_dict
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    proxy.start()
    stack = Stack(
        database_url=database_url(port=proxy.port),
        redis_url=redis.url,
        env={"CLARIOSCOPE_MODEL": str(tiny_model_dir)},
    )
    try:
        stack.start()
        yield Fixture(stack=stack, redis=redis, proxy=proxy)
    finally:
        stack.stop()
        proxy.stop()
        redis.stop()


@dataclass
class Client:
    """A sender on all three ingestion paths, recording the fate of every message."""

    base_url: str
    practice: Practice
    api_key: str
    statuses: dict[str, list[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _record(self, external_id: str, status: int) -> int:
        with self.lock:
            self.statuses.setdefault(external_id, []).append(status)
        return status

    def json_headers(self) -> dict[str, str]:
        return {"Authorization": f"Api-Key {self.api_key}", "Content-Type": "application/json"}

    def rest(self, external_id: str, text: str) -> int:
        status, _, _ = http(
            "POST",
            f"{self.base_url}/api/v1/messages/",
            body=json.dumps({"channel": "chat", "text": text, "external_id": external_id}).encode(),
            headers={
                "Authorization": f"Api-Key {self.api_key}",
                "Content-Type": "application/json",
            },
        )
        return self._record(external_id, status)

    def sms(self, external_id: str, text: str) -> int:
        url = f"{self.base_url}/hooks/twilio/{self.practice.slug}/sms/"
        params = {
            "MessageSid": external_id,
            "AccountSid": "AC" + "0" * 32,
            "From": "+15550100001",
            "To": "+15550100002",
            "Body": text,
            "NumMedia": "0",
        }
        signature = RequestValidator(self.practice.twilio_auth_token).compute_signature(url, params)
        status, _, _ = http(
            "POST",
            url,
            body=urllib.parse.urlencode(params).encode(),
            headers={
                "X-Twilio-Signature": signature,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        return self._record(external_id, status)

    def batch(self, items: list[tuple[str, str]]) -> int:
        status, _, _ = http(
            "POST",
            f"{self.base_url}/api/v1/messages/batch/",
            body=json.dumps(
                {"messages": [{"channel": "chat", "text": t, "external_id": e} for e, t in items]}
            ).encode(),
            headers={
                "Authorization": f"Api-Key {self.api_key}",
                "Content-Type": "application/json",
            },
            timeout=120,
        )
        for external_id, _ in items:
            self._record(external_id, status)
        return status

    def send(self, external_id: str) -> int:
        text = TEXTS[hash(external_id) % len(TEXTS)]
        # SMS Sids and API ids live in separate (channel, external_id) spaces; keep them apart.
        return (
            self.sms(external_id, text)
            if external_id.startswith("SM")
            else self.rest(external_id, text)
        )

    def accepted(self) -> set[str]:
        with self.lock:
            return {e for e, codes in self.statuses.items() if any(200 <= c < 300 for c in codes)}

    def all_codes(self) -> list[int]:
        with self.lock:
            return [c for codes in self.statuses.values() for c in codes]


TEXTS = [
    "Can I move my appointment on Thursday to next week?",
    "I need a refill of my lisinopril please",
    "Question about my bill from March, I was charged twice",
    "What time do you open on Saturday?",
    "My test results came back, can the doctor call me",
    "Please cancel my appointment tomorrow",
    "The rash on my arm is getting worse after the new cream",
]


def make_client(base_url: str) -> Client:
    practice = practice_get_or_create(slug=f"faults-{uuid.uuid4().hex[:10]}")[0]
    return Client(
        base_url=base_url, practice=practice, api_key=api_key_create(practice=practice).raw_key
    )


class TrafficThread(threading.Thread):
    """Sends messages (alternately REST and SMS) until stopped, a few at a time in flight."""

    def __init__(self, client: Client, *, prefix: str, pause: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.prefix = prefix
        self.pause = pause
        self.stop_event = threading.Event()
        self.sent: list[str] = []

    def run(self) -> None:
        for n in itertools.count():
            if self.stop_event.is_set():
                return
            # Twilio's MessageSid is SM + 32 hex digits; REST ids are free-form.
            external_id = f"SM{uuid.uuid4().hex}" if n % 2 else f"API{self.prefix}{n:06d}"
            self.sent.append(external_id)
            try:
                self.client.send(external_id)
            except OSError:
                # The connection itself failed (a worker restarting): not accepted, retried later.
                self.client._record(external_id, 0)
            time.sleep(self.pause)

    def stop(self) -> list[str]:
        self.stop_event.set()
        self.join(60)
        return self.sent


def resend_until_accepted(client: Client, external_ids: list[str], *, timeout: float = 60) -> None:
    """What a well-behaved sender does after a 503: retry with the same id until accepted."""
    deadline = time.monotonic() + timeout
    for external_id in external_ids:
        while external_id not in client.accepted():
            assert time.monotonic() < deadline, f"{external_id} never accepted"
            try:
                client.send(external_id)
            except OSError:
                time.sleep(0.5)


def assert_all_stored_once_and_classified(client: Client, expected: set[str]) -> None:
    def all_done() -> bool:
        return not Message.objects.filter(
            practice=client.practice, status=MessageStatus.PENDING
        ).exists() and Message.objects.filter(practice=client.practice).count() >= len(expected)

    wait_until(all_done, timeout=RECOVERY_TIMEOUT, interval=0.5)
    rows = list(
        Message.objects.filter(practice=client.practice).values_list("external_id", "status")
    )
    stored = [external_id for external_id, _ in rows]
    assert len(stored) == len(set(stored)), "a message was stored twice"
    lost, unexpected = expected - set(stored), set(stored) - expected
    assert not lost and not unexpected, (
        f"lost {sorted(lost)[:5]}, unexpected {sorted(unexpected)[:5]}"
    )
    statuses = {status for _, status in rows}
    assert statuses == {MessageStatus.CLASSIFIED}, statuses
    # One routing decision per message: never a second review item for a re-classified one.
    review_ids = list(
        ReviewItem.objects.filter(message__practice=client.practice).values_list(
            "message_id", flat=True
        )
    )
    assert len(review_ids) == len(set(review_ids))


def summary(name: str, client: Client) -> None:
    """One line per fault for the closing note (shown with `pytest -s` or on failure)."""
    codes = client.all_codes()
    counts = {str(code): codes.count(code) for code in sorted(set(codes))}
    print(
        f"\nFAULT {name}: {len(client.statuses)} messages, {len(codes)} requests, "
        f"status counts {counts}, accepted {len(client.accepted())}",
        flush=True,
    )


def assert_no_server_errors(client: Client) -> None:
    codes = client.all_codes()
    assert not [c for c in codes if c >= 500 and c != 503], sorted(set(codes))


def assert_ready(prod: Fixture) -> None:
    wait_until(
        lambda: http("GET", f"{prod.stack.url}/readyz", timeout=10)[0] == 200,
        timeout=RECOVERY_TIMEOUT,
    )


def worker_processes(prod: Fixture) -> tuple[psutil.Process, list[psutil.Process]]:
    main = psutil.Process(prod.stack.pids()["worker"])
    return main, main.children()


def test_sigkill_of_classification_workers_mid_batch_loses_nothing(prod: Fixture):
    client = make_client(prod.stack.url)
    ids = [f"KILL{n:05d}" for n in range(1000)]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        assert client.batch([(e, TEXTS[n % len(TEXTS)]) for n, e in enumerate(chunk)]) == 202

    def classified() -> int:
        return Message.objects.filter(
            practice=client.practice, status=MessageStatus.CLASSIFIED
        ).count()

    # Mid-batch: the first task's results are in, most of the batch is not. The whole worker dies
    # at once, main process and pool: its unacknowledged tasks stay in Redis, the supervisor
    # starts a new worker, and the sweep re-queues whatever is still pending.
    wait_until(lambda: classified() > 0, timeout=60, interval=0.05)
    main, children = worker_processes(prod)
    for process in [main, *children]:
        process.send_signal(signal.SIGKILL)
    done_at_worker_kill = classified()
    assert done_at_worker_kill < len(ids), "the batch finished before the worker was killed"

    # Once the new worker has started a task (attempts counted, results not yet stored), its pool
    # processes die mid-task while the main process lives: Celery sees WorkerLostError and, with
    # reject_on_worker_lost, requeues those tasks.
    wait_until(lambda: prod.stack.pids().get("worker") not in (None, main.pid), timeout=60)
    pending = Message.objects.filter(practice=client.practice, status=MessageStatus.PENDING)
    attempts_before = pending.aggregate(n=Sum("classify_attempts"))["n"] or 0
    wait_until(
        lambda: (pending.aggregate(n=Sum("classify_attempts"))["n"] or 0) > attempts_before,
        timeout=90,
        interval=0.02,
    )
    new_main, new_children = worker_processes(prod)
    for process in new_children:
        process.send_signal(signal.SIGKILL)
    done_at_pool_kill = classified()

    assert_all_stored_once_and_classified(client, set(ids))
    assert new_main.is_running(), "killing pool processes must not take the worker down"
    summary(
        f"worker SIGKILL at {done_at_worker_kill}/{len(ids)} done, "
        f"pool SIGKILL at {done_at_pool_kill}/{len(ids)}",
        client,
    )
    assert_ready(prod)


def test_redis_restart_during_ingestion_loses_nothing(prod: Fixture):
    client = make_client(prod.stack.url)
    traffic = TrafficThread(client, prefix="R")
    traffic.start()
    wait_until(lambda: len(client.accepted()) >= 40, timeout=60)

    # Redis keeps nothing on disk here: every queued classification task dies with it.
    prod.redis.restart(down_for=3.0)
    accepted_before_restart = len(client.accepted())
    wait_until(lambda: len(client.accepted()) >= accepted_before_restart + 40, timeout=60)
    sent = traffic.stop()

    assert_no_server_errors(client)
    resend_until_accepted(client, sent)
    assert_all_stored_once_and_classified(client, set(sent))
    summary("redis restart (3 s down, nothing persisted)", client)
    assert_ready(prod)


def test_database_unavailable_for_ten_seconds_answers_503_and_recovers(prod: Fixture):
    client = make_client(prod.stack.url)
    traffic = TrafficThread(client, prefix="D", pause=0.05)
    traffic.start()
    wait_until(lambda: len(client.accepted()) >= 40, timeout=60)

    prod.proxy.stop()
    outage_started = time.monotonic()
    readyz_during_outage = http("GET", f"{prod.stack.url}/readyz", timeout=15)
    codes_before = len(client.all_codes())
    time.sleep(max(0.0, 10.0 - (time.monotonic() - outage_started)))
    codes_during_outage = client.all_codes()[codes_before:]
    prod.proxy.start()

    wait_until(lambda: len(client.accepted()) >= 80, timeout=60)
    sent = traffic.stop()

    assert readyz_during_outage[0] == 503
    assert json.loads(readyz_during_outage[2])["checks"]["database"].startswith("error")
    assert 503 in codes_during_outage, sorted(set(codes_during_outage))
    assert_no_server_errors(client)
    resend_until_accepted(client, sent)
    assert_all_stored_once_and_classified(client, set(sent))
    summary(f"database 10 s down (codes during outage {sorted(set(codes_during_outage))})", client)
    assert_ready(prod)
