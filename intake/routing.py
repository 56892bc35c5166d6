"""Routing: the safety net first, then confidence against the practice's threshold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from clarioscope.taxonomy import (
    DEFAULT_DESTINATION,
    UNCLASSIFIED_DESTINATION,
    URGENT_DESTINATION,
    red_flags,
)

if TYPE_CHECKING:
    from intake.models import Practice


@dataclass(frozen=True)
class RouteDecision:
    destination: str
    needs_review: bool
    urgent: bool
    red_flags: list[str]
    review_reason: str  # empty when auto-routed


def destination_for(practice: Practice, label: str) -> str:
    return str(practice.destinations.get(label) or DEFAULT_DESTINATION[label])


def threshold_for(practice: Practice, label: str) -> float:
    value = practice.intent_thresholds.get(label)
    return float(value) if value is not None else practice.review_threshold


def route(*, practice: Practice, text: str, label: str, confidence: float | None) -> RouteDecision:
    flags = red_flags(text)
    if flags:
        # Never auto-closed, whatever the model says: urgent items go to clinical and to review.
        return RouteDecision(URGENT_DESTINATION, True, True, flags, "urgent")
    if not label or confidence is None:
        return RouteDecision(UNCLASSIFIED_DESTINATION, True, False, [], "unclassified")
    destination = destination_for(practice, label)
    if confidence < threshold_for(practice, label):
        return RouteDecision(destination, True, False, [], "low_confidence")
    return RouteDecision(destination, False, False, [], "")
