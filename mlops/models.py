"""The model registry and the rows behind every MLOps run (each task records progress here)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Run(models.Model):
    status = models.CharField(max_length=16, choices=RunStatus.choices, default="queued")
    progress = models.FloatField(default=0.0)
    progress_message = models.CharField(max_length=300, blank=True)
    log = models.TextField(blank=True)
    error = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written with every progress update: a running row whose heartbeat stops is a dead worker's.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]


class GenerationRun(Run):
    seed = models.IntegerField(default=0)
    n_train = models.PositiveIntegerField(default=9000)
    n_test = models.PositiveIntegerField(default=1200)
    path = models.CharField(max_length=500, blank=True)
    train_sha256 = models.CharField(max_length=64, blank=True)
    test_sha256 = models.CharField(max_length=64, blank=True)
    report = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"generation {self.pk}"


class ModelStatus(models.TextChoices):
    CANDIDATE = "candidate", "Candidate"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class ModelVersion(models.Model):
    name = models.CharField(max_length=200, unique=True)
    path = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64, blank=True)
    base_model = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=16, choices=ModelStatus.choices, default="candidate")
    metrics = models.JSONField(default=dict, blank=True)
    temperature = models.FloatField(default=1.0)
    # Suggested per-intent review thresholds from calibration (the practice decides to use them).
    suggested_thresholds = models.JSONField(default=dict, blank=True)
    training_run = models.ForeignKey(
        "TrainingRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    promoted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="active"), name="one_active_model"
            )
        ]

    def __str__(self) -> str:
        return self.name


class TrainingRun(Run):
    generation = models.ForeignKey(
        GenerationRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    base_model = models.CharField(max_length=300, blank=True)
    include_calibration_labels = models.BooleanField(default=False)
    metrics = models.JSONField(default=dict, blank=True)
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"training {self.pk}"


class BenchmarkRun(Run):
    generation = models.ForeignKey(
        GenerationRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    model_versions = models.ManyToManyField(ModelVersion, blank=True, related_name="benchmarks")
    results = models.JSONField(default=dict, blank=True)
    json_path = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"benchmark {self.pk}"


class PipelineRun(Run):
    """One click: regenerate, retrain, re-benchmark (and calibrate) as one tracked run."""

    generation = models.ForeignKey(
        GenerationRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    training = models.ForeignKey(
        TrainingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    benchmark = models.ForeignKey(
        BenchmarkRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"pipeline {self.pk}"


class CalibrationRun(Run):
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    results = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"calibration {self.pk}"
