"""Tenancy, API keys, messages, their routing state and review-queue membership, access audit.

ReviewItem lives here rather than in `review` because routing (an intake concern) decides that a
message needs a human, in the same transaction that stores the prediction; the `review` app owns
the services that claim and decide items. Keeping it here keeps the dependency direction one way.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clarioscope.taxonomy import CHANNELS, DESTINATIONS, INTENTS

CHANNEL_CHOICES = [(c, c.replace("_", " ")) for c in CHANNELS]
INTENT_CHOICES = [(i, i.replace("_", " ")) for i in INTENTS]
DESTINATION_CHOICES = [(d, d.replace("_", " ")) for d in DESTINATIONS]


class Practice(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    review_threshold = models.FloatField(default=0.70)
    # {intent: threshold}; an intent missing here uses review_threshold.
    intent_thresholds = models.JSONField(default=dict, blank=True)
    # {intent: destination}; an intent missing here uses the taxonomy default.
    destinations = models.JSONField(default=dict, blank=True)
    twilio_auth_token = models.CharField(max_length=128, blank=True)
    mailgun_signing_key = models.CharField(max_length=128, blank=True)
    chat_secret = models.CharField(max_length=128, blank=True)
    form_enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.slug


class Role(models.TextChoices):
    REVIEWER = "reviewer", "Reviewer"
    PRACTICE_ADMIN = "practice_admin", "Practice admin"
    ML_STAFF = "ml_staff", "ML staff"


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "practice"], name="one_membership_per_practice")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.practice_id}:{self.role}"


class ApiKey(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    # The first characters of the key, stored in clear to find the row; the rest only hashed.
    prefix = models.CharField(max_length=16, db_index=True)
    hashed_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.practice_id})"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending classification"
    CLASSIFIED = "classified", "Classified"
    UNCLASSIFIED = "unclassified", "Could not be classified"


class Message(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="messages")
    channel = models.CharField(max_length=16, choices=CHANNEL_CHOICES)
    external_id = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    sender = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    # Normalised text, the classifier's input; raw_payload keeps exactly what arrived.
    text = models.TextField(blank=True)
    truncated = models.BooleanField(default=False)
    raw_payload = models.TextField(blank=True)
    raw_content_type = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    status = models.CharField(
        max_length=16, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    classify_attempts = models.PositiveIntegerField(default=0)
    classification_error = models.CharField(max_length=500, blank=True)
    classified_at = models.DateTimeField(null=True, blank=True)
    label = models.CharField(max_length=64, choices=INTENT_CHOICES, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    probabilities = models.JSONField(null=True, blank=True)
    model_version = models.CharField(max_length=200, blank=True)

    # Routing: the label that decided the destination (the model's, or a reviewer's correction).
    routed_label = models.CharField(max_length=64, choices=INTENT_CHOICES, blank=True)
    destination = models.CharField(max_length=32, choices=DESTINATION_CHOICES, blank=True)
    needs_review = models.BooleanField(default=False)
    urgent = models.BooleanField(default=False)
    red_flags = models.JSONField(default=list, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "channel", "external_id"],
                condition=~Q(external_id=""),
                name="message_unique_external_id",
            ),
            models.UniqueConstraint(
                fields=["practice", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="message_unique_idempotency_key",
            ),
        ]
        indexes = [
            # Only the few messages still pending, in id order: what classify_pending claims and
            # the sweep re-queues. An index over every status kept an entry per classified
            # message until vacuum (each classification is an update), and under load the claim
            # query walked tens of thousands of them: 14 ms and a third of a core.
            models.Index(fields=["id"], condition=Q(status="pending"), name="message_pending"),
            models.Index(fields=["practice", "created_at"], name="message_practice_created"),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} ({self.channel})"


class ReviewReason(models.TextChoices):
    URGENT = "urgent", "Red-flag content"
    LOW_CONFIDENCE = "low_confidence", "Below the review threshold"
    UNCLASSIFIED = "unclassified", "Could not be classified"
    SPOT_CHECK = "spot_check", "Spot check of an auto-routed message"
    ESCALATED = "escalated", "Escalated to a practice admin"


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Decided"
    ESCALATED = "escalated", "Escalated"


class ReviewItem(models.Model):
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="review_item")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="review_items")
    status = models.CharField(max_length=16, choices=ReviewStatus.choices, default="open")
    reason = models.CharField(max_length=32, choices=ReviewReason.choices)
    urgent = models.BooleanField(default=False)
    # 1 - confidence (1.0 when unclassified): the queue's third sort key.
    uncertainty = models.FloatField(default=1.0)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["practice", "status", "urgent", "created_at"], name="review_queue_order"
            )
        ]

    def __str__(self) -> str:
        return f"review item {self.pk} ({self.status})"


class AccessAudit(models.Model):
    """Who viewed or exported message text, and when. Append-only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    practice = models.ForeignKey(
        Practice, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_rows"
    )
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"
