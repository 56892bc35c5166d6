"""Reads for the model lifecycle: the active model, datasets, calibration labels, run status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q
from django.utils import timezone

from clarioscope.taxonomy import INTENTS
from intake.models import Membership, Role
from mlops.core.data import Example
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
from review.models import CalibrationLabel, DecisionKind

RUN_MODELS: dict[str, type[Run]] = {
    "generation": GenerationRun,
    "training": TrainingRun,
    "benchmark": BenchmarkRun,
    "calibration": CalibrationRun,
    "pipeline": PipelineRun,
}
FINISHED = (RunStatus.SUCCEEDED, RunStatus.FAILED)
LOG_TAIL_CHARS = 20_000


def user_can_view_mlops(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Staff (the Django admin's users) and ML staff of any practice see runs and benchmarks."""
    if not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "is_staff", False):
        return True
    return Membership.objects.filter(user_id=user.pk, role=Role.ML_STAFF).exists()


def active_model() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=ModelStatus.ACTIVE).first()


def newest_candidate() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=ModelStatus.CANDIDATE).order_by("-created_at").first()


def previous_model() -> ModelVersion | None:
    """The model a rollback re-activates: the retired one that was activated most recently.

    Every activation (promotion or rollback) sets promoted_at, and only one model is active at a
    time, so this is the model that served just before the current one.
    """
    return (
        ModelVersion.objects.filter(status=ModelStatus.RETIRED, promoted_at__isnull=False)
        .order_by("-promoted_at", "-pk")
        .first()
    )


def latest_generation() -> GenerationRun | None:
    return GenerationRun.objects.filter(status=RunStatus.SUCCEEDED).order_by("-created_at").first()


def model_version_by_ref(ref: str) -> ModelVersion | None:
    """A model by id, by name, or `active`."""
    if ref == "active":
        return active_model()
    if ref.isdigit():
        found = ModelVersion.objects.filter(pk=int(ref)).first()
        if found is not None:
            return found
    return ModelVersion.objects.filter(name=ref).first()


@dataclass(frozen=True)
class CalibrationSet:
    examples: list[Example]
    label_ids: list[int]

    @property
    def max_label_id(self) -> int:
        return max(self.label_ids, default=0)


def calibration_set(*, after_id: int = 0) -> CalibrationSet:
    """Reviewers' labels as examples: per message, the latest decision that was not undone.

    An accept may leave reviewer_label blank; the label is then the model's, which the reviewer
    confirmed. `after_id` skips labels a model was trained on, so calibrating it stays honest.
    """
    rows = (
        CalibrationLabel.objects.exclude(kind=DecisionKind.UNDO)
        .filter(undone_by__isnull=True, pk__gt=after_id)
        .order_by("message_id", "-created_at", "-pk")
        .values_list(
            "pk",
            "message_id",
            "reviewer_label",
            "predicted_label",
            "message__text",
            "message__channel",
        )
    )
    examples: list[Example] = []
    ids: list[int] = []
    seen: set[int] = set()
    for pk, message_id, reviewer_label, predicted_label, text, channel in rows.iterator():
        if message_id in seen:
            continue
        seen.add(message_id)
        label = reviewer_label or predicted_label
        if label not in INTENTS or not (text or "").strip():
            continue
        examples.append(Example(text=text, label=label, channel=channel or "", style="real"))
        ids.append(pk)
    return CalibrationSet(examples=examples, label_ids=ids)


def calibration_label_count() -> int:
    return len(calibration_set().examples)


def run_is_stale(run: Run, *, stale_seconds: int) -> bool:
    if run.status != RunStatus.RUNNING:
        return False
    beat = run.heartbeat_at or run.started_at
    return beat is None or (timezone.now() - beat).total_seconds() > stale_seconds


def run_status(run: Run, *, stale_seconds: int) -> dict[str, Any]:
    """What the run page polls: status, progress, the log's tail and the failure reason."""
    log = run.log
    return {
        "id": run.pk,
        "status": run.status,
        "finished": run.status in FINISHED,
        "progress": round(run.progress, 4),
        "progress_message": run.progress_message,
        "log": log[-LOG_TAIL_CHARS:],
        "log_truncated": len(log) > LOG_TAIL_CHARS,
        "error": run.error,
        "stale": run_is_stale(run, stale_seconds=stale_seconds),
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "heartbeat_at": run.heartbeat_at.isoformat() if run.heartbeat_at else None,
    }


def benchmark_runs_visible() -> list[BenchmarkRun]:
    return list(BenchmarkRun.objects.order_by("-created_at")[:50])


def model_versions_overview() -> list[ModelVersion]:
    return list(
        ModelVersion.objects.filter(
            Q(status=ModelStatus.ACTIVE)
            | Q(status=ModelStatus.CANDIDATE)
            | Q(promoted_at__isnull=False)
        ).order_by("-created_at")[:50]
    )
