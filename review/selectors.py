"""Reads for review: memberships and roles, the queue, undo candidates, dashboard statistics,
audit log pages. Every query here takes the practice it is scoped to; none crosses practices."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from clarioscope.taxonomy import CHANNELS, DESTINATIONS, INTENTS
from intake.models import (
    AccessAudit,
    Membership,
    Message,
    MessageStatus,
    Practice,
    ReviewItem,
    ReviewStatus,
    Role,
)
from review.models import CalibrationLabel, DecisionKind, Export, LoginFailure

# Who may do what, per membership role. One role per practice (Membership is unique per
# user and practice); a practice admin can do everything in their practice.
REVIEW_ROLES = frozenset({Role.REVIEWER, Role.PRACTICE_ADMIN})
ADMIN_ROLES = frozenset({Role.PRACTICE_ADMIN})
EXPORT_ROLES = frozenset({Role.ML_STAFF, Role.PRACTICE_ADMIN})

UNCLASSIFIED = "unclassified"
# Queue order: urgent first, then the patient who has waited longest (since their message
# arrived, not since it was classified), then the least certain.
QUEUE_ORDER = ("-urgent", "message__received_at", "-uncertainty", "pk")

UserLike = AbstractBaseUser | AnonymousUser


# --- memberships ---------------------------------------------------------------------------


def user_memberships(*, user: UserLike) -> list[Membership]:
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user_id=user.pk)
        .select_related("practice")
        .order_by("practice__name", "practice__slug")
    )


def membership_for(*, user: UserLike, slug: str) -> Membership | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user_id=user.pk, practice__slug=slug)
        .select_related("practice")
        .first()
    )


def role_in(*, user: UserLike, practice: Practice) -> str | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user_id=user.pk, practice=practice)
        .values_list("role", flat=True)
        .first()
    )


def login_locked(*, username: str) -> bool:
    """True while a username has had LOGIN_FAILURE_LIMIT failures within the lockout window."""
    since = timezone.now() - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    failures = LoginFailure.objects.filter(
        username=username.strip().lower()[:150], created_at__gte=since
    ).count()
    return failures >= settings.LOGIN_FAILURE_LIMIT


# --- the queue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    channel: str = ""
    intent: str = ""  # a predicted intent, or "unclassified"
    destination: str = ""

    @classmethod
    def from_query(cls, query: Any) -> QueueFilters:
        """Unknown values are dropped rather than rejected: a stale bookmark still opens."""
        channel = str(query.get("channel", ""))
        intent = str(query.get("intent", ""))
        destination = str(query.get("destination", ""))
        return cls(
            channel=channel if channel in CHANNELS else "",
            intent=intent if intent in INTENTS or intent == UNCLASSIFIED else "",
            destination=destination if destination in DESTINATIONS else "",
        )

    def as_query(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def queue_items(
    *, practice: Practice, filters: QueueFilters = QueueFilters(), status: str = ReviewStatus.OPEN
) -> QuerySet[ReviewItem]:
    items = ReviewItem.objects.filter(practice=practice, status=status)
    if filters.channel:
        items = items.filter(message__channel=filters.channel)
    if filters.intent == UNCLASSIFIED:
        items = items.filter(message__label="")
    elif filters.intent:
        items = items.filter(message__label=filters.intent)
    if filters.destination:
        items = items.filter(message__destination=filters.destination)
    return items.order_by(*QUEUE_ORDER)


def queue_page(
    *, practice: Practice, filters: QueueFilters, limit: int = 100
) -> tuple[list[ReviewItem], int]:
    items = queue_items(practice=practice, filters=filters)
    rows = list(items.select_related("message", "claimed_by").defer("message__raw_payload")[:limit])
    return rows, items.count()


def escalated_items(*, practice: Practice) -> list[ReviewItem]:
    return list(
        queue_items(practice=practice, status=ReviewStatus.ESCALATED)
        .select_related("message")
        .defer("message__raw_payload")[:100]
    )


def review_item_for(*, practice: Practice, item_id: int) -> ReviewItem | None:
    return (
        ReviewItem.objects.filter(pk=item_id, practice=practice)
        .select_related("message", "claimed_by")
        .first()
    )


def message_for(*, practice: Practice, message_id: int) -> Message | None:
    return Message.objects.filter(pk=message_id, practice=practice).first()


def auto_routed_messages(
    *, practice: Practice, filters: QueueFilters, limit: int = 100
) -> list[Message]:
    """Messages routed without a human, newest first: the candidates for spot checks."""
    messages = Message.objects.filter(
        practice=practice, status=MessageStatus.CLASSIFIED, review_item__isnull=True
    )
    if filters.channel:
        messages = messages.filter(channel=filters.channel)
    if filters.intent and filters.intent != UNCLASSIFIED:
        messages = messages.filter(label=filters.intent)
    if filters.destination:
        messages = messages.filter(destination=filters.destination)
    return list(messages.defer("raw_payload", "text").order_by("-created_at", "-pk")[:limit])


def effective_labels() -> QuerySet[CalibrationLabel]:
    """Decisions that still stand: not undo rows, and not undone by one."""
    return CalibrationLabel.objects.exclude(kind=DecisionKind.UNDO).filter(undone_by__isnull=True)


def last_undoable_label(*, user: UserLike, practice: Practice) -> CalibrationLabel | None:
    return (
        effective_labels()
        .filter(practice=practice, reviewer_id=user.pk)
        .order_by("-created_at", "-pk")
        .first()
    )


def message_history(*, message: Message) -> list[CalibrationLabel]:
    return list(
        CalibrationLabel.objects.filter(message=message)
        .select_related("reviewer")
        .order_by("created_at", "pk")
    )


def top_intents(message: Message, limit: int = len(INTENTS)) -> list[tuple[str, float]]:
    probabilities = message.probabilities or {}
    ranked = sorted(
        ((label, float(p)) for label, p in probabilities.items()), key=lambda lp: -lp[1]
    )
    return ranked[:limit]


# --- dashboard ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementRow:
    intent: str
    decisions: int
    agreed: int

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.decisions if self.decisions else None

    @property
    def override_rate(self) -> float | None:
        return 1 - self.agreed / self.decisions if self.decisions else None


@dataclass(frozen=True)
class ReviewerRow:
    username: str
    decisions: int
    corrections: int
    median_seconds: float | None


@dataclass(frozen=True)
class UrgentRow:
    message_id: int
    received_at: datetime
    rules: list[str]
    status: str
    first_look_seconds: float | None


@dataclass
class DashboardStats:
    start: date
    end: date
    total: int = 0
    by_intent: list[tuple[str, int]] = field(default_factory=list)
    by_channel: list[tuple[str, int]] = field(default_factory=list)
    by_day: list[tuple[date, int]] = field(default_factory=list)
    auto_routed: int = 0
    reviewed: int = 0
    awaiting_review: int = 0
    pending_classification: int = 0
    backlog_open: int = 0
    backlog_escalated: int = 0
    backlog_oldest_seconds: float | None = None
    backlog_ages: list[tuple[str, int]] = field(default_factory=list)
    decisions: int = 0
    agreement_overall: float | None = None
    agreement: list[AgreementRow] = field(default_factory=list)
    confusion_rows: list[str] = field(default_factory=list)
    confusion: list[list[int]] = field(default_factory=list)
    urgent_total: int = 0
    urgent_looked_at: int = 0
    urgent_first_look_median: float | None = None
    urgent_first_look_p90: float | None = None
    urgent_recent: list[UrgentRow] = field(default_factory=list)
    reviewers: list[ReviewerRow] = field(default_factory=list)


def _range_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    lo = timezone.make_aware(datetime.combine(start, datetime.min.time()), tz)
    hi = timezone.make_aware(datetime.combine(end + timedelta(days=1), datetime.min.time()), tz)
    return lo, hi


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


BACKLOG_BUCKETS: tuple[tuple[str, float], ...] = (
    ("< 1 h", 3600.0),
    ("1-4 h", 4 * 3600.0),
    ("4-24 h", 24 * 3600.0),
    ("1-7 d", 7 * 86400.0),
    ("> 7 d", float("inf")),
)


def dashboard_stats(*, practice: Practice, start: date, end: date) -> DashboardStats:
    """Everything the practice admin's dashboard shows for messages received in [start, end]
    (inclusive days) and decisions taken in it; the backlog is always as of now."""
    lo, hi = _range_bounds(start, end)
    now = timezone.now()
    stats = DashboardStats(start=start, end=end)
    messages = Message.objects.filter(practice=practice, created_at__gte=lo, created_at__lt=hi)

    intent_counts = Counter(
        {
            (row["routed_label"] or UNCLASSIFIED): row["n"]
            for row in messages.values("routed_label").annotate(n=Count("pk"))
        }
    )
    stats.by_intent = [(i, intent_counts.get(i, 0)) for i in (*INTENTS, UNCLASSIFIED)]
    if not intent_counts.get(UNCLASSIFIED):
        stats.by_intent.pop()
    channel_counts = dict(messages.values_list("channel").annotate(n=Count("pk")))
    stats.by_channel = [(c, channel_counts.get(c, 0)) for c in CHANNELS]
    day_counts = dict(
        messages.annotate(day=TruncDate("created_at")).values_list("day").annotate(n=Count("pk"))
    )
    days = (end - start).days + 1
    stats.by_day = [
        (start + timedelta(days=d), day_counts.get(start + timedelta(days=d), 0))
        for d in range(days)
    ]
    stats.total = sum(channel_counts.values())

    shares = messages.aggregate(
        auto=Count("pk", filter=Q(status=MessageStatus.CLASSIFIED, review_item__isnull=True)),
        reviewed=Count("pk", filter=Q(review_item__status=ReviewStatus.DONE)),
        waiting=Count(
            "pk",
            filter=Q(review_item__status__in=[ReviewStatus.OPEN, ReviewStatus.ESCALATED]),
        ),
        pending=Count("pk", filter=Q(status=MessageStatus.PENDING)),
    )
    stats.auto_routed = shares["auto"]
    stats.reviewed = shares["reviewed"]
    stats.awaiting_review = shares["waiting"]
    stats.pending_classification = shares["pending"]

    backlog = list(
        ReviewItem.objects.filter(
            practice=practice, status__in=[ReviewStatus.OPEN, ReviewStatus.ESCALATED]
        ).values_list("status", "message__received_at")
    )
    stats.backlog_open = sum(1 for s, _ in backlog if s == ReviewStatus.OPEN)
    stats.backlog_escalated = len(backlog) - stats.backlog_open
    ages = [(now - created).total_seconds() for _, created in backlog]
    stats.backlog_oldest_seconds = max(ages) if ages else None
    bucket_counts = Counter(
        next(name for name, limit in BACKLOG_BUCKETS if age < limit) for age in ages
    )
    stats.backlog_ages = [(name, bucket_counts.get(name, 0)) for name, _ in BACKLOG_BUCKETS]

    decided = list(
        effective_labels()
        .filter(practice=practice, created_at__gte=lo, created_at__lt=hi)
        .values_list("predicted_label", "reviewer_label", "reviewer__username", "seconds_spent")
    )
    stats.decisions = len(decided)
    per_intent: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    rows = [*INTENTS]
    if any(not predicted for predicted, *_ in decided):
        rows.append(UNCLASSIFIED)
    index = {label: i for i, label in enumerate(rows)}
    stats.confusion_rows = rows
    stats.confusion = [[0] * len(INTENTS) for _ in rows]
    by_reviewer: dict[str, list[tuple[bool, float]]] = defaultdict(list)
    for predicted, chosen, username, seconds in decided:
        predicted = predicted or UNCLASSIFIED
        if chosen in INTENTS:
            stats.confusion[index[predicted]][INTENTS.index(chosen)] += 1
        if predicted != UNCLASSIFIED:
            per_intent[predicted][0] += 1
            per_intent[predicted][1] += int(predicted == chosen)
        by_reviewer[username].append((predicted != chosen, seconds))
    stats.agreement = [
        AgreementRow(intent=i, decisions=per_intent[i][0], agreed=per_intent[i][1]) for i in INTENTS
    ]
    judged = sum(r.decisions for r in stats.agreement)
    stats.agreement_overall = sum(r.agreed for r in stats.agreement) / judged if judged else None
    stats.reviewers = sorted(
        (
            ReviewerRow(
                username=username,
                decisions=len(entries),
                corrections=sum(1 for changed, _ in entries if changed),
                median_seconds=statistics.median(s for _, s in entries) if entries else None,
            )
            for username, entries in by_reviewer.items()
        ),
        key=lambda r: (-r.decisions, r.username),
    )

    urgent = list(
        messages.filter(urgent=True)
        .select_related("review_item")
        .only(
            "pk",
            "received_at",
            "red_flags",
            "review_item__status",
            "review_item__first_seen_at",
        )
        .order_by("-received_at")
    )
    stats.urgent_total = len(urgent)
    looks: list[float] = []
    for message in urgent:
        item = getattr(message, "review_item", None)
        seen = item.first_seen_at if item is not None else None
        look = max(0.0, (seen - message.received_at).total_seconds()) if seen else None
        if look is not None:
            looks.append(look)
        if len(stats.urgent_recent) < 20:
            stats.urgent_recent.append(
                UrgentRow(
                    message_id=message.pk,
                    received_at=message.received_at,
                    rules=list(message.red_flags or []),
                    status=item.status if item is not None else "auto-routed",
                    first_look_seconds=look,
                )
            )
    stats.urgent_looked_at = len(looks)
    stats.urgent_first_look_median = statistics.median(looks) if looks else None
    stats.urgent_first_look_p90 = _percentile(looks, 0.9)
    return stats


# --- audit log and exports --------------------------------------------------------------


def audit_rows(*, practice: Practice, action: str = "") -> QuerySet[AccessAudit]:
    rows = AccessAudit.objects.filter(practice=practice).select_related("user", "api_key")
    if action:
        rows = rows.filter(action=action)
    return rows.order_by("-created_at", "-pk")


def audit_actions(*, practice: Practice) -> list[str]:
    return sorted(
        AccessAudit.objects.filter(practice=practice).values_list("action", flat=True).distinct()
    )


def practice_exports(*, practice: Practice) -> list[Export]:
    return list(
        Export.objects.filter(practice=practice)
        .select_related("requested_by")
        .order_by("-created_at", "-pk")[:50]
    )


def export_for(*, practice: Practice, export_id: int) -> Export | None:
    return Export.objects.filter(pk=export_id, practice=practice).first()


def practice_reviewers(*, practice: Practice) -> list[str]:
    """Usernames that have decided at least one item in the practice (export filter choices)."""
    return sorted(
        set(
            CalibrationLabel.objects.filter(practice=practice).values_list(
                "reviewer__username", flat=True
            )
        )
    )


def practice_model_versions(*, practice: Practice) -> list[str]:
    return sorted(
        set(
            CalibrationLabel.objects.filter(practice=practice)
            .exclude(model_version="")
            .values_list("model_version", flat=True)
        )
    )
