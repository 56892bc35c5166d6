"""The MLOps admin through HTTP: each button creates a run, the (eager) task runs it, the run page
shows progress and log, promote and rollback switch the serving model in this process.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import PASSWORD, login
from django.contrib.auth.models import User
from django.test import Client

from mlops import registry, selectors, services
from mlops.core.tiny import build_tiny_model
from mlops.models import (
    BenchmarkRun,
    CalibrationRun,
    GenerationRun,
    ModelStatus,
    ModelVersion,
    PipelineRun,
    RunStatus,
    TrainingRun,
)


@pytest.fixture(autouse=True)
def mlops_settings(settings, tmp_path):
    settings.MLOPS_RUN_IN_THREAD = False
    settings.DATA_DIR = tmp_path / "data"
    settings.MODEL_DIR = tmp_path / "models"


@pytest.fixture
def admin_client(db) -> Client:
    user = User.objects.create_superuser("ada.admin", password=PASSWORD)
    return login(Client(), user)


@pytest.fixture
def click(admin_client, django_capture_on_commit_callbacks):
    """POST a button's form and run what it queued, as the worker would."""

    def post(url: str, data: dict | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            return admin_client.post(url, data or {})

    return post


def new_run(model, response):
    assert response.status_code == 302, response.content.decode()[:2000]
    run = model.objects.latest("pk")
    assert response["Location"] == f"/admin/mlops/{model._meta.model_name}/{run.pk}/change/"
    return run


def register_tiny(tmp_path: Path, name: str, seed: int) -> ModelVersion:
    path = build_tiny_model(tmp_path / "checkpoints" / name, seed=seed)
    return services.model_register(path=path, name=name)


def no_inline_script(html: str) -> bool:
    return all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))


def test_mlops_admin_index_shows_every_button(admin_client):
    page = admin_client.get("/admin/mlops/").content.decode()
    for label in (
        "Regenerate, retrain and re-benchmark",
        "Generate",
        "Train",
        "Benchmark",
        "Calibrate",
        "Promote a candidate",
    ):
        assert label in page
    assert no_inline_script(page)


def test_generate_button_creates_a_run_that_the_task_completes(admin_client, click):
    form = admin_client.get("/admin/mlops/generationrun/start/")
    assert form.status_code == 200 and b'name="n_train"' in form.content
    response = click(
        "/admin/mlops/generationrun/start/",
        {"n_train": 70, "n_test": 35, "seed": 4, "source": "offline"},
    )
    run = new_run(GenerationRun, response)
    assert run.status == RunStatus.SUCCEEDED and run.progress == 1.0
    page = admin_client.get(response["Location"]).content.decode()
    assert "training set: 70 messages" in page
    assert f'data-status-url="/mlops/runs/generation/{run.pk}/status.json"' in page
    assert "mlops/run_progress.js" in page and no_inline_script(page)

    status = admin_client.get(f"/mlops/runs/generation/{run.pk}/status.json").json()
    assert status["status"] == "succeeded" and status["finished"] and status["progress"] == 1.0
    assert "test set: 35 messages" in status["log"]


def test_a_queued_run_page_survives_a_reload_and_reports_progress(admin_client):
    run = services.generation_run_start(n_train=14, n_test=14, enqueue=False)
    status = admin_client.get(f"/mlops/runs/generation/{run.pk}/status.json").json()
    assert status["status"] == "queued" and not status["finished"]
    services.generation_run_execute(run_id=run.pk)
    again = admin_client.get(f"/admin/mlops/generationrun/{run.pk}/change/")
    assert b"succeeded" in again.content


def test_train_calibrate_benchmark_promote_and_rollback_from_the_admin(
    admin_client, click, tiny_model_dir, tmp_path
):
    served = services.model_promote(model_version=register_tiny(tmp_path, "served", seed=1))
    generation = new_run(
        GenerationRun,
        click(
            "/admin/mlops/generationrun/start/",
            {"n_train": 70, "n_test": 35, "seed": 4, "source": "offline"},
        ),
    )

    training = new_run(
        TrainingRun,
        click(
            "/admin/mlops/trainingrun/start/",
            {
                "generation": generation.pk,
                "preset": "bootstrap",
                "max_steps": 2,
                "base_model": str(tiny_model_dir),
                "seed": 0,
            },
        ),
    )
    assert training.status == RunStatus.SUCCEEDED, training.error
    candidate = training.model_version
    assert candidate.status == ModelStatus.CANDIDATE

    calibration = new_run(
        CalibrationRun,
        click(
            "/admin/mlops/calibrationrun/start/",
            {
                "model_version": candidate.pk,
                "target_precision": 0.95,
                "source": "synthetic",
                "n_synthetic": 140,
                "apply": "on",
            },
        ),
    )
    assert calibration.status == RunStatus.SUCCEEDED, calibration.error
    candidate.refresh_from_db()
    assert candidate.temperature == calibration.results["temperature"]

    benchmark = new_run(
        BenchmarkRun,
        click(
            "/admin/mlops/benchmarkrun/start/",
            {
                "model_versions": [served.pk, candidate.pk],
                "generation": generation.pk,
                "tfidf": "on",
                "speed_runs": 5,
            },
        ),
    )
    assert benchmark.status == RunStatus.SUCCEEDED, benchmark.error
    page = admin_client.get(f"/mlops/benchmarks/{benchmark.pk}/").content.decode()
    assert "synthetic_test" in page and "tfidf-logreg" in page and "(published)" in page
    assert no_inline_script(page)
    pictures = re.findall(r'<img src="([^"]+\.svg)"', page)
    assert pictures
    svg = admin_client.get(pictures[0])
    assert svg["Content-Type"].startswith("image/svg+xml") and svg.content.startswith(b"<svg")
    assert f'action="/mlops/models/{candidate.pk}/promote/"' in page

    assert registry.serving_model().version == "served"
    promoted = admin_client.post(
        f"/admin/mlops/modelversion/{candidate.pk}/promote/", {}, follow=True
    )
    assert b"is now the active model" in promoted.content
    assert registry.serving_model().version == candidate.name

    rolled_back = admin_client.post("/admin/mlops/modelversion/rollback/", {}, follow=True)
    assert b"Rolled back" in rolled_back.content
    assert registry.serving_model().version == "served"


def test_promote_from_the_benchmark_page_and_the_admin_action(admin_client, db, tmp_path):
    first = register_tiny(tmp_path, "first", seed=1)
    second = register_tiny(tmp_path, "second", seed=2)
    benchmark = BenchmarkRun.objects.create(status=RunStatus.SUCCEEDED, results={"models": []})

    response = admin_client.post(
        f"/mlops/models/{first.pk}/promote/", {"back_to_benchmark": benchmark.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/mlops/benchmarks/{benchmark.pk}/"
    assert registry.serving_model().version == "first"

    admin_client.post(
        "/admin/mlops/modelversion/",
        {"action": "promote_selected", "_selected_action": [second.pk]},
    )
    assert registry.serving_model().version == "second"
    first.refresh_from_db()
    assert first.status == ModelStatus.RETIRED


def test_a_failed_training_page_says_why_and_the_active_model_keeps_serving(
    admin_client, click, tmp_path
):
    served = services.model_promote(model_version=register_tiny(tmp_path, "served", seed=1))
    generation = new_run(
        GenerationRun,
        click(
            "/admin/mlops/generationrun/start/",
            {"n_train": 14, "n_test": 14, "seed": 1, "source": "offline"},
        ),
    )
    run = new_run(
        TrainingRun,
        click(
            "/admin/mlops/trainingrun/start/",
            {
                "generation": generation.pk,
                "preset": "bootstrap",
                "max_steps": 1,
                "seed": 0,
                "base_model": str(tmp_path / "missing-checkpoint"),
            },
        ),
    )
    assert run.status == RunStatus.FAILED
    page = admin_client.get(f"/admin/mlops/trainingrun/{run.pk}/change/").content.decode()
    assert "missing-checkpoint" in page and "changes nothing that serves" in page
    assert selectors.active_model() == served
    assert registry.serving_model().version == "served"


def test_pipeline_button_regenerates_retrains_and_rebenchmarks(admin_client, click, tiny_model_dir):
    run = new_run(
        PipelineRun,
        click(
            "/admin/mlops/pipelinerun/start/",
            {
                "preset": "bootstrap",
                "n_train": 70,
                "n_test": 35,
                "max_steps": 2,
                "base_model": str(tiny_model_dir),
                "speed_runs": 5,
            },
        ),
    )
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.training.model_version.status == ModelStatus.CANDIDATE
    models = run.benchmark.results["models"]
    assert [m["name"] for m in models][:1] == [run.training.model_version.name]
    page = admin_client.get(f"/admin/mlops/pipelinerun/{run.pk}/change/").content.decode()
    assert "Benchmark page" in page and f"/mlops/benchmarks/{run.benchmark.pk}/" in page


def test_rollback_without_a_previous_model_is_refused_politely(admin_client):
    response = admin_client.post("/admin/mlops/modelversion/rollback/", {}, follow=True)
    assert b"No previous model to roll back to" in response.content  # the admin capitalises


def test_buttons_only_accept_post(admin_client, tmp_path):
    version = register_tiny(tmp_path, "m", seed=1)
    assert admin_client.get(f"/admin/mlops/modelversion/{version.pk}/promote/").status_code == 405
    assert admin_client.get("/admin/mlops/modelversion/rollback/").status_code == 405
    assert ModelVersion.objects.get(pk=version.pk).status == ModelStatus.CANDIDATE


def test_ml_staff_see_benchmarks_but_not_the_admin_or_the_promote_button(
    client, ml_staff, tmp_path
):
    version = register_tiny(tmp_path, "m", seed=1)
    benchmark = BenchmarkRun.objects.create(status=RunStatus.SUCCEEDED, results={"models": []})
    login(client, ml_staff)
    assert client.get("/mlops/").status_code == 200
    assert client.get(f"/mlops/benchmarks/{benchmark.pk}/").status_code == 200
    assert client.get(f"/mlops/runs/benchmark/{benchmark.pk}/status.json").status_code == 200
    # The admin refuses signed-in users who are not staff (403; or its sign-in page, 302).
    assert client.get("/admin/mlops/").status_code in (302, 403)
    assert client.post(f"/mlops/models/{version.pk}/promote/").status_code == 403
    assert client.post("/admin/mlops/modelversion/rollback/").status_code in (302, 403)
    assert selectors.active_model() is None


@pytest.mark.parametrize(
    "url",
    [
        "/mlops/",
        "/mlops/benchmarks/{pk}/",
        "/mlops/benchmarks/{pk}.json",
        "/mlops/runs/benchmark/{pk}/status.json",
        "/mlops/runs/benchmark/{pk}/",
    ],
)
def test_reviewers_get_403_and_anonymous_users_the_login(client, reviewer, url):
    benchmark = BenchmarkRun.objects.create(status=RunStatus.SUCCEEDED, results={"models": []})
    target = url.format(pk=benchmark.pk)
    anonymous = client.get(target)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    login(client, reviewer)
    assert client.get(target).status_code == 403


def test_benchmark_json_download(admin_client, db):
    benchmark = BenchmarkRun.objects.create(
        status=RunStatus.SUCCEEDED, results={"models": [], "published": []}
    )
    response = admin_client.get(f"/mlops/benchmarks/{benchmark.pk}.json")
    assert response.status_code == 200
    assert json.loads(response.content) == {"models": [], "published": []}
