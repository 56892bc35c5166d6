"""Celery tasks of the `mlops` queue (CELERY_TASK_ROUTES sends mlops.tasks.* there).

Each takes a run id and calls the run's execute service, which claims the row (so a second
delivery does nothing), records progress and ends it succeeded or failed. Without a broker
(the embedded default) `dispatch` hands runs to one background thread of this process instead,
so that an admin click returns at once and runs still go one at a time, as on the real queue.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from celery import shared_task
from django.conf import settings
from django.db import close_old_connections, connections

from mlops import services

logger = logging.getLogger(__name__)

ML_TASK = {"acks_late": True, "reject_on_worker_lost": True}


def _status(run: object | None) -> str:
    return str(getattr(run, "status", "missing"))


@shared_task(name="mlops.tasks.run_generation", soft_time_limit=1800, time_limit=1860, **ML_TASK)
def run_generation(run_id: int) -> str:
    return _status(services.generation_run_execute(run_id=run_id))


@shared_task(name="mlops.tasks.run_training", soft_time_limit=7200, time_limit=7260, **ML_TASK)
def run_training(run_id: int) -> str:
    return _status(services.training_run_execute(run_id=run_id))


@shared_task(name="mlops.tasks.run_calibration", soft_time_limit=1800, time_limit=1860, **ML_TASK)
def run_calibration(run_id: int) -> str:
    return _status(services.calibration_run_execute(run_id=run_id))


@shared_task(name="mlops.tasks.run_benchmark", soft_time_limit=3600, time_limit=3660, **ML_TASK)
def run_benchmark(run_id: int) -> str:
    return _status(services.benchmark_run_execute(run_id=run_id))


@shared_task(name="mlops.tasks.run_pipeline", soft_time_limit=10800, time_limit=10860, **ML_TASK)
def run_pipeline(run_id: int) -> str:
    return _status(services.pipeline_run_execute(run_id=run_id))


TASKS: dict[str, Callable[[int], str]] = {
    "mlops.tasks.run_generation": run_generation,
    "mlops.tasks.run_training": run_training,
    "mlops.tasks.run_calibration": run_calibration,
    "mlops.tasks.run_benchmark": run_benchmark,
    "mlops.tasks.run_pipeline": run_pipeline,
}


class _InProcessQueue:
    """One daemon thread working through runs in order: the embedded stand-in for the worker."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[str, int]] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, task_name: str, run_id: int) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="mlops-runs", daemon=True)
                self._thread.start()
        self._queue.put((task_name, run_id))

    def _work(self) -> None:
        while True:
            task_name, run_id = self._queue.get()
            try:
                close_old_connections()
                TASKS[task_name](run_id)
            except Exception:
                # The run row already says why; this only keeps the thread alive.
                logger.exception("in-process mlops run %s %s crashed", task_name, run_id)
            finally:
                connections.close_all()
                self._queue.task_done()

    def join(self) -> None:
        """Wait until every submitted run has finished (tests and shells)."""
        self._queue.join()


in_process = _InProcessQueue()


def dispatch(task_name: str, run_id: int) -> None:
    """Queue a run on the broker, or on this process's background thread when there is none."""
    from clarioscope.celery import app

    task = TASKS[task_name]
    if app.conf.task_always_eager and settings.MLOPS_RUN_IN_THREAD:
        in_process.submit(task_name, run_id)
    else:
        task.delay(run_id)  # type: ignore[attr-defined]
