"""The model lifecycle through its services: runs, registration, promotion, rollback, calibration.

Training always starts from the session's tiny model for a couple of steps: the whole path (data,
loop, save, hash, register) runs in seconds and no real model is trained.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from clarioscope.errors import ApplicationError
from clarioscope.taxonomy import INTENTS
from intake.services import message_ingest
from mlops import registry, selectors, services
from mlops.core.tiny import build_tiny_model
from mlops.models import (
    CalibrationRun,
    GenerationRun,
    ModelStatus,
    ModelVersion,
    PipelineRun,
    RunStatus,
    TrainingRun,
)
from review.models import CalibrationLabel, DecisionKind


@pytest.fixture(autouse=True)
def mlops_settings(settings, tmp_path):
    # Eager Celery without the background thread: a run finishes when its transaction commits.
    settings.MLOPS_RUN_IN_THREAD = False
    settings.DATA_DIR = tmp_path / "data"
    settings.MODEL_DIR = tmp_path / "models"


@pytest.fixture
def generation(db, django_capture_on_commit_callbacks) -> GenerationRun:
    with django_capture_on_commit_callbacks(execute=True):
        run = services.generation_run_start(n_train=70, n_test=35, seed=3)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run


@pytest.fixture
def candidate(generation, tiny_model_dir, django_capture_on_commit_callbacks) -> ModelVersion:
    with django_capture_on_commit_callbacks(execute=True):
        run = services.training_run_start(
            generation=generation, preset="bootstrap", base_model=str(tiny_model_dir), max_steps=2
        )
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.model_version is not None
    return run.model_version


def register_tiny(tmp_path: Path, name: str, seed: int) -> ModelVersion:
    path = build_tiny_model(tmp_path / "checkpoints" / name, seed=seed)
    return services.model_register(path=path, name=name)


def test_generation_run_writes_both_datasets_and_a_data_report(generation):
    path = Path(generation.path)
    assert (path / "train.jsonl").is_file() and (path / "test.jsonl").is_file()
    assert len(services.generation_examples(generation, "train")) == 70
    assert len(services.generation_examples(generation, "test")) == 35
    assert len(generation.train_sha256) == len(generation.test_sha256) == 64
    report = generation.report
    assert set(report["train"]["per_intent"]) == set(INTENTS)
    for figure in ("greetingless_openers", "abbreviations", "no_terminal_punctuation"):
        assert figure in report["train"] and figure in report["test"]
    assert "near_duplicates" in report["leakage"]
    assert generation.progress == 1.0 and generation.finished_at is not None
    assert "training set: 70 messages" in generation.log


def test_training_registers_a_candidate_with_the_sha256_of_its_files(candidate):
    path = Path(candidate.path)
    assert path.parent == settings.MODEL_DIR and path.name == candidate.name
    assert candidate.status == ModelStatus.CANDIDATE
    assert candidate.sha256 == services.directory_sha256(path)
    assert not list(settings.MODEL_DIR.glob(".partial-*"))
    assert candidate.metrics["steps"] == 2
    assert "macro_f1" in candidate.metrics["synthetic_test"]
    run = TrainingRun.objects.get(model_version=candidate)
    assert run.progress == 1.0 and "registered candidate" in run.log


def test_failed_training_says_why_and_leaves_the_active_model_serving(
    generation, tmp_path, django_capture_on_commit_callbacks
):
    active = services.model_promote(model_version=register_tiny(tmp_path, "served", seed=1))
    with django_capture_on_commit_callbacks(execute=True):
        run = services.training_run_start(
            generation=generation, base_model=str(tmp_path / "no-such-checkpoint"), max_steps=2
        )
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "no-such-checkpoint" in run.error
    assert "failed:" in run.log
    assert ModelVersion.objects.count() == 1
    assert selectors.active_model() == active
    assert registry.serving_model().version == "served"
    assert not settings.MODEL_DIR.exists() or not list(settings.MODEL_DIR.iterdir())


def test_promote_and_rollback_switch_the_serving_model_without_a_restart(db, tmp_path):
    first = register_tiny(tmp_path, "model-a", seed=1)
    second = register_tiny(tmp_path, "model-b", seed=2)

    services.model_promote(model_version=first)
    assert registry.serving_model().version == "model-a"

    services.model_promote(model_version=second)
    assert registry.serving_model().version == "model-b"
    first.refresh_from_db()
    assert first.status == ModelStatus.RETIRED
    assert ModelVersion.objects.filter(status=ModelStatus.ACTIVE).count() == 1

    restored = services.model_rollback()
    assert restored == first
    assert registry.serving_model().version == "model-a"
    second.refresh_from_db()
    assert second.status == ModelStatus.RETIRED and restored.promoted_at > second.promoted_at

    # Rolling back again undoes the rollback.
    assert services.model_rollback() == second
    assert registry.serving_model().version == "model-b"


def test_rollback_without_a_previous_model_is_refused(db, tmp_path):
    services.model_promote(model_version=register_tiny(tmp_path, "only", seed=1))
    with pytest.raises(ApplicationError, match="no previous model"):
        services.model_rollback()


def test_promoting_a_model_whose_files_changed_is_refused(db, tmp_path):
    served = services.model_promote(model_version=register_tiny(tmp_path, "served", seed=1))
    tampered = register_tiny(tmp_path, "tampered", seed=2)
    (Path(tampered.path) / "config.json").write_text("{}")
    with pytest.raises(ApplicationError, match="sha256"):
        services.model_promote(model_version=tampered)
    assert selectors.active_model() == served
    assert registry.serving_model().version == "served"


def test_promoting_a_model_that_cannot_load_is_refused(db, tmp_path):
    broken_dir = build_tiny_model(tmp_path / "broken", seed=1, labels=[*INTENTS[:6], "spam"])
    broken = services.model_register(path=broken_dir, name="broken")
    with pytest.raises(ApplicationError, match="cannot serve"):
        services.model_promote(model_version=broken)
    broken.refresh_from_db()
    assert broken.status == ModelStatus.CANDIDATE


def test_calibration_fits_a_temperature_on_held_out_synthetic_data(
    candidate, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.calibration_run_start(model_version=candidate, n_synthetic=140)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    results = run.results
    assert results["source"].startswith("held-out synthetic")
    assert results["temperature"] > 0 and results["temperature"] != 1.0
    # Temperature scaling fits the NLL, so it can only improve on T = 1 on its own data.
    assert results["after"]["nll"] <= results["before"]["nll"] + 1e-9
    candidate.refresh_from_db()
    assert candidate.temperature == results["temperature"]
    assert set(candidate.suggested_thresholds) == set(INTENTS)
    assert all(0.0 <= t <= 1.0 for t in candidate.suggested_thresholds.values())


def label(practice, reviewer, text: str, intent: str, **extra) -> CalibrationLabel:
    message = message_ingest(practice=practice, channel="sms", text=text).message
    return CalibrationLabel.objects.create(
        message=message,
        practice=practice,
        kind=extra.pop("kind", DecisionKind.CORRECT),
        predicted_label=extra.pop("predicted_label", "complaint"),
        reviewer_label=intent,
        reviewer=reviewer,
        **extra,
    )


def test_calibration_set_takes_the_latest_decision_per_message_and_skips_undone_ones(
    practice, reviewer
):
    first = label(practice, reviewer, "need to move my appt", "billing_inquiry")
    CalibrationLabel.objects.create(
        message=first.message,
        practice=practice,
        kind=DecisionKind.CORRECT,
        predicted_label="complaint",
        reviewer_label="appointment_request",
        reviewer=reviewer,
        created_at=timezone.now() + timedelta(seconds=5),
    )
    undone = label(practice, reviewer, "bill is wrong", "complaint")
    CalibrationLabel.objects.create(
        message=undone.message,
        practice=practice,
        kind=DecisionKind.UNDO,
        undoes=undone,
        reviewer=reviewer,
    )
    label(
        practice,
        reviewer,
        "what do you charge",
        "",
        kind=DecisionKind.ACCEPT,
        predicted_label="price_shopper",
    )

    examples = sorted(selectors.calibration_set().examples, key=lambda ex: ex.text)
    assert [(ex.text, ex.label) for ex in examples] == [
        ("need to move my appt", "appointment_request"),
        ("what do you charge", "price_shopper"),
    ]


def test_calibration_uses_reviewer_labels_once_there_are_enough(
    candidate, practice, reviewer, django_capture_on_commit_callbacks
):
    for i in range(services.MIN_CALIBRATION_LABELS):
        label(practice, reviewer, f"message number {i} about my visit", INTENTS[i % 7])
    with django_capture_on_commit_callbacks(execute=True):
        run = services.calibration_run_start(model_version=candidate, target_precision=0.9)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.results["source"].startswith("reviewer calibration labels")
    assert run.results["n"] == services.MIN_CALIBRATION_LABELS
    assert run.results["target_precision"] == 0.9


def test_a_finished_run_is_not_run_again(generation):
    log_before = generation.log
    again = services.generation_run_execute(run_id=generation.pk)
    assert again is not None and again.status == RunStatus.SUCCEEDED
    assert again.log == log_before


def test_a_run_whose_worker_died_is_restarted_by_the_redelivered_task(db):
    run = services.generation_run_start(n_train=14, n_test=14, enqueue=False)
    long_ago = timezone.now() - timedelta(seconds=settings.MLOPS_STALE_RUN_SECONDS + 60)
    GenerationRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, started_at=long_ago, heartbeat_at=long_ago
    )
    done = services.generation_run_execute(run_id=run.pk)
    assert done is not None and done.status == RunStatus.SUCCEEDED
    assert "previous attempt stopped without finishing" in done.log


def test_a_run_in_progress_elsewhere_is_left_alone(db):
    run = services.generation_run_start(n_train=14, n_test=14, enqueue=False)
    GenerationRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    assert services.generation_run_execute(run_id=run.pk).status == RunStatus.RUNNING


def test_pipeline_generates_trains_calibrates_and_benchmarks_as_one_run(
    db, tiny_model_dir, tmp_path, django_capture_on_commit_callbacks
):
    from mlops.benchmark import BenchmarkOptions

    active = services.model_promote(model_version=register_tiny(tmp_path, "served", seed=1))
    options = BenchmarkOptions(
        speed_runs=3,
        speed_texts=8,
        cold_start="in_process",
        tfidf=False,
        deberta=False,
        llm=False,
        max_eval=20,
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = services.pipeline_run_start(
            preset="bootstrap",
            n_train=70,
            n_test=35,
            max_steps=2,
            base_model=str(tiny_model_dir),
            calibration_n_synthetic=70,
            benchmark_options=options,
        )
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.generation.status == run.training.status == run.benchmark.status == "succeeded"
    calibration = CalibrationRun.objects.get(pk=run.params["calibration_run_id"])
    candidate = run.training.model_version
    assert calibration.model_version == candidate and calibration.status == "succeeded"
    names = {m["name"]: m for m in run.benchmark.results["models"]}
    assert names[active.name]["active"] and not names[candidate.name]["active"]
    # The pipeline does not promote by itself: an admin decides after reading the benchmark.
    assert selectors.active_model() == active
    assert run.progress == 1.0
    assert "[training run" in run.log


def test_a_failed_stage_fails_the_pipeline_with_the_stage_reason(
    db, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.pipeline_run_start(
            preset="bootstrap",
            n_train=14,
            n_test=14,
            max_steps=1,
            base_model=str(tmp_path / "missing"),
            benchmark=False,
        )
    run = PipelineRun.objects.get(pk=run.pk)
    assert run.status == RunStatus.FAILED
    assert run.error.startswith(f"ApplicationError: training run {run.training_id} failed")
    assert not ModelVersion.objects.exists()
