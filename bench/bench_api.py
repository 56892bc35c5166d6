"""Latency of POST /api/v1/messages/ and batch throughput, with their floors, in one run.

    .venv/bin/python bench/bench_api.py [--requests 300] [--batches 4] [--model DIR] [--json OUT]

Starts the production stack of bench/load_run.py (gunicorn + a Celery worker against PostgreSQL
and a private redis-server on loopback), then, one request at a time:
  - GET /healthz                      the HTTP + Django floor (baseline)
  - classifier alone, in this process the model floor (baseline, same checkpoint)
  - POST /api/v1/messages/            stored, classified and routed synchronously
  - POST /api/v1/messages/batch/ (500) acknowledged at once; throughput counts until every
                                      message of the batch is classified by the worker
Prints a table and writes JSON (default bench/results/api.json).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load_run import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    OwnStack,
    newest_trained_model,
    stack_environment,
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(samples_ms: list[float]) -> dict[str, float]:
    return {
        "n": len(samples_ms),
        "p50": round(percentile(samples_ms, 0.50), 2),
        "p95": round(percentile(samples_ms, 0.95), 2),
        "p99": round(percentile(samples_ms, 0.99), 2),
        "mean": round(statistics.fmean(samples_ms), 2),
    }


def call(url: str, *, api_key: str = "", body: Any = None) -> tuple[int, float]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    request.add_header("Content-Type", "application/json")
    if api_key:
        request.add_header("Authorization", f"Api-Key {api_key}")
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
        status = response.status
    return status, (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--model", default=os.environ.get("CLARIOSCOPE_MODEL", ""))
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=2)
    parser.add_argument("--celery-concurrency", type=int, default=1)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "api.json")
    args = parser.parse_args()
    model = args.model or newest_trained_model()
    if not model:
        raise SystemExit("bench_api: no model in var/models; run `make run` once or pass --model")
    database_url = args.database_url or DEFAULT_DATABASE_URL
    env = {**stack_environment(database_url), "CLARIOSCOPE_MODEL": model}
    os.environ.update(
        {"DJANGO_SETTINGS_MODULE": "clarioscope.settings", "DATABASE_URL": database_url}
    )
    os.environ.pop("REDIS_URL", None)
    stack = OwnStack(args, env)
    print(f"bench_api: starting gunicorn + worker (model {model}) ...", flush=True)
    stack.start()
    try:
        return run(args, stack.url, model)
    finally:
        stack.stop()


def run(args: argparse.Namespace, url: str, model: str) -> int:
    import django

    django.setup()
    from intake.models import Message, MessageStatus
    from intake.services import api_key_create, practice_get_or_create
    from mlops.core.inference import Classifier
    from mlops.core.synth_test import generate_test

    practice = practice_get_or_create(slug=f"bench-api-{uuid.uuid4().hex[:6]}")[0]
    api_key = api_key_create(practice=practice, name="bench_api").raw_key
    texts = [e.text for e in generate_test(max(args.requests, args.batch_size), seed=21)]

    for text in texts[:20]:  # warm every gunicorn worker's model before timing
        call(f"{url}/api/v1/messages/", api_key=api_key, body={"channel": "chat", "text": text})

    health = [call(f"{url}/healthz")[1] for _ in range(args.requests)]
    classifier = Classifier.load(model)
    model_only = []
    for text in texts[: args.requests]:
        started = time.perf_counter()
        classifier.predict([text], batch_size=1)
        model_only.append((time.perf_counter() - started) * 1000)
    single = []
    errors = 0
    for text in texts[: args.requests]:
        status, ms = call(
            f"{url}/api/v1/messages/", api_key=api_key, body={"channel": "sms", "text": text}
        )
        errors += status != 201
        single.append(ms)

    batch_rows = []
    for b in range(args.batches):
        body = {
            "messages": [
                {"channel": "email", "text": t, "external_id": f"b{b}-{i}"}
                for i, t in enumerate(texts[: args.batch_size])
            ]
        }
        started = time.perf_counter()
        status, ack_ms = call(f"{url}/api/v1/messages/batch/", api_key=api_key, body=body)
        prefix = f"b{b}-"
        while (
            Message.objects.filter(practice=practice, external_id__startswith=prefix)
            .exclude(status=MessageStatus.PENDING)
            .count()
            < args.batch_size
        ):
            if time.perf_counter() - started > 600:
                raise SystemExit("bench_api: batch not classified within 600 s")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        batch_rows.append(
            {
                "status": status,
                "ack_ms": round(ack_ms, 1),
                "seconds": round(seconds, 2),
                "messages_per_s": round(args.batch_size / seconds, 1),
            }
        )

    result = {
        "model": model,
        "machine": {"cpus": os.cpu_count(), "loadavg_end": os.getloadavg()},
        "web_workers": args.web_workers,
        "celery_concurrency": args.celery_concurrency,
        "latency_ms": {
            "healthz (HTTP floor)": summary(health),
            "classifier alone (model floor)": summary(model_only),
            "POST /api/v1/messages/": summary(single),
        },
        "single_errors": errors,
        "batch": {
            "size": args.batch_size,
            "runs": batch_rows,
            "messages_per_s_median": statistics.median(r["messages_per_s"] for r in batch_rows),
        },
    }
    print(f"\n{'what':34} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, s in result["latency_ms"].items():
        print(f"{name:34} {s['p50']:8.2f} {s['p95']:8.2f} {s['p99']:8.2f}")
    print(f"\nPOST errors: {errors} of {len(single)}")
    ack_p50 = statistics.median(r["ack_ms"] for r in batch_rows)
    rate = result["batch"]["messages_per_s_median"]
    print(f"batch of {args.batch_size}: acknowledged in {ack_p50:.0f} ms (median),")
    print(f"  classified at {rate:.1f} messages/s (median of {len(batch_rows)} batches)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.json}")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
