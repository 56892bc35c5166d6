"""Latency, throughput, cold start and memory of a predict function, measured the same way for all.

These are for benchmark scripts and the benchmark page, never for tests: timings on a shared
2-core machine are too noisy to assert on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import psutil


def rss_mib() -> float:
    """Resident memory of this process in MiB."""
    return round(psutil.Process().memory_info().rss / 2**20, 1)


def measure_speed(
    predict_fn: Callable[[list[str]], Any],
    texts: Sequence[str],
    *,
    runs: int = 200,
    batch_size: int = 32,
    warmup: int = 10,
) -> dict[str, float]:
    """Single-message p50/p95/mean latency (ms) over `runs` calls, and batched messages per second.

    Messages cycle through `texts` so that the latency covers realistic length variation; the
    throughput pass sends all of `texts` (at least one batch) in batches of `batch_size`.
    """
    if not texts:
        raise ValueError("measure_speed needs at least one text")
    texts = list(texts)
    for i in range(warmup):
        predict_fn([texts[i % len(texts)]])
    single: list[float] = []
    for i in range(runs):
        text = texts[i % len(texts)]
        start = time.perf_counter()
        predict_fn([text])
        single.append((time.perf_counter() - start) * 1000.0)
    batch_texts = texts if len(texts) >= batch_size else (texts * batch_size)[:batch_size]
    start = time.perf_counter()
    for b in range(0, len(batch_texts), batch_size):
        predict_fn(batch_texts[b : b + batch_size])
    elapsed = time.perf_counter() - start
    lat = np.asarray(single)
    return {
        "p50_ms": round(float(np.percentile(lat, 50)), 3),
        "p95_ms": round(float(np.percentile(lat, 95)), 3),
        "mean_ms": round(float(lat.mean()), 3),
        "runs": runs,
        "throughput_per_s": round(len(batch_texts) / elapsed, 1) if elapsed > 0 else 0.0,
        "batch_size": batch_size,
    }


def measure_cold_start(load_fn: Callable[[], Any]) -> float:
    """Seconds that load_fn takes in this process (libraries already imported: a lower bound)."""
    start = time.perf_counter()
    load_fn()
    return round(time.perf_counter() - start, 3)


_COLD_START_SCRIPT = """
import json, sys, time
start = time.perf_counter()
from mlops.core.inference import Classifier
clf = Classifier.load(sys.argv[1], quantize=sys.argv[2] == "1")
clf.predict(["hello, I would like to book an appointment next week"])
import psutil
print(json.dumps({"seconds": time.perf_counter() - start,
                  "rss_mib": psutil.Process().memory_info().rss / 2**20}))
"""


def measure_cold_start_process(checkpoint: str, *, quantize: bool = True) -> dict[str, float]:
    """A fresh Python process's time to import, load the model and answer one message, and its RSS.

    This is what a new web process or worker pays, imports included, so it is the honest figure.
    """
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(  # noqa: S603  (our own interpreter and script)
        [sys.executable, "-c", _COLD_START_SCRIPT, checkpoint, "1" if quantize else "0"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=600,
    )
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "seconds": round(float(data["seconds"]), 3),
        "rss_mib": round(float(data["rss_mib"]), 1),
    }
