"""Locust users for bench/load_run.py: REST messages (classified in the request) and signed Twilio
SMS webhooks (classified by the workers), each with a unique external id.

Configured by environment (load_run.py sets it): BENCH_API_KEY, BENCH_PRACTICE, BENCH_TWILIO_TOKEN,
BENCH_TEXTS (a JSON list of message texts), BENCH_IDS_OUT (where the accepted ids are written at
the end), BENCH_RUN (an id prefix), BENCH_REST_WEIGHT / BENCH_SMS_WEIGHT, BENCH_USER_RATE
(requests per second per user; the total rate is users x this).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from locust import FastHttpUser, constant_throughput, events, task
from twilio.request_validator import RequestValidator

API_KEY = os.environ["BENCH_API_KEY"]
PRACTICE = os.environ["BENCH_PRACTICE"]
TWILIO_TOKEN = os.environ["BENCH_TWILIO_TOKEN"]
TEXTS: list[str] = json.loads(Path(os.environ["BENCH_TEXTS"]).read_text(encoding="utf-8"))
IDS_OUT = Path(os.environ["BENCH_IDS_OUT"])
RUN = os.environ.get("BENCH_RUN", uuid.uuid4().hex[:8])
REST_WEIGHT = int(os.environ.get("BENCH_REST_WEIGHT", "1"))
SMS_WEIGHT = int(os.environ.get("BENCH_SMS_WEIGHT", "1"))
USER_RATE = float(os.environ.get("BENCH_USER_RATE", "10"))

_counter = itertools.count()
_accepted: dict[str, list[str]] = {"rest": [], "sms": []}
# Every request: [endpoint kind, wall-clock end time, response time in ms, ok]. Percentiles are
# computed from these exact values by load_run.py (locust's own CSV rounds and can be flushed
# before the last in-flight requests end).
_samples: list[tuple[str, float, float, bool]] = []
_lock = threading.Lock()
_validator = RequestValidator(TWILIO_TOKEN)


def _record(kind: str, external_id: str, response_time_ms: float, ok: bool) -> None:
    with _lock:
        _samples.append((kind, time.time(), response_time_ms, ok))
        if ok:
            _accepted[kind].append(external_id)


@events.test_stop.add_listener
def _write_results(**_: Any) -> None:
    with _lock:
        IDS_OUT.write_text(json.dumps({**_accepted, "samples": _samples}), encoding="utf-8")


class IntakeUser(FastHttpUser):
    wait_time = constant_throughput(USER_RATE)
    # A connection per user, kept alive, as a channel provider's sender would.
    connection_timeout = 10.0
    network_timeout = 30.0

    @task(REST_WEIGHT)
    def rest_message(self) -> None:
        external_id = f"{RUN}-r{next(_counter)}"
        body = json.dumps(
            {"channel": "email", "text": random.choice(TEXTS), "external_id": external_id}
        )
        with self.client.post(
            "/api/v1/messages/",
            data=body,
            headers={"Authorization": f"Api-Key {API_KEY}", "Content-Type": "application/json"},
            name="REST POST /api/v1/messages/",
            catch_response=True,
        ) as response:
            ok = response.status_code == 201
            _record("rest", external_id, response.request_meta["response_time"], ok)
            if ok:
                response.success()
            else:
                response.failure(f"status {response.status_code}")

    @task(SMS_WEIGHT)
    def sms_webhook(self) -> None:
        # MessageSid: SM + 32 hex digits, unique per message and reproducible from the run id.
        sid = "SM" + hashlib.md5(f"{RUN}-s{next(_counter)}".encode()).hexdigest()  # noqa: S324
        path = f"/hooks/twilio/{PRACTICE}/sms/"
        params = {
            "MessageSid": sid,
            "AccountSid": "AC" + "0" * 32,
            "From": "+15550100001",
            "To": "+15550100002",
            "Body": random.choice(TEXTS)[:1600],
            "NumMedia": "0",
        }
        signature = _validator.compute_signature(f"{self.host}{path}", params)
        with self.client.post(
            path,
            data=params,
            headers={"X-Twilio-Signature": signature},
            name="SMS POST /hooks/twilio/<slug>/sms/",
            catch_response=True,
        ) as response:
            ok = response.status_code == 200
            _record("sms", sid, response.request_meta["response_time"], ok)
            if ok:
                response.success()
            else:
                response.failure(f"status {response.status_code}")
