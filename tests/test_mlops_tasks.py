"""How runs reach a worker: the `mlops` queue with a broker, a background thread without one."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth.models import User
from django.test import Client

from clarioscope.celery import app
from mlops import tasks
from mlops.models import GenerationRun, RunStatus


def test_every_mlops_task_goes_to_the_mlops_queue():
    for name in tasks.TASKS:
        route = app.amqp.router.route({}, name)
        assert route["queue"].name == "mlops", name


def test_tasks_are_acked_late_so_a_dead_worker_redelivers():
    for task in tasks.TASKS.values():
        assert task.acks_late and task.reject_on_worker_lost  # type: ignore[attr-defined]


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_a_click_returns_before_the_run_and_a_thread_runs_it(settings, tmp_path):
    settings.MLOPS_RUN_IN_THREAD = True
    settings.DATA_DIR = tmp_path / "data"
    client = Client()
    client.force_login(User.objects.create_superuser("ada", password="x" * 20))

    response = client.post(
        "/admin/mlops/generationrun/start/",
        {"n_train": 70, "n_test": 35, "seed": 2, "source": "offline"},
    )
    assert response.status_code == 302
    run = GenerationRun.objects.get()
    tasks.in_process.join()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    # Ran on the background worker thread, not in the request that queued it.
    assert "thread mlops-runs" in run.log


@pytest.mark.integration
def test_a_real_worker_on_the_mlops_queue_runs_what_the_admin_queued(
    celery_worker, settings, tmp_path
):
    """The `default` worker of the suite ignores the mlops queue; a second one serves it."""
    import workers

    mlops_worker = workers.CeleryWorker(
        redis_url=celery_worker.redis_url,
        database_url=workers.worker_database_url(),
        model=celery_worker.env["CLARIOSCOPE_MODEL"],
        queue="mlops",
    )
    mlops_worker.start()
    try:
        client = Client()
        client.force_login(User.objects.create_superuser("ada", password="x" * 20))
        response = client.post(
            "/admin/mlops/generationrun/start/",
            {"n_train": 70, "n_test": 35, "seed": 2, "source": "offline"},
        )
        assert response.status_code == 302
        run = GenerationRun.objects.get()
        done = workers.wait_for(
            lambda: GenerationRun.objects.filter(pk=run.pk, status=RunStatus.SUCCEEDED).first(),
            timeout=120,
        )
        assert f"pid {os.getpid()}" not in done.log
        assert "thread MainThread" in done.log
    finally:
        mlops_worker.kill()
        mlops_worker.log_path.unlink(missing_ok=True)
