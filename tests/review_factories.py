"""Rows for the review tests: messages routed exactly as intake routes them (intake.routing),
with chosen labels and confidences so the expected queue order and statistics are known."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from clarioscope.taxonomy import INTENTS
from intake.models import Message, MessageStatus, Practice, ReviewItem, ReviewStatus
from intake.routing import route

MODEL_VERSION = "tiny-test-v1"


def probabilities_for(label: str, confidence: float) -> dict[str, float]:
    rest = (1.0 - confidence) / (len(INTENTS) - 1)
    return {intent: confidence if intent == label else rest for intent in INTENTS}


def message(
    practice: Practice,
    *,
    text: str = "can i move my appointment to friday afternoon",
    label: str = "appointment_request",
    confidence: float | None = 0.5,
    channel: str = "sms",
    sender: str = "+15550001111",
    subject: str = "",
    raw_payload: str | None = None,
    age: timedelta = timedelta(0),
    model_version: str = MODEL_VERSION,
) -> Message:
    when: datetime = timezone.now() - age
    decision = route(practice=practice, text=text, label=label, confidence=confidence)
    classified = bool(label) and confidence is not None
    return Message.objects.create(
        practice=practice,
        channel=channel,
        sender=sender,
        subject=subject,
        text=text,
        raw_payload=text if raw_payload is None else raw_payload,
        received_at=when,
        created_at=when,
        status=MessageStatus.CLASSIFIED if classified else MessageStatus.UNCLASSIFIED,
        classified_at=when,
        label=label if classified else "",
        confidence=confidence if classified else None,
        probabilities=probabilities_for(label, confidence or 0.0) if classified else None,
        model_version=model_version if classified else "",
        routed_label=label if classified else "",
        destination=decision.destination,
        needs_review=decision.needs_review,
        urgent=decision.urgent,
        red_flags=decision.red_flags,
    )


def queued(practice: Practice, **kwargs: Any) -> ReviewItem:
    """A message below the threshold (or urgent, or unclassified) and its open review item."""
    kwargs.setdefault("confidence", 0.5)
    msg = message(practice, **kwargs)
    decision = route(practice=practice, text=msg.text, label=msg.label, confidence=msg.confidence)
    return ReviewItem.objects.create(
        message=msg,
        practice=practice,
        status=ReviewStatus.OPEN,
        reason=decision.review_reason or "low_confidence",
        urgent=msg.urgent,
        uncertainty=1.0 - msg.confidence if msg.confidence is not None else 1.0,
        created_at=msg.created_at,
    )


def auto_routed(practice: Practice, **kwargs: Any) -> Message:
    kwargs.setdefault("confidence", 0.97)
    msg = message(practice, **kwargs)
    assert not msg.needs_review, "an auto-routed message must clear the threshold"
    return msg
