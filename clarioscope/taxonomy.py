"""The intent taxonomy: the single source of truth for labels, channels and routing defaults.

Pure Python on purpose: the ML core, the Django apps and the benchmarks all import it, and it
must import nothing from Django. See ../shared/design/TAXONOMY.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

# The reference checkpoint's label order. Never rely on it when loading a checkpoint: map by name
# through config.id2label instead (see mlops.core.inference).
INTENTS: Final[tuple[str, ...]] = (
    "new_patient_inquiry",
    "existing_patient_question",
    "appointment_request",
    "billing_inquiry",
    "clinical_concern",
    "complaint",
    "price_shopper",
)

INTENT_DESCRIPTIONS: Final[dict[str, str]] = {
    "new_patient_inquiry": "A prospective patient asking about becoming a patient",
    "existing_patient_question": "An existing patient with a non-urgent question",
    "appointment_request": "Scheduling, rescheduling, cancellation, running late, confirming",
    "billing_inquiry": "Questions about bills for services already received",
    "clinical_concern": "An active medical concern requiring clinical attention",
    "complaint": "Dissatisfaction with service, staff, communication or outcome",
    "price_shopper": "Pricing-only inquiry, no commitment signals",
}

DESTINATIONS: Final[tuple[str, ...]] = ("front_desk", "scheduling", "billing", "clinical")

DEFAULT_DESTINATION: Final[dict[str, str]] = {
    "new_patient_inquiry": "front_desk",
    "existing_patient_question": "front_desk",
    "appointment_request": "scheduling",
    "billing_inquiry": "billing",
    "clinical_concern": "clinical",
    "complaint": "front_desk",
    "price_shopper": "front_desk",
}

# Where a message goes when nobody could classify it: a human at the front desk looks at it.
UNCLASSIFIED_DESTINATION: Final[str] = "front_desk"
URGENT_DESTINATION: Final[str] = "clinical"

CHANNELS: Final[tuple[str, ...]] = ("email", "web_form", "chat", "sms", "voicemail")

DEFAULT_REVIEW_THRESHOLD: Final[float] = 0.70


@dataclass(frozen=True)
class RedFlagRule:
    name: str
    pattern: re.Pattern[str]


def _rule(name: str, pattern: str) -> RedFlagRule:
    return RedFlagRule(name=name, pattern=re.compile(pattern, re.IGNORECASE))


# Safety net: these phrases mark a message urgent whatever the model says. Patterns are
# deliberately broad (false positives cost a reviewer a glance; false negatives can cost a life).
RED_FLAG_RULES: Final[tuple[RedFlagRule, ...]] = (
    _rule(
        "chest_pain",
        r"\bchest\b[^.!?\n]{0,25}\b(pain|pains|tight|tightness|pressure|hurts?|hurting|crushing)\b"
        r"|\bheart\s+attack\b",
    ),
    _rule(
        "breathing",
        r"\b(trouble|difficulty|hard|can'?t|cannot|struggling to)\s+(breath(e|ing)?)\b"
        r"|\bshort(ness)? of breath\b|\bnot breathing\b",
    ),
    _rule(
        "suicidal",
        r"\bsuicid\w*|\bkill (myself|me)\b|\bend (my|it all)\b|\bwant to die\b"
        r"|\bself[- ]harm\b|\bhurt(ing)? myself\b|\boverdos(e|ed)\b",
    ),
    _rule(
        "stroke",
        r"\bstroke\b|\bface (is )?droop\w*|\bslurred speech\b|\bslurring\b"
        r"|\bnumb(ness)? on one side\b",
    ),
    _rule(
        "severe_bleeding",
        r"\b(severe|heavy|won'?t stop|uncontrolled|lots of)\s+bleed\w*"
        r"|\bbleeding (heavily|won'?t stop|a lot)\b|\bcoughing (up )?blood\b|\bvomiting blood\b",
    ),
    _rule(
        "anaphylaxis",
        r"\banaphyla\w*|\bthroat (is )?(closing|swelling|swollen)\b|\bepi-?pen\b"
        r"|\b(lips?|tongue|face) (is |are )?swell\w*",
    ),
    _rule(
        "infant_fever",
        r"\b(newborn|infant|baby|\d+[- ](week|wk|month|mo)[- ]old)\b[^.!?]{0,60}\bfever\b"
        r"|\bfever\b[^.!?]{0,60}\b(newborn|infant|baby)\b",
    ),
    _rule(
        "fetal_movement",
        r"\b(baby|fetal|foetal)\s+(is\s+)?(not|hasn'?t|isn'?t|stopped|less|decreased|reduced)"
        r"\s*(moving|movement|kicking)|\b(decreased|reduced|no) fetal movement",
    ),
    _rule("unconscious", r"\b(unconscious|unresponsive|passed out|fainted|seizure|seizing)\b"),
)


def red_flags(text: str) -> list[str]:
    """Names of the red-flag rules that the text triggers, in rule order."""
    return [rule.name for rule in RED_FLAG_RULES if rule.pattern.search(text)]
