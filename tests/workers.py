"""A real Celery worker for integration tests (registered in conftest.py as a pytest plugin).

`celery_worker` starts `celery -A clarioscope worker -Q default -c 1 -P prefork` in a subprocess
against TEST_REDIS_URL and the pytest test database, switches this process's Celery app from
eager execution to that broker for the duration of the test, and kills the worker at teardown.
The tests using it are transactional (the worker is another process: it only sees committed
rows) and skip with a reason on SQLite or without TEST_REDIS_URL.

Redis database TEST_REDIS_URL is flushed when a worker starts: it belongs to the tests, and a
task left unacknowledged by an earlier run must not leak into this one. Worker tests therefore
do not run in parallel with each other (no pytest-xdist across them).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent
QUEUE = "default"
READY_TIMEOUT = 90.0


def wait_for(predicate: Callable[[], Any], *, timeout: float, interval: float = 0.05) -> Any:
    """Poll until predicate() is truthy and return its value; fail after `timeout` seconds.

    A deadline for waiting on another process, not a speed assertion.
    """
    deadline = time.monotonic() + timeout
    value: Any = None
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"still waiting after {timeout:.0f}s (last value {value!r})")


def run_threads(target: Callable[[], None], count: int, *, timeout: float) -> None:
    """Run `target` in `count` threads at once and wait for all of them."""
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)


def worker_database_url() -> str:
    """postgres:// URL of the database this pytest session runs on (the test database)."""
    db = settings.DATABASES["default"]
    auth = quote(str(db.get("USER") or ""), safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(str(db["PASSWORD"]), safe="")
    host = str(db.get("HOST") or "127.0.0.1")
    port = str(db.get("PORT") or "5432")
    return f"postgres://{auth}@{host}:{port}/{quote(str(db['NAME']), safe='')}"


class CeleryWorker:
    """One worker subprocess (its own process group, so SIGKILL takes its pool children too)."""

    def __init__(self, *, redis_url: str, database_url: str, model: str, queue: str = "") -> None:
        self.redis_url = redis_url
        self.queue = queue
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "clarioscope.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "HF_HUB_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            # Served when the registry has no active ModelVersion, as in this process.
            "CLARIOSCOPE_MODEL": model,
            "CLARIOSCOPE_DATA_DIR": str(settings.DATA_DIR),
            "PYTHONUNBUFFERED": "1",
        }
        self.log_path = Path(tempfile.mkstemp(prefix="celery-worker-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        assert self.process is None, "worker already running"
        self.starts += 1
        node = f"test-{uuid.uuid4().hex[:8]}@%h"
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts}\n".encode())
            log.flush()
            command = [sys.executable, "-m", "celery", "-A", "clarioscope", "worker"]
            command += [
                "-Q",
                self.queue or QUEUE,
                "-c",
                "1",
                "-P",
                "prefork",
                "-n",
                node,
                "--loglevel=INFO",
            ]
            command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        marker = f"--- start {self.starts}\n"

        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"celery worker exited:\n{self.log_tail()}")
            text = self.log_path.read_text(errors="replace")
            return " ready." in text.rsplit(marker, 1)[-1]

        try:
            wait_for(ready, timeout=READY_TIMEOUT, interval=0.2)
        except AssertionError:
            self.kill()
            raise

    def kill(self) -> None:
        """SIGKILL the worker and its pool: no warm shutdown, no chance to ack or requeue."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        """Warm shutdown (finish the task at hand), then SIGKILL if it takes too long."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
            self.process = None
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill()

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def reset_celery_connections(app: Any) -> None:
    # Celery caches the broker connection pool, the producer pool and the result backend;
    # after the broker URL changes they must be rebuilt from the new configuration.
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None
    app._local = threading.local()


def _skip_unless_supported() -> str:
    redis_url = os.environ.get("TEST_REDIS_URL", "")
    if not redis_url:
        pytest.skip("needs Redis: set TEST_REDIS_URL (make test does when Redis answers)")
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL: a worker process cannot share the SQLite test database")
    return redis_url


@pytest.fixture(scope="session")
def _celery_worker_process(django_db_setup: Any, tiny_model_dir: Path) -> Iterator[CeleryWorker]:
    """One worker for the whole session (starting one costs seconds: Django, torch, Celery).

    Torn down before the test database is dropped, since it depends on django_db_setup. It
    serves conftest's tiny model (the session fixture; the per-test one sets it too late).
    """
    redis_url = _skip_unless_supported()
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    worker = CeleryWorker(
        redis_url=redis_url, database_url=worker_database_url(), model=str(tiny_model_dir)
    )
    try:
        worker.start()
        yield worker
    finally:
        # Killed, not stopped: tasks are idempotent and the database is about to be dropped.
        worker.kill()
        worker.log_path.unlink(missing_ok=True)


@pytest.fixture
def celery_worker(
    transactional_db: Any, _celery_worker_process: CeleryWorker
) -> Iterator[CeleryWorker]:
    """The running worker, with this process's Celery app sending to its broker for the test.

    A test may kill() and start() it; the next test gets a running worker either way.
    """
    from clarioscope.celery import app

    worker = _celery_worker_process
    if worker.process is None:
        worker.start()
    saved = {name: app.conf[name] for name in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(
        broker_url=worker.redis_url, result_backend=worker.redis_url, task_always_eager=False
    )
    reset_celery_connections(app)
    # The cache too, as in production (both on REDIS_URL): the web side marks "classification
    # queued" there and the worker's task clears the mark; in two different caches the mark
    # would never clear.
    shared_cache = override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": worker.redis_url,
                "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "clarioscope"),
            }
        }
    )
    shared_cache.enable()
    try:
        yield worker
    finally:
        shared_cache.disable()
        app.conf.update(saved)
        reset_celery_connections(app)
        if worker.process is None:
            worker.start()
