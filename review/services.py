"""Writes for review: claiming queue items under a lease, decisions (append-only calibration
labels that re-route the message), undo, skip and escalation, practice settings, exports and
failed-login bookkeeping.

Every service checks the caller's role in the practice itself, so a view that forgot a check
still cannot let an ML staff member decide an item or a reviewer start an export.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from clarioscope.errors import ApplicationError
from clarioscope.taxonomy import DESTINATIONS, INTENTS
from intake.models import (
    Message,
    MessageStatus,
    Practice,
    ReviewItem,
    ReviewReason,
    ReviewStatus,
)
from intake.routing import destination_for, route
from intake.services import audit_record
from review import exports
from review.models import CalibrationLabel, DecisionKind, Export, ExportStatus, LoginFailure
from review.selectors import (
    ADMIN_ROLES,
    EXPORT_ROLES,
    QUEUE_ORDER,
    REVIEW_ROLES,
    QueueFilters,
    last_undoable_label,
    queue_items,
    role_in,
)

logger = logging.getLogger(__name__)

MAX_SECONDS_SPENT = 3600.0
# Under SQLite a claim retries this many candidate rows before saying the queue is empty.
CLAIM_CANDIDATES = 20


def _require_role(user: User, practice: Practice, roles: frozenset[str]) -> str:
    role = role_in(user=user, practice=practice)
    if role is None:
        raise ApplicationError("Not found.", status_code=404, code="not_found")
    if role not in roles:
        raise ApplicationError(
            "Your role in this practice does not allow this.", status_code=403, code="forbidden"
        )
    return role


def _lease_until() -> Any:
    return timezone.now() + timedelta(seconds=settings.REVIEW_LEASE_SECONDS)


def _claimable(now: Any) -> Q:
    """Nobody holds the item, or whoever held it let the lease run out."""
    return Q(claimed_by__isnull=True) | Q(lease_expires_at__lte=now)


# --- claiming -----------------------------------------------------------------------------


def review_claim_next(
    *,
    reviewer: User,
    practice: Practice,
    filters: QueueFilters | None = None,
    exclude_ids: Sequence[int] = (),
) -> ReviewItem | None:
    """Lease the next open item to this reviewer, or None when nothing is left.

    Items the page still shows (exclude_ids) that the reviewer holds get a fresh lease. An item
    the reviewer holds but is not showing comes first: it was claimed for them and dropped by
    the browser (a preload replaced by an undo, a closed tab), and handing it back is what
    keeps it from sitting out its lease.
    """
    _require_role(reviewer, practice, REVIEW_ROLES)
    now = timezone.now()
    if exclude_ids:
        # The page asking for more still shows these: the reviewer is working, keep them leased.
        ReviewItem.objects.filter(
            pk__in=list(exclude_ids),
            practice=practice,
            status__in=[ReviewStatus.OPEN, ReviewStatus.ESCALATED],
            claimed_by_id=reviewer.pk,
        ).update(lease_expires_at=_lease_until())
    candidates = queue_items(practice=practice, filters=filters or QueueFilters()).exclude(
        pk__in=list(exclude_ids)
    )
    held = candidates.filter(claimed_by_id=reviewer.pk, lease_expires_at__gt=now).first()
    if held is not None:
        ReviewItem.objects.filter(pk=held.pk, claimed_by_id=reviewer.pk).update(
            lease_expires_at=_lease_until()
        )
        return _load_item(held.pk)
    if connection.features.has_select_for_update_skip_locked:
        return _claim_skip_locked(reviewer, candidates.filter(_claimable(now)))
    return _claim_conditional(reviewer, candidates, now)


def _claim_skip_locked(reviewer: User, candidates: Any) -> ReviewItem | None:
    # SKIP LOCKED: concurrent reviewers each lock a different head-of-queue row instead of
    # queueing behind one another on the same row. of=("self",) locks only the item, not the
    # message rows joined in by the filters.
    with transaction.atomic(durable=True):
        item = (
            candidates.order_by(*QUEUE_ORDER)
            .select_for_update(skip_locked=True, of=("self",))
            .first()
        )
        if item is None:
            return None
        ReviewItem.objects.filter(pk=item.pk).update(
            claimed_by_id=reviewer.pk, lease_expires_at=_lease_until()
        )
    return _load_item(item.pk)


def _claim_conditional(reviewer: User, candidates: Any, now: Any) -> ReviewItem | None:
    # SQLite has no SKIP LOCKED (and serialises writers anyway): the claim is a conditional
    # update that only succeeds while the row is still open and unleased. A loser moves on to
    # the next candidate instead of waiting.
    tried: set[int] = set()
    while True:
        ids = list(
            candidates.filter(_claimable(now))
            .exclude(pk__in=tried)
            .values_list("pk", flat=True)[:CLAIM_CANDIDATES]
        )
        if not ids:
            return None
        for pk in ids:
            won = (
                ReviewItem.objects.filter(pk=pk, status=ReviewStatus.OPEN)
                .filter(_claimable(timezone.now()))
                .update(claimed_by_id=reviewer.pk, lease_expires_at=_lease_until())
            )
            if won:
                return _load_item(pk)
            tried.add(pk)


def review_claim(*, reviewer: User, practice: Practice, item_id: int) -> ReviewItem:
    """Lease one given item (opened from the queue list). Escalated items: admins only."""
    role = _require_role(reviewer, practice, REVIEW_ROLES)
    statuses = [ReviewStatus.OPEN]
    if role in ADMIN_ROLES:
        statuses.append(ReviewStatus.ESCALATED)
    item = ReviewItem.objects.filter(pk=item_id, practice=practice).first()
    if item is None:
        raise ApplicationError("Not found.", status_code=404, code="not_found")
    won = (
        ReviewItem.objects.filter(pk=item_id, practice=practice, status__in=statuses)
        .filter(_claimable(timezone.now()) | Q(claimed_by_id=reviewer.pk))
        .update(claimed_by_id=reviewer.pk, lease_expires_at=_lease_until())
    )
    if not won:
        if item.status == ReviewStatus.ESCALATED and role not in ADMIN_ROLES:
            raise ApplicationError(
                "This item was escalated to a practice admin.", status_code=403, code="escalated"
            )
        if item.status == ReviewStatus.DONE:
            raise ApplicationError("This item is already decided.", status_code=409, code="done")
        raise ApplicationError(
            "Another reviewer is working on this item.", status_code=409, code="claimed"
        )
    return _load_item(item_id)


def _load_item(pk: int) -> ReviewItem:
    return ReviewItem.objects.select_related("message", "claimed_by").get(pk=pk)


def review_item_mark_seen(*, item: ReviewItem) -> None:
    """The first time a human is shown the item: the dashboard's 'time to first human look'."""
    if item.first_seen_at is None:
        now = timezone.now()
        ReviewItem.objects.filter(pk=item.pk, first_seen_at__isnull=True).update(first_seen_at=now)
        item.first_seen_at = now


def review_release_expired_leases() -> int:
    """Clear leases that ran out. Claims already treat an expired lease as free; this keeps the
    queue page honest about who is working on what."""
    return ReviewItem.objects.filter(
        claimed_by__isnull=False, lease_expires_at__lte=timezone.now()
    ).update(claimed_by=None, lease_expires_at=None)


def review_skip(*, reviewer: User, practice: Practice, item_id: int) -> None:
    """Give the item back to the queue now rather than when the lease runs out."""
    _require_role(reviewer, practice, REVIEW_ROLES)
    if not ReviewItem.objects.filter(pk=item_id, practice=practice).exists():
        raise ApplicationError("Not found.", status_code=404, code="not_found")
    ReviewItem.objects.filter(pk=item_id, practice=practice, claimed_by_id=reviewer.pk).update(
        claimed_by=None, lease_expires_at=None
    )


def review_escalate(*, reviewer: User, practice: Practice, item_id: int, note: str = "") -> None:
    """Hand an open item to the practice admins: it leaves the reviewers' queue."""
    _require_role(reviewer, practice, REVIEW_ROLES)
    with transaction.atomic(durable=True):
        escalated = (
            ReviewItem.objects.filter(pk=item_id, practice=practice, status=ReviewStatus.OPEN)
            .filter(_claimable(timezone.now()) | Q(claimed_by_id=reviewer.pk))
            .update(status=ReviewStatus.ESCALATED, claimed_by=None, lease_expires_at=None)
        )
        if not escalated:
            if not ReviewItem.objects.filter(pk=item_id, practice=practice).exists():
                raise ApplicationError("Not found.", status_code=404, code="not_found")
            raise ApplicationError(
                "This item is no longer open, or another reviewer holds it.",
                status_code=409,
                code="not_open",
            )
        audit_record(
            action="escalate",
            object_type="review_item",
            object_ids=[item_id],
            practice=practice,
            user=reviewer,
            detail={"note": note[:500]} if note else {},
        )


# --- decisions ----------------------------------------------------------------------------


def review_submit(
    *,
    reviewer: User,
    practice: Practice,
    message_id: int,
    label: str,
    seconds_spent: float = 0.0,
    reason: str = "",
) -> CalibrationLabel:
    """Record a reviewer's label for a message and re-route the message to its destination.

    One transaction: the append-only CalibrationLabel (with the model's full provenance), the
    message's new routing and the closed ReviewItem commit together or not at all. A message
    that was auto-routed (no ReviewItem) is a spot check and counts the same.
    """
    role = _require_role(reviewer, practice, REVIEW_ROLES)
    if label not in INTENTS:
        raise ApplicationError(f"unknown intent {label!r}", code="invalid_label")
    seconds = min(max(float(seconds_spent), 0.0), MAX_SECONDS_SPENT)
    now = timezone.now()
    with transaction.atomic(durable=True):
        message = (
            Message.objects.select_for_update()
            .filter(pk=message_id, practice=practice)
            .defer("raw_payload")
            .first()
        )
        if message is None:
            raise ApplicationError("Not found.", status_code=404, code="not_found")
        item = ReviewItem.objects.select_for_update().filter(message=message).first()
        if item is None:
            if message.status == MessageStatus.PENDING:
                raise ApplicationError(
                    "This message is still being classified.", status_code=409, code="pending"
                )
            kind = DecisionKind.SPOT_CHECK
            item = ReviewItem.objects.create(
                message=message,
                practice=practice,
                status=ReviewStatus.DONE,
                reason=ReviewReason.SPOT_CHECK,
                urgent=message.urgent,
                uncertainty=1.0 - message.confidence if message.confidence is not None else 1.0,
                first_seen_at=now,
                decided_at=now,
            )
        else:
            _check_decidable(item, reviewer, role, now)
            kind = (
                DecisionKind.SPOT_CHECK
                if item.reason == ReviewReason.SPOT_CHECK
                else DecisionKind.ACCEPT
                if label == message.label
                else DecisionKind.CORRECT
            )
            ReviewItem.objects.filter(pk=item.pk).update(
                status=ReviewStatus.DONE,
                decided_at=now,
                claimed_by=None,
                lease_expires_at=None,
                first_seen_at=item.first_seen_at or now,
            )
        decision = CalibrationLabel.objects.create(
            message=message,
            practice=practice,
            review_item=item,
            kind=kind,
            model_version=message.model_version,
            probabilities=message.probabilities,
            predicted_label=message.label,
            reviewer_label=label,
            reviewer=reviewer,
            seconds_spent=seconds,
            reason=reason.strip()[:500],
            created_at=now,
        )
        Message.objects.filter(pk=message.pk).update(
            routed_label=label,
            destination=destination_for(practice, label),
            needs_review=False,
            reviewed_at=now,
        )
    return decision


def _check_decidable(item: ReviewItem, reviewer: User, role: str, now: Any) -> None:
    if item.status == ReviewStatus.DONE:
        raise ApplicationError(
            "This item is already decided; undo that decision first.",
            status_code=409,
            code="done",
        )
    if item.status == ReviewStatus.ESCALATED and role not in ADMIN_ROLES:
        raise ApplicationError(
            "This item was escalated to a practice admin.", status_code=403, code="escalated"
        )
    held_by_other = (
        item.claimed_by_id is not None
        and item.claimed_by_id != reviewer.pk
        and item.lease_expires_at is not None
        and item.lease_expires_at > now
    )
    if held_by_other:
        raise ApplicationError(
            "Another reviewer holds this item (your lease ran out).",
            status_code=409,
            code="claimed",
        )


def review_undo(*, reviewer: User, practice: Practice) -> CalibrationLabel:
    """Cancel the reviewer's most recent standing decision in the practice.

    Appends an undo row (nothing is deleted), puts the message back to the routing the model
    gave it, and reopens the item leased to this reviewer so they can decide it again.
    """
    _require_role(reviewer, practice, REVIEW_ROLES)
    now = timezone.now()
    with transaction.atomic(durable=True):
        target = last_undoable_label(user=reviewer, practice=practice)
        if target is None:
            raise ApplicationError("Nothing to undo.", status_code=404, code="nothing_to_undo")
        message = Message.objects.select_for_update().defer("raw_payload").get(pk=target.message_id)
        undo = CalibrationLabel.objects.create(
            message=message,
            practice=practice,
            review_item_id=target.review_item_id,
            kind=DecisionKind.UNDO,
            model_version=target.model_version,
            probabilities=target.probabilities,
            predicted_label=target.predicted_label,
            reviewer_label="",
            reviewer=reviewer,
            reason=f"undoes decision {target.pk}",
            undoes=target,
            created_at=now,
        )
        original = route(
            practice=practice,
            text=message.text,
            label=message.label,
            confidence=message.confidence,
        )
        Message.objects.filter(pk=message.pk).update(
            routed_label=message.label,
            destination=original.destination,
            needs_review=True,
            reviewed_at=None,
        )
        if target.review_item_id is not None:
            ReviewItem.objects.filter(pk=target.review_item_id).update(
                status=ReviewStatus.OPEN,
                decided_at=None,
                claimed_by_id=reviewer.pk,
                lease_expires_at=_lease_until(),
            )
    return undo


# --- practice settings --------------------------------------------------------------------


def practice_settings_update(
    *,
    user: User,
    practice: Practice,
    review_threshold: float,
    intent_thresholds: dict[str, float],
    destinations: dict[str, str],
) -> Practice:
    """Thresholds and destinations, as routing reads them for the next message. Audited."""
    _require_role(user, practice, ADMIN_ROLES)
    if not 0.0 <= review_threshold <= 1.0:
        raise ApplicationError("The review threshold must be between 0 and 1.")
    for intent, value in intent_thresholds.items():
        if intent not in INTENTS or not 0.0 <= value <= 1.0:
            raise ApplicationError(f"Bad threshold for {intent!r}.")
    for intent, destination in destinations.items():
        if intent not in INTENTS or destination not in DESTINATIONS:
            raise ApplicationError(f"Bad destination for {intent!r}.")
    with transaction.atomic(durable=True):
        locked = Practice.objects.select_for_update().get(pk=practice.pk)
        before = {
            "review_threshold": locked.review_threshold,
            "intent_thresholds": locked.intent_thresholds,
            "destinations": locked.destinations,
        }
        locked.review_threshold = review_threshold
        locked.intent_thresholds = intent_thresholds
        locked.destinations = destinations
        locked.save(update_fields=["review_threshold", "intent_thresholds", "destinations"])
        audit_record(
            action="update_settings",
            object_type="practice",
            object_ids=[practice.pk],
            practice=practice,
            user=user,
            detail={
                "before": before,
                "after": {
                    "review_threshold": review_threshold,
                    "intent_thresholds": intent_thresholds,
                    "destinations": destinations,
                },
            },
        )
    return locked


# --- exports ------------------------------------------------------------------------------


def export_request(
    *,
    user: User,
    practice: Practice,
    fmt: str,
    filters: exports.ExportFilters,
    deidentify: bool,
) -> Export:
    """Create the Export row, then queue the task once the row is committed."""
    from review.tasks import run_export

    _require_role(user, practice, EXPORT_ROLES)
    if fmt not in exports.FORMATS:
        raise ApplicationError(f"unknown format {fmt!r}; one of {', '.join(exports.FORMATS)}")
    with transaction.atomic(durable=True):
        export = Export.objects.create(
            practice=practice,
            requested_by=user,
            format=fmt,
            filters=filters.as_dict(),
            deidentify=deidentify,
        )
        export_id = export.pk
        transaction.on_commit(lambda: run_export.delay(export_id))
    return export


def export_path(export: Export) -> Path:
    name = f"export-{export.pk}-{export.practice.slug}.{exports.EXTENSIONS[export.format]}"
    return Path(settings.EXPORT_DIR) / name


def export_run(*, export_id: int) -> Export | None:
    """Build an export's file and manifest, recording progress on the row. Safe to run twice:
    a finished export is left alone, an interrupted one starts over."""
    claimed = Export.objects.filter(
        pk=export_id, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
    ).update(status=ExportStatus.RUNNING, progress=0.0, error="")
    if not claimed:
        return Export.objects.filter(pk=export_id).first()
    export = Export.objects.select_related("practice", "requested_by").get(pk=export_id)
    filters = exports.ExportFilters.from_dict(export.filters)
    path = export_path(export)
    total = exports.export_queryset(practice=export.practice, filters=filters).count()
    step = max(1, total // 50)

    def on_row(count: int) -> None:
        if count % step == 0:
            Export.objects.filter(pk=export_id).update(progress=min(0.99, count / max(total, 1)))

    try:
        rows = exports.iter_rows(practice=export.practice, filters=filters, mask=export.deidentify)
        count = exports.write_rows(rows=rows, fmt=export.format, path=path, on_row=on_row)
        manifest = exports.build_manifest(
            path=path,
            fmt=export.format,
            practice=export.practice,
            filters=filters,
            mask=export.deidentify,
            row_count=count,
            requested_by=export.requested_by.get_username(),
            export_id=export.pk,
        )
        exports.write_manifest(manifest, path)
    except Exception as exc:
        logger.exception("export %s failed", export_id)
        Export.objects.filter(pk=export_id).update(
            status=ExportStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        return Export.objects.get(pk=export_id)
    with transaction.atomic():
        Export.objects.filter(pk=export_id).update(
            status=ExportStatus.SUCCEEDED,
            progress=1.0,
            row_count=count,
            path=str(path),
            manifest=manifest,
            finished_at=timezone.now(),
        )
        audit_record(
            action="export",
            object_type="export",
            object_ids=[export_id],
            practice=export.practice,
            user=export.requested_by,
            detail={
                "format": export.format,
                "rows": count,
                "filters": filters.as_dict(),
                "deidentified": export.deidentify,
            },
        )
    return Export.objects.get(pk=export_id)


# --- sign-in ------------------------------------------------------------------------------


def login_failure_record(*, username: str) -> None:
    username = username.strip().lower()[:150]
    # Old failures no longer count; drop them so the table stays as small as the window.
    cutoff = timezone.now() - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    LoginFailure.objects.filter(username=username, created_at__lt=cutoff).delete()
    LoginFailure.objects.create(username=username)


def login_failures_clear(*, username: str) -> None:
    LoginFailure.objects.filter(username=username.strip().lower()[:150]).delete()


# --- access audit -------------------------------------------------------------------------


def message_view_record(
    *,
    user: User,
    practice: Practice,
    message_id: int,
    item: ReviewItem | None = None,
    action: str = "view_message",
    via: str = "",
) -> None:
    """Every time message text is sent to a browser: an access-audit row, and for a queue item
    the first human look."""
    audit_record(
        action=action,
        object_type="message",
        object_ids=[message_id],
        practice=practice,
        user=user,
        detail={"via": via} if via else {},
    )
    if item is not None:
        review_item_mark_seen(item=item)


def export_download_record(*, user: User, export: Export) -> None:
    audit_record(
        action="download_export",
        object_type="export",
        object_ids=[export.pk],
        practice=export.practice,
        user=user,
        detail={
            "format": export.format,
            "rows": export.row_count,
            "deidentified": export.deidentify,
        },
    )
