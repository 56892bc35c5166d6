"""The management commands: ensure_model (what `make run` calls) and the shell versions of the
admin buttons. Training is the tiny model for two steps; nothing real is trained here.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from mlops import registry, selectors, services
from mlops.core.tiny import build_tiny_model
from mlops.models import GenerationRun, ModelStatus, PipelineRun, RunStatus, TrainingRun


@pytest.fixture(autouse=True)
def mlops_settings(settings, tmp_path):
    settings.MLOPS_RUN_IN_THREAD = False
    settings.DATA_DIR = tmp_path / "data"
    settings.MODEL_DIR = tmp_path / "models"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_ensure_model_is_a_no_op_when_a_model_is_active(db, tmp_path):
    version = services.model_register(path=build_tiny_model(tmp_path / "m", seed=1), name="m1")
    services.model_promote(model_version=version)
    output = run("ensure_model")
    assert "active model: m1" in output and "nothing to do" in output
    assert not GenerationRun.objects.exists() and not PipelineRun.objects.exists()


def test_ensure_model_leaves_an_explicitly_configured_checkpoint_alone(db, settings):
    settings.CLARIOSCOPE_MODEL = "/srv/models/intent"
    assert "nothing to do" in run("ensure_model")
    assert not PipelineRun.objects.exists()


def test_ensure_model_trains_calibrates_and_promotes_the_first_model(db, settings, tiny_model_dir):
    settings.CLARIOSCOPE_MODEL = ""
    output = run(
        "ensure_model",
        "--n-train", "70", "--n-test", "35", "--max-steps", "2", "--n-calibration", "70",
        "--base-model", str(tiny_model_dir),
    )  # fmt: skip
    active = selectors.active_model()
    assert active is not None and f"promoted {active.name}" in output
    assert registry.serving_model().version == active.name
    assert active.temperature != 1.0  # calibrated before promotion
    pipeline = PipelineRun.objects.get()
    assert pipeline.status == RunStatus.SUCCEEDED and pipeline.benchmark is None
    assert "nothing to do" in run("ensure_model")


def test_ensure_model_promotes_a_bootstrap_model_that_was_never_promoted(
    db, settings, tiny_model_dir
):
    settings.CLARIOSCOPE_MODEL = ""
    pipeline = services.pipeline_run_start(
        preset="bootstrap", n_train=70, n_test=35, max_steps=2, base_model=str(tiny_model_dir),
        benchmark=False, promote=True, enqueue=False,
    )  # fmt: skip
    pipeline.training = services.training_run_start(
        generation=services.generation_run_execute(
            run_id=services.generation_run_start(n_train=70, n_test=35, enqueue=False).pk
        ),
        preset="bootstrap",
        base_model=str(tiny_model_dir),
        max_steps=2,
        enqueue=False,
    )
    pipeline.save(update_fields=["training"])
    services.training_run_execute(run_id=pipeline.training.pk)
    output = run("ensure_model")
    assert "stopped before promoting" in output
    assert TrainingRun.objects.count() == 1
    assert selectors.active_model() == TrainingRun.objects.get().model_version


def test_shell_commands_generate_train_promote_calibrate_and_roll_back(
    db, tiny_model_dir, tmp_path
):
    assert "train 70 messages" in run("generate", "--n-train", "70", "--n-test", "35")
    output = run(
        "train", "--preset", "bootstrap", "--max-steps", "2", "--base-model", str(tiny_model_dir)
    )
    candidate = TrainingRun.objects.get().model_version
    assert candidate is not None and candidate.name in output

    first = services.model_register(path=build_tiny_model(tmp_path / "a", seed=1), name="first")
    assert "active model: first" in run("promote", "first")
    assert f"active model: {candidate.name}" in run("promote", str(candidate.pk))
    assert registry.serving_model().version == candidate.name

    assert "temperature" in run("calibrate", "--model", "active", "--n-synthetic", "70")
    candidate.refresh_from_db()
    assert candidate.temperature != 1.0

    assert "active model: first" in run("rollback")
    first.refresh_from_db()
    assert first.status == ModelStatus.ACTIVE
    assert registry.serving_model().version == "first"


def test_command_errors_are_clear(db):
    with pytest.raises(CommandError, match="no previous model"):
        run("rollback")
    with pytest.raises(CommandError, match=r"run `manage\.py generate` first"):
        run("train")
    with pytest.raises(CommandError, match="no model version 'nope'"):
        run("promote", "nope")
