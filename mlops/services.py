"""Writes for the model lifecycle: runs (generate, train, calibrate, benchmark, pipeline),
registration of trained models, promotion and rollback.

Every run is a row created by `<kind>_run_start` before any work is queued; `<kind>_run_execute`
(called by the Celery task, a management command or the pipeline) claims the row, records progress
and log lines on it, and ends it as succeeded or failed with the reason. A failed run never touches
what serves: a trained model is registered as a candidate only after its files are complete, and
only model_promote / model_rollback (or calibrating the active model) change the active model.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

from clarioscope.errors import ApplicationError
from clarioscope.taxonomy import INTENTS
from mlops import registry, selectors
from mlops.benchmark import BenchmarkOptions, run_benchmark
from mlops.core.base import default_base_checkpoint
from mlops.core.data import Example, dataset_sha256, read_jsonl, write_jsonl
from mlops.models import (
    BenchmarkRun,
    CalibrationRun,
    GenerationRun,
    ModelStatus,
    ModelVersion,
    PipelineRun,
    Run,
    RunStatus,
    TrainingRun,
)

logger = logging.getLogger(__name__)

Echo = Callable[[float, str], None]
RunT = TypeVar("RunT", bound=Run)
User = AbstractBaseUser | AnonymousUser | None

# Progress is written at most this often (training reports every step, generation every 1%).
PROGRESS_WRITE_SECONDS = 0.5
# A progress message also becomes a log line every this much progress or this many seconds.
PROGRESS_LOG_STEP = 0.1
PROGRESS_LOG_SECONDS = 60.0
# Fewer reviewer labels than this say little about calibration; held-out synthetic data is used.
MIN_CALIBRATION_LABELS = 30
# Held-out synthetic calibration data comes from the training generator with a seed no
# generation run uses by default, minus any text of the model's own training set.
CALIBRATION_SEED_OFFSET = 1_000_003
MAX_TRAIN_EVAL_EXAMPLES = 2000
TRAIN_FILE = "train.jsonl"
TEST_FILE = "test.jsonl"


# --- progress, logs and the claim of a run ---------------------------------------------------


class RunRecorder:
    """Progress, log lines and heartbeat of one run row, throttled, optionally echoed elsewhere.

    `parent` mirrors this run's progress into a pipeline's row, scaled into [start, end]; `echo`
    drives a terminal progress bar for management commands. Each write is its own statement,
    outside any transaction, so the run page sees it at once.
    """

    def __init__(
        self,
        run: Run,
        *,
        echo: Echo | None = None,
        parent: tuple[RunRecorder, float, float] | None = None,
    ) -> None:
        self._model = type(run)
        self._pk = run.pk
        self._echo = echo
        self._parent = parent
        self._last_write = 0.0
        self._last_log_time = time.monotonic()
        self._last_log_fraction = 0.0
        self.fraction = 0.0

    def _rows(self) -> Any:
        return self._model._default_manager.filter(pk=self._pk)

    def progress(self, fraction: float, message: str, *, force: bool = False) -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        self.fraction = fraction
        message = message[:300]
        now = time.monotonic()
        if self._echo is not None:
            self._echo(fraction, message)
        if self._parent is not None:
            parent, start, end = self._parent
            parent.progress(start + (end - start) * fraction, message, force=force)
        if not force and now - self._last_write < PROGRESS_WRITE_SECONDS:
            return
        self._last_write = now
        self._rows().update(
            progress=fraction, progress_message=message, heartbeat_at=timezone.now()
        )
        if (
            force
            or fraction - self._last_log_fraction >= PROGRESS_LOG_STEP
            or now - self._last_log_time >= PROGRESS_LOG_SECONDS
        ):
            self._append(f"{fraction:6.1%}  {message}")
            self._last_log_fraction = fraction
            self._last_log_time = now

    def log(self, line: str) -> None:
        self._append(line)
        if self._parent is not None:
            parent, _, _ = self._parent
            parent.log(f"[{self._model._meta.verbose_name} {self._pk}] {line}")

    def _append(self, line: str) -> None:
        stamp = timezone.now().strftime("%H:%M:%S")
        text = "".join(f"{stamp} {part}\n" for part in line.rstrip("\n").split("\n"))
        self._rows().update(log=Concat(F("log"), Value(text)), heartbeat_at=timezone.now())


def _claim(model: type[Run], run_id: int) -> bool:
    """Queued -> running, or take over a running row whose worker stopped sending heartbeats.

    A conditional update, so two deliveries of the same task never both run it; a task
    redelivered after its worker died (acks_late) restarts the work instead of waiting forever.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.MLOPS_STALE_RUN_SECONDS)
    claimable = Q(status=RunStatus.QUEUED) | Q(
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True), status=RunStatus.RUNNING
    )
    return (
        model._default_manager.filter(claimable, pk=run_id).update(
            status=RunStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            progress=0.0,
            progress_message="started",
            error="",
        )
        == 1
    )


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return (f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:2000]


def _execute(
    model: type[RunT],
    run_id: int,
    body: Callable[[RunT, RunRecorder], dict[str, Any]],
    *,
    echo: Echo | None,
    parent: tuple[RunRecorder, float, float] | None,
) -> RunT | None:
    """Claim the run, call body, record success (body's fields) or failure (the reason)."""
    rows = model._default_manager
    was_running = rows.filter(pk=run_id, status=RunStatus.RUNNING).exists()
    if not _claim(model, run_id):
        return rows.filter(pk=run_id).first()
    run = rows.get(pk=run_id)
    recorder = RunRecorder(run, echo=echo, parent=parent)
    if was_running:
        recorder.log("the previous attempt stopped without finishing (no heartbeat); restarting")
    recorder.log(f"started (pid {os.getpid()}, thread {threading.current_thread().name})")
    try:
        fields = body(run, recorder)
    except BaseException as exc:
        # Ctrl-C in a command or a worker shutting down: the row says so instead of staying
        # "running" until its heartbeat goes stale.
        reason = (
            _reason(exc) if isinstance(exc, Exception) else f"interrupted ({type(exc).__name__})"
        )
        # Exceptions here come from our code and libraries, never with message text in them.
        logger.error("%s %s failed: %s", model._meta.model_name, run_id, type(exc).__name__)
        recorder.log("failed: " + reason)
        recorder.log(traceback.format_exc(limit=8))
        rows.filter(pk=run_id).update(
            status=RunStatus.FAILED,
            error=reason,
            finished_at=timezone.now(),
            progress_message="failed",
        )
        if not isinstance(exc, Exception):
            raise
        return rows.get(pk=run_id)
    rows.filter(pk=run_id).update(
        status=RunStatus.SUCCEEDED,
        progress=1.0,
        progress_message="done",
        finished_at=timezone.now(),
        **fields,
    )
    recorder.progress(1.0, "done", force=True)
    recorder.log("succeeded")
    return rows.get(pk=run_id)


def _enqueue(task_name: str, run_id: int) -> None:
    # Imported here: tasks import this module.
    from mlops import tasks

    transaction.on_commit(lambda: tasks.dispatch(task_name, run_id))


def _user_id(user: User) -> int | None:
    return user.pk if user is not None and user.is_authenticated else None


# --- generation ----------------------------------------------------------------------------


def generation_run_start(
    *,
    n_train: int = 9000,
    n_test: int = 1200,
    seed: int = 0,
    source: str = "offline",
    created_by: User = None,
    enqueue: bool = True,
) -> GenerationRun:
    """`source`: "offline" (the project's generator, $0) or "llm" (the training set from an
    OpenAI-compatible API, when a key is configured). The test set always comes from the
    independent offline test generator, so the benchmark measures generalisation either way."""
    if not 7 <= n_train <= 200_000 or not 7 <= n_test <= 50_000:
        raise ApplicationError("n_train must be 7..200000 and n_test 7..50000")
    if source not in {"offline", "llm"}:
        raise ApplicationError("source must be offline or llm")
    if source == "llm" and not settings.OPENAI_API_KEY:
        raise ApplicationError("the LLM generator needs OPENAI_API_KEY (and OPENAI_BASE_URL)")
    with transaction.atomic(durable=True):
        run = GenerationRun.objects.create(
            n_train=n_train,
            n_test=n_test,
            seed=seed,
            params={"n_train": n_train, "n_test": n_test, "seed": seed, "source": source},
            created_by_id=_user_id(created_by),
        )
        if enqueue:
            _enqueue("mlops.tasks.run_generation", run.pk)
    return run


def generation_run_execute(
    *,
    run_id: int,
    echo: Echo | None = None,
    parent: tuple[RunRecorder, float, float] | None = None,
) -> GenerationRun | None:
    return _execute(GenerationRun, run_id, _generate, echo=echo, parent=parent)


def _generate(run: GenerationRun, rec: RunRecorder) -> dict[str, Any]:
    from mlops.core.realism import leakage_check, realism_report
    from mlops.core.synth_test import generate_test
    from mlops.core.synth_train import generate_train

    out = settings.DATA_DIR / "datasets" / f"generation-{run.pk}"
    rec.log(f"generating {run.n_train} training and {run.n_test} test messages, seed {run.seed}")
    started = time.perf_counter()

    def train_progress(done: int, total: int) -> None:
        rec.progress(0.6 * done / total, f"training set {done}/{total}")

    if run.params.get("source") == "llm":
        from mlops.core.llm_generator import generate_llm

        generator = f"LLM generator, {settings.LLM_GENERATOR_MODEL}"
        train = generate_llm(
            run.n_train,
            base_url=settings.OPENAI_BASE_URL,
            api_key=settings.OPENAI_API_KEY,
            model=settings.LLM_GENERATOR_MODEL,
            seed=run.seed,
            progress=train_progress,
        )
    else:
        generator = "offline training generator"
        train = generate_train(run.n_train, run.seed, train_progress)
    train_seconds = time.perf_counter() - started
    rec.log(f"training set: {len(train)} messages in {train_seconds:.1f} s ({generator})")
    started = time.perf_counter()
    test = generate_test(
        run.n_test,
        run.seed,
        lambda done, total: rec.progress(0.6 + 0.2 * done / total, f"test set {done}/{total}"),
    )
    test_seconds = time.perf_counter() - started
    rec.log(f"test set: {len(test)} messages in {test_seconds:.1f} s (independent test generator)")
    rec.progress(0.85, "realism report and leakage check", force=True)
    report: dict[str, Any] = {
        "train": realism_report(train),
        "test": realism_report(test),
        "leakage": leakage_check(train, test),
        "seconds": {"train": round(train_seconds, 2), "test": round(test_seconds, 2)},
        "generators": {"train": generator, "test": "offline independent test generator"},
    }
    rec.progress(0.95, "writing files", force=True)
    write_jsonl(out / TRAIN_FILE, train)
    write_jsonl(out / TEST_FILE, test)
    rec.log(f"wrote {out}")
    return {
        "path": str(out),
        "train_sha256": dataset_sha256(train),
        "test_sha256": dataset_sha256(test),
        "report": report,
    }


def generation_examples(generation: GenerationRun, which: str) -> list[Example]:
    return read_jsonl(Path(generation.path) / (TRAIN_FILE if which == "train" else TEST_FILE))


# --- training and registration ---------------------------------------------------------------


def _base_slug(base_model: str) -> str:
    if Path(base_model).resolve() == Path(default_base_checkpoint()).resolve():
        return "minilm-l6"
    name = Path(base_model.rstrip("/")).name or base_model
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "model"


def directory_sha256(path: str | Path) -> str:
    """One digest over every file's relative path and content: any changed byte changes it."""
    root = Path(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(file.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def training_run_start(
    *,
    generation: GenerationRun | None = None,
    preset: str = "full",
    base_model: str = "",
    include_calibration_labels: bool = False,
    max_steps: int | None = None,
    epochs: float | None = None,
    seed: int = 0,
    created_by: User = None,
    enqueue: bool = True,
) -> TrainingRun:
    from mlops.core.train import PRESETS

    if preset not in PRESETS:
        raise ApplicationError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    if max_steps is not None and max_steps < 1:
        raise ApplicationError("max_steps must be at least 1")
    if epochs is not None and epochs <= 0:
        raise ApplicationError("epochs must be positive")
    generation = generation or selectors.latest_generation()
    if generation is None or generation.status != RunStatus.SUCCEEDED:
        raise ApplicationError("no generated dataset to train on: run a generation first")
    with transaction.atomic(durable=True):
        run = TrainingRun.objects.create(
            generation=generation,
            base_model=base_model,
            include_calibration_labels=include_calibration_labels,
            params={"preset": preset, "max_steps": max_steps, "epochs": epochs, "seed": seed},
            created_by_id=_user_id(created_by),
        )
        if enqueue:
            _enqueue("mlops.tasks.run_training", run.pk)
    return run


def training_run_execute(
    *,
    run_id: int,
    echo: Echo | None = None,
    parent: tuple[RunRecorder, float, float] | None = None,
) -> TrainingRun | None:
    return _execute(TrainingRun, run_id, _train, echo=echo, parent=parent)


def _train(run: TrainingRun, rec: RunRecorder) -> dict[str, Any]:
    from mlops.core.train import preset, train_model

    if run.generation is None or not run.generation.path:
        raise ApplicationError("the training run's dataset is gone")
    params = run.params
    recipe = preset(str(params.get("preset") or "full"))
    config = replace(
        recipe.config,
        base_model=run.base_model or recipe.config.base_model,
        seed=int(params.get("seed") or 0),
    )
    if params.get("max_steps"):
        config = replace(config, max_steps=int(params["max_steps"]))
    if params.get("epochs"):
        config = replace(config, epochs=float(params["epochs"]))
    train = generation_examples(run.generation, "train")
    evaluation = generation_examples(run.generation, "test")[:MAX_TRAIN_EVAL_EXAMPLES]
    label_info: dict[str, Any] = {}
    if run.include_calibration_labels:
        labels = selectors.calibration_set()
        train = train + labels.examples
        label_info = {"count": len(labels.examples), "max_label_id": labels.max_label_id}
        rec.log(f"including {len(labels.examples)} reviewer calibration labels")
    rec.log(
        f"training {_base_slug(config.base_model)} on {len(train)} examples "
        f"(generation {run.generation.pk}), preset {recipe.name}, "
        f"{config.epochs:g} epochs, max_steps {config.max_steps}, seed {config.seed}"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    name = f"intent-{_base_slug(config.base_model)}-{stamp}-t{run.pk}"
    final = settings.MODEL_DIR / name
    partial = settings.MODEL_DIR / f".partial-{name}"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        result = train_model(
            train,
            config=config,
            out_dir=partial,
            eval_examples=evaluation,
            progress=lambda fraction, message: rec.progress(0.01 + 0.97 * fraction, message),
        )
        # The final directory appears whole or not at all: a crash leaves only `.partial-*`.
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    rec.progress(0.99, "hashing files and registering the candidate", force=True)
    sha = directory_sha256(final)
    metrics = {
        "synthetic_test": result.metrics,
        "steps": result.steps,
        "seconds": result.seconds,
        "train_examples": len(train),
        "calibration_labels": label_info,
        "config": {k: v for k, v in asdict(config).items()},
    }
    with transaction.atomic(durable=True):
        version = ModelVersion.objects.create(
            name=name,
            path=str(final),
            sha256=sha,
            base_model=config.base_model,
            status=ModelStatus.CANDIDATE,
            metrics=metrics,
            training_run=run,
        )
        TrainingRun.objects.filter(pk=run.pk).update(model_version=version)
    macro = result.metrics.get("macro_f1")
    rec.log(
        f"registered candidate {name} (sha256 {sha[:12]}), {result.steps} steps in "
        f"{result.seconds:.0f} s" + (f", synthetic_test macro-F1 {macro:.4f}" if macro else "")
    )
    return {"metrics": metrics, "base_model": config.base_model}


# --- calibration -----------------------------------------------------------------------------


def calibration_run_start(
    *,
    model_version: ModelVersion | None = None,
    target_precision: float = 0.95,
    source: str = "auto",
    n_synthetic: int = 1000,
    apply: bool = True,
    created_by: User = None,
    enqueue: bool = True,
) -> CalibrationRun:
    if not 0.5 <= target_precision < 1.0:
        raise ApplicationError("target_precision must be in [0.5, 1)")
    if source not in {"auto", "labels", "synthetic"}:
        raise ApplicationError("source must be auto, labels or synthetic")
    model_version = model_version or selectors.active_model() or selectors.newest_candidate()
    if model_version is None:
        raise ApplicationError("no model to calibrate")
    with transaction.atomic(durable=True):
        run = CalibrationRun.objects.create(
            model_version=model_version,
            params={
                "target_precision": target_precision,
                "source": source,
                "n_synthetic": n_synthetic,
                "apply": apply,
            },
            created_by_id=_user_id(created_by),
        )
        if enqueue:
            _enqueue("mlops.tasks.run_calibration", run.pk)
    return run


def calibration_run_execute(
    *,
    run_id: int,
    echo: Echo | None = None,
    parent: tuple[RunRecorder, float, float] | None = None,
) -> CalibrationRun | None:
    return _execute(CalibrationRun, run_id, _calibrate, echo=echo, parent=parent)


def _held_out_synthetic(version: ModelVersion, n: int) -> tuple[list[Example], str]:
    from mlops.core.synth_train import generate_train

    generation = version.training_run.generation if version.training_run else None
    seed = (generation.seed if generation else 0) + CALIBRATION_SEED_OFFSET
    examples = generate_train(n, seed)
    if generation is not None and generation.path:
        seen = {ex.text.lower() for ex in generation_examples(generation, "train")}
        examples = [ex for ex in examples if ex.text.lower() not in seen]
    return examples, f"held-out synthetic (training generator, seed {seed}, {len(examples)})"


def _calibration_data(run: CalibrationRun, version: ModelVersion) -> tuple[list[Example], str]:
    source = run.params.get("source", "auto")
    trained_on = 0
    if version.training_run is not None:
        trained_on = int(
            (version.training_run.metrics.get("calibration_labels") or {}).get("max_label_id") or 0
        )
    labels = selectors.calibration_set(after_id=trained_on)
    if source == "labels" or (source == "auto" and len(labels.examples) >= MIN_CALIBRATION_LABELS):
        if not labels.examples:
            raise ApplicationError("there are no reviewer calibration labels yet")
        note = " (labels the model was trained on are excluded)" if trained_on else ""
        return labels.examples, f"reviewer calibration labels ({len(labels.examples)}){note}"
    return _held_out_synthetic(version, int(run.params.get("n_synthetic") or 1000))


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def _calibrate(run: CalibrationRun, rec: RunRecorder) -> dict[str, Any]:
    from mlops.core.calibrate import fit_temperature, suggest_thresholds
    from mlops.core.evaluate import calibration_metrics
    from mlops.core.inference import Classifier

    version = run.model_version
    if version is None:
        raise ApplicationError("the model to calibrate is gone")
    target = float(run.params.get("target_precision") or 0.95)
    rec.progress(0.05, "choosing calibration data", force=True)
    examples, source = _calibration_data(run, version)
    if not examples:
        raise ApplicationError("no calibration examples")
    rec.log(f"calibrating {version.name} on {source}")
    rec.progress(0.2, f"loading {version.name}", force=True)
    # The model as it serves (quantised or not): its logits are the ones being calibrated.
    classifier = Classifier.load(
        version.path, quantize=settings.CLARIOSCOPE_QUANTIZE, version=version.name
    )
    rec.progress(0.3, f"scoring {len(examples)} messages", force=True)
    logits = classifier.logits([ex.text for ex in examples], batch_size=32)
    y = np.array([INTENTS.index(ex.label) for ex in examples], dtype=np.int64)
    rec.progress(0.9, "fitting the temperature", force=True)
    temperature = fit_temperature(logits, y.tolist())
    before = calibration_metrics(_softmax(logits), y)
    after_probs = _softmax(logits / temperature)
    after = calibration_metrics(after_probs, y)
    thresholds = suggest_thresholds(after_probs, y.tolist(), target)
    results = {
        "source": source,
        "n": len(examples),
        "temperature": temperature,
        "previous_temperature": version.temperature,
        "target_precision": target,
        "suggested_thresholds": thresholds,
        "accuracy": round(float((logits.argmax(axis=1) == y).mean()), 6),
        "before": {k: before[k] for k in ("ece", "nll", "brier")},
        "after": {k: after[k] for k in ("ece", "nll", "brier")},
        "reliability_before": before["reliability"],
        "reliability_after": after["reliability"],
        "applied": bool(run.params.get("apply", True)),
    }
    rec.log(
        f"temperature {temperature:g} (was {version.temperature:g}); ECE {before['ece']:.4f} -> "
        f"{after['ece']:.4f}; NLL {before['nll']:.4f} -> {after['nll']:.4f}"
    )
    if results["applied"]:
        # The registry keys the serving model on its temperature: an active model reloads with
        # the new one in every process within a second.
        ModelVersion.objects.filter(pk=version.pk).update(
            temperature=temperature, suggested_thresholds=thresholds
        )
        live = version.status == ModelStatus.ACTIVE
        rec.log(
            f"applied to {version.name} ({version.status})"
            + ("; serving processes pick it up within a second" if live else "")
        )
    return {"results": results}


# --- benchmark -------------------------------------------------------------------------------


def benchmark_run_start(
    *,
    model_versions: Sequence[ModelVersion] | None = None,
    generation: GenerationRun | None = None,
    options: BenchmarkOptions | None = None,
    created_by: User = None,
    enqueue: bool = True,
) -> BenchmarkRun:
    if model_versions is None:
        defaults = [selectors.active_model(), selectors.newest_candidate()]
        model_versions = [mv for mv in defaults if mv is not None]
    generation = generation or selectors.latest_generation()
    options = options or BenchmarkOptions()
    with transaction.atomic(durable=True):
        run = BenchmarkRun.objects.create(
            generation=generation,
            params={"options": asdict(options)},
            created_by_id=_user_id(created_by),
        )
        run.model_versions.set(model_versions)
        if enqueue:
            _enqueue("mlops.tasks.run_benchmark", run.pk)
    return run


def benchmark_run_execute(
    *,
    run_id: int,
    echo: Echo | None = None,
    parent: tuple[RunRecorder, float, float] | None = None,
) -> BenchmarkRun | None:
    return _execute(BenchmarkRun, run_id, _benchmark, echo=echo, parent=parent)


def _benchmark(run: BenchmarkRun, rec: RunRecorder) -> dict[str, Any]:
    import json

    options = BenchmarkOptions(**run.params.get("options", {}))
    # The active model first, then the newest candidates: the order of the tables.
    versions = sorted(
        run.model_versions.all(),
        key=lambda mv: (mv.status != ModelStatus.ACTIVE, -mv.created_at.timestamp()),
    )
    rec.log(
        "benchmarking "
        + (", ".join(f"{mv.name} ({mv.status})" for mv in versions) or "no registered model")
    )
    results = run_benchmark(
        model_versions=versions,
        generation=run.generation,
        options=options,
        progress=rec.progress,
        log=rec.log,
    )
    results["benchmark_run_id"] = run.pk
    out = settings.DATA_DIR / "benchmarks" / f"benchmark-{run.pk}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    rec.log(f"wrote {out}")
    return {"results": results, "json_path": str(out)}


# --- pipeline --------------------------------------------------------------------------------


def pipeline_run_start(
    *,
    preset: str = "full",
    n_train: int | None = None,
    n_test: int = 1200,
    seed: int | None = None,
    include_calibration_labels: bool = False,
    max_steps: int | None = None,
    base_model: str = "",
    calibration_n_synthetic: int = 1000,
    benchmark: bool = True,
    benchmark_options: BenchmarkOptions | None = None,
    promote: bool = False,
    created_by: User = None,
    enqueue: bool = True,
) -> PipelineRun:
    from mlops.core.train import PRESETS
    from mlops.core.train import preset as get_preset

    if preset not in PRESETS:
        raise ApplicationError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    if seed is None:
        # "Regenerate" means new data: each pipeline draws the next seed, recorded for replay.
        last = GenerationRun.objects.order_by("-seed").values_list("seed", flat=True).first()
        seed = (last or 0) + 1
    params = {
        "preset": preset,
        "n_train": n_train or get_preset(preset).n_train,
        "n_test": n_test,
        "seed": seed,
        "include_calibration_labels": include_calibration_labels,
        "max_steps": max_steps,
        "base_model": base_model,
        "calibration_n_synthetic": calibration_n_synthetic,
        "benchmark": benchmark,
        "benchmark_options": asdict(benchmark_options or BenchmarkOptions()),
        "promote": promote,
    }
    with transaction.atomic(durable=True):
        run = PipelineRun.objects.create(params=params, created_by_id=_user_id(created_by))
        if enqueue:
            _enqueue("mlops.tasks.run_pipeline", run.pk)
    return run


def pipeline_run_execute(*, run_id: int, echo: Echo | None = None) -> PipelineRun | None:
    return _execute(PipelineRun, run_id, _pipeline, echo=echo, parent=None)


def _stage(
    run: PipelineRun,
    rec: RunRecorder,
    child: RunT,
    execute: Callable[..., RunT | None],
    span: tuple[float, float],
) -> RunT:
    """Run one child to completion (or reuse it when a redelivered pipeline finds it done)."""
    label = f"{child._meta.verbose_name} {child.pk}"
    if child.status == RunStatus.SUCCEEDED:
        rec.log(f"{label} already succeeded; reusing it")
        return child
    rec.log(f"{label}: starting")
    done = execute(run_id=child.pk, parent=(rec, span[0], span[1]))
    if done is None or done.status != RunStatus.SUCCEEDED:
        reason = done.error if done is not None else "the run disappeared"
        raise ApplicationError(f"{label} failed: {reason}")
    rec.log(f"{label}: succeeded")
    return done


def _pipeline(run: PipelineRun, rec: RunRecorder) -> dict[str, Any]:
    p = run.params
    seed = int(p["seed"])
    if run.generation is None:
        generation = generation_run_start(
            n_train=int(p["n_train"]), n_test=int(p["n_test"]), seed=seed, enqueue=False
        )
        PipelineRun.objects.filter(pk=run.pk).update(generation=generation)
        run.generation = generation
    generation = _stage(run, rec, run.generation, generation_run_execute, (0.0, 0.08))

    if run.training is None:
        training = training_run_start(
            generation=generation,
            preset=str(p["preset"]),
            include_calibration_labels=bool(p.get("include_calibration_labels")),
            max_steps=p.get("max_steps"),
            base_model=str(p.get("base_model") or ""),
            seed=seed,
            enqueue=False,
        )
        PipelineRun.objects.filter(pk=run.pk).update(training=training)
        run.training = training
    training = _stage(run, rec, run.training, training_run_execute, (0.08, 0.80))
    candidate = training.model_version
    if candidate is None:
        raise ApplicationError("training succeeded but registered no model")

    # Calibrate before benchmarking so that the benchmark shows the model as it would serve.
    calibration_id = p.get("calibration_run_id")
    calibration = (
        CalibrationRun.objects.filter(pk=calibration_id).first() if calibration_id else None
    )
    if calibration is None:
        calibration = calibration_run_start(
            model_version=candidate,
            n_synthetic=int(p.get("calibration_n_synthetic") or 1000),
            enqueue=False,
        )
        p["calibration_run_id"] = calibration.pk
        PipelineRun.objects.filter(pk=run.pk).update(params=p)
    span = (0.80, 0.84) if p.get("benchmark", True) else (0.80, 0.97)
    _stage(run, rec, calibration, calibration_run_execute, span)

    if p.get("benchmark", True):
        if run.benchmark is None:
            versions = [mv for mv in (selectors.active_model(), candidate) if mv is not None]
            benchmark = benchmark_run_start(
                model_versions=versions,
                generation=generation,
                options=BenchmarkOptions(**p.get("benchmark_options", {})),
                enqueue=False,
            )
            PipelineRun.objects.filter(pk=run.pk).update(benchmark=benchmark)
            run.benchmark = benchmark
        _stage(run, rec, run.benchmark, benchmark_run_execute, (0.84, 0.99))

    if p.get("promote"):
        candidate.refresh_from_db()
        if candidate.status != ModelStatus.ACTIVE:
            model_promote(model_version=candidate)
            rec.log(f"promoted {candidate.name}")
    return {}


# --- promotion and rollback ------------------------------------------------------------------


def model_verify(*, model_version: ModelVersion) -> None:
    """Refuse a model whose files changed since registration or that cannot answer a message."""
    from mlops.core.inference import Classifier

    path = Path(model_version.path)
    if not path.is_dir():
        raise ApplicationError(f"model files of {model_version.name} are missing ({path})")
    if model_version.sha256 and directory_sha256(path) != model_version.sha256:
        raise ApplicationError(
            f"model files of {model_version.name} changed since registration (sha256 mismatch)"
        )
    try:
        classifier = Classifier.load(
            str(path),
            quantize=settings.CLARIOSCOPE_QUANTIZE,
            temperature=model_version.temperature,
            version=model_version.name,
        )
        classifier.predict(["I would like to book an appointment next week."])
    except Exception as exc:
        raise ApplicationError(f"{model_version.name} cannot serve: {_reason(exc)}") from exc


def _activate(target_pk: int, *, expected: Sequence[str]) -> ModelVersion:
    now = timezone.now()
    try:
        with transaction.atomic(durable=True):
            # Lock the current active row: concurrent promotions queue up instead of racing.
            list(ModelVersion.objects.select_for_update().filter(status=ModelStatus.ACTIVE))
            target = ModelVersion.objects.select_for_update().get(pk=target_pk)
            if target.status not in expected:
                raise ApplicationError(f"{target.name} is {target.status}; nothing to do")
            ModelVersion.objects.filter(status=ModelStatus.ACTIVE).update(
                status=ModelStatus.RETIRED
            )
            ModelVersion.objects.filter(pk=target_pk).update(
                status=ModelStatus.ACTIVE, promoted_at=now
            )
    except IntegrityError as exc:
        raise ApplicationError("another promotion happened at the same time; retry") from exc
    # This process switches now; every other process within registry.REGISTRY_CHECK_SECONDS.
    registry.reset_cache()
    return ModelVersion.objects.get(pk=target_pk)


def model_promote(*, model_version: ModelVersion, user: User = None) -> ModelVersion:
    """Make this model the one that serves; the previous active model is retired."""
    if model_version.status == ModelStatus.ACTIVE:
        raise ApplicationError(f"{model_version.name} is already active")
    model_verify(model_version=model_version)
    previous = selectors.active_model()
    promoted = _activate(model_version.pk, expected=(ModelStatus.CANDIDATE, ModelStatus.RETIRED))
    logger.info(
        "model promoted: version=%s previous=%s user=%s",
        promoted.name,
        previous.name if previous else "-",
        _user_id(user) or "-",
    )
    return promoted


def model_rollback(*, user: User = None) -> ModelVersion:
    """Re-activate the model that served before the current one (rolling back twice undoes it)."""
    target = selectors.previous_model()
    if target is None:
        raise ApplicationError("no previous model to roll back to")
    model_verify(model_version=target)
    current = selectors.active_model()
    restored = _activate(target.pk, expected=(ModelStatus.RETIRED,))
    logger.info(
        "model rolled back: version=%s from=%s user=%s",
        restored.name,
        current.name if current else "-",
        _user_id(user) or "-",
    )
    return restored


def model_register(
    *, path: str | Path, name: str = "", base_model: str = "", metrics: dict[str, Any] | None = None
) -> ModelVersion:
    """Register an existing checkpoint directory (trained elsewhere) as a candidate."""
    from mlops.core.inference import read_meta

    directory = Path(path).resolve()
    if not (directory / "config.json").is_file():
        raise ApplicationError(f"{directory} is not a checkpoint directory (no config.json)")
    meta = read_meta(directory)
    name = name or directory.name
    with transaction.atomic(durable=True):
        if ModelVersion.objects.filter(name=name).exists():
            raise ApplicationError(f"a model named {name!r} is already registered")
        return ModelVersion.objects.create(
            name=name,
            path=str(directory),
            sha256=directory_sha256(directory),
            base_model=base_model or str(meta.get("base_model") or ""),
            metrics=metrics if metrics is not None else dict(meta.get("metrics") or {}),
        )
