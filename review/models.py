"""Reviewers' decisions (append-only calibration labels) and ML exports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from intake.models import INTENT_CHOICES, Message, Practice, ReviewItem


class DecisionKind(models.TextChoices):
    ACCEPT = "accept", "Accepted the model's label"
    CORRECT = "correct", "Chose another label"
    SPOT_CHECK = "spot_check", "Corrected an auto-routed message"
    UNDO = "undo", "Undid an earlier decision"


class CalibrationLabel(models.Model):
    """One reviewer decision with full provenance. Rows are never updated or deleted: an undo is
    a new row pointing at the one it cancels."""

    message = models.ForeignKey(
        Message, on_delete=models.PROTECT, related_name="calibration_labels"
    )
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    review_item = models.ForeignKey(
        ReviewItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="labels"
    )
    kind = models.CharField(max_length=16, choices=DecisionKind.choices)
    model_version = models.CharField(max_length=200, blank=True)
    probabilities = models.JSONField(null=True, blank=True)
    predicted_label = models.CharField(max_length=64, choices=INTENT_CHOICES, blank=True)
    reviewer_label = models.CharField(max_length=64, choices=INTENT_CHOICES, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    seconds_spent = models.FloatField(default=0.0)
    reason = models.CharField(max_length=500, blank=True)
    undoes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="undone_by"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["practice", "created_at"], name="label_practice_created")]

    def __str__(self) -> str:
        return f"label {self.pk}: {self.predicted_label} -> {self.reviewer_label}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Ready"
    FAILED = "failed", "Failed"


class Export(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    format = models.CharField(max_length=16)
    filters = models.JSONField(default=dict, blank=True)
    deidentify = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=ExportStatus.choices, default="queued")
    progress = models.FloatField(default=0.0)
    row_count = models.PositiveIntegerField(default=0)
    path = models.CharField(max_length=500, blank=True)
    manifest = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"export {self.pk} ({self.format}, {self.status})"


class LoginFailure(models.Model):
    """Failed logins per username, for the lockout after repeated failures."""

    username = models.CharField(max_length=150, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} at {self.created_at:%Y-%m-%d %H:%M}"
