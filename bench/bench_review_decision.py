"""Decision save latency through the HTTP endpoint, on the configured database.

Creates a throwaway test database of the configured engine (a file for SQLite, a fresh database
for PostgreSQL: set DATABASE_URL), one practice, one signed-in reviewer and N queued items, then
for each item claims it (POST .../review/next/, the preload) and times the decision
(POST .../messages/<id>/decide/) through Django's full middleware stack: session, auth, CSRF,
the transaction that appends the calibration label, re-routes the message and closes the item,
and the rendered status fragment. Also times the claim and an undo. Prints a table and writes
JSON to bench/results/review_decision.json.

    .venv/bin/python bench/bench_review_decision.py [--decisions 200]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clarioscope .venv/bin/python bench/...
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clarioscope.settings")
os.environ.setdefault("CLARIOSCOPE_DATA_DIR", tempfile.mkdtemp(prefix="clarioscope-bench-"))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from clarioscope.taxonomy import INTENTS  # noqa: E402
from intake.models import Membership, Message, ReviewItem, Role  # noqa: E402
from intake.services import practice_get_or_create  # noqa: E402

WARMUP = 10


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(name: str, samples: list[float]) -> dict[str, Any]:
    ms = [s * 1000 for s in samples]
    return {
        "operation": name,
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 0.95), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
        "max_ms": round(max(ms), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def seed(count: int) -> tuple[Any, User]:
    practice, _ = practice_get_or_create(slug="bench-clinic", name="Bench Clinic")
    user = User.objects.create_user("bench.reviewer", password="bench-password-not-secret")  # noqa: S106
    Membership.objects.create(user=user, practice=practice, role=Role.REVIEWER)
    now = timezone.now()
    probabilities = {intent: 1.0 / len(INTENTS) for intent in INTENTS}
    probabilities["appointment_request"] = 0.4
    messages = Message.objects.bulk_create(
        Message(
            practice=practice,
            channel="sms",
            sender="+15550000000",
            text=f"hi can i move my appointment number {n} to friday afternoon please",
            raw_payload="{}",
            status="classified",
            label="appointment_request",
            confidence=0.4,
            probabilities=probabilities,
            model_version="bench-model",
            routed_label="appointment_request",
            destination="scheduling",
            needs_review=True,
            received_at=now,
            created_at=now,
        )
        for n in range(count)
    )
    ReviewItem.objects.bulk_create(
        ReviewItem(message=m, practice=practice, reason="low_confidence", uncertainty=0.6)
        for m in messages
    )
    return practice, user


def run(decisions: int) -> dict[str, Any]:
    practice, user = seed(decisions + WARMUP + 5)
    client = Client()
    client.force_login(user)
    base = f"/practices/{practice.slug}"
    claim_times: list[float] = []
    decide_times: list[float] = []
    undo_times: list[float] = []
    for n in range(decisions + WARMUP):
        started = time.perf_counter()
        response = client.post(f"{base}/review/next/", {"exclude": ""})
        claimed = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        body = response.content.decode()
        message_id = int(body.split('data-message-id="', 1)[1].split('"', 1)[0])
        label = INTENTS[n % len(INTENTS)]
        started = time.perf_counter()
        response = client.post(
            f"{base}/messages/{message_id}/decide/", {"label": label, "seconds": "4.2"}
        )
        decided = time.perf_counter() - started
        assert response.status_code == 200, response.content[:300]
        if n >= WARMUP:
            claim_times.append(claimed)
            decide_times.append(decided)
        if n >= WARMUP and n % 10 == 0:
            started = time.perf_counter()
            response = client.post(f"{base}/review/undo/")
            undo_times.append(time.perf_counter() - started)
            assert response.status_code == 200
            response = client.post(f"{base}/messages/{message_id}/decide/", {"label": label})
            assert response.status_code == 200
    return {
        "rows": [
            summary("decision (POST decide)", decide_times),
            summary("claim next (POST next)", claim_times),
            summary("undo (POST undo)", undo_times),
        ]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--decisions", type=int, default=200)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results" / "review_decision.json"
    )
    args = parser.parse_args()

    setup_test_environment()
    db = settings.DATABASES["default"]
    db.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        # A file, like the embedded default's database, not the in-memory test default.
        db["TEST"]["NAME"] = str(Path(tempfile.mkdtemp(prefix="bench-db-")) / "bench.sqlite3")
    else:
        db["TEST"]["NAME"] = f"bench_review_{os.getpid()}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        result = run(args.decisions)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    result.update(
        {
            "benchmark": "review decision latency through HTTP (Django test client)",
            "database": connection.vendor,
            "decisions": args.decisions,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "target_ms": 100,
            "measured_at": timezone.now().isoformat(),
        }
    )
    print(f"\nReview decision latency, {connection.vendor}, {args.decisions} decisions\n")
    header = f"{'operation':<26}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}"
    print(header)
    print("-" * len(header))
    for row in result["rows"]:
        print(
            f"{row['operation']:<26}{row['n']:>6}{row['p50_ms']:>10.2f}{row['p95_ms']:>10.2f}"
            f"{row['p99_ms']:>10.2f}{row['max_ms']:>10.2f}"
        )
    decision = result["rows"][0]
    verdict = "under" if decision["p95_ms"] < 100 else "OVER"
    print(f"\ndecision p95 {decision['p95_ms']:.1f} ms: {verdict} the 100 ms target")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
