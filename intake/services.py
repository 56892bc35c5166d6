"""Writes for intake: practices, API keys, message ingestion, classification and routing."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from clarioscope.errors import ApplicationError
from clarioscope.taxonomy import CHANNELS
from intake import localcache
from intake.models import (
    AccessAudit,
    ApiKey,
    Message,
    MessageStatus,
    Practice,
    ReviewItem,
    ReviewStatus,
)
from intake.routing import RouteDecision, route
from intake.text import normalise_text, safe_raw
from mlops.core.inference import Prediction
from mlops.registry import ModelUnavailable, serving_model

logger = logging.getLogger(__name__)

API_KEY_PREFIX_LEN = 8


# --- practices and keys -------------------------------------------------------------------


def practice_get_or_create(*, slug: str, name: str = "") -> tuple[Practice, bool]:
    practice, created = Practice.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name or slug.replace("-", " ").title(),
            "review_threshold": settings.DEFAULT_REVIEW_THRESHOLD,
            "twilio_auth_token": secrets.token_hex(16),
            "mailgun_signing_key": secrets.token_hex(24),
            "chat_secret": secrets.token_hex(24),
        },
    )
    return practice, created


def _hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    raw_key: str  # shown once; only its hash is stored


def api_key_create(*, practice: Practice, name: str = "") -> CreatedApiKey:
    raw_key = f"cs_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        practice=practice,
        name=name,
        prefix=raw_key[:API_KEY_PREFIX_LEN],
        hashed_key=_hash_key(raw_key),
    )
    return CreatedApiKey(api_key=api_key, raw_key=raw_key)


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    hashed = _hash_key(raw_key)
    api_key = localcache.api_keys.get(hashed)
    if api_key is None:
        api_key = (
            ApiKey.objects.select_related("practice")
            .filter(hashed_key=hashed, revoked_at__isnull=True)
            .first()
        )
        if api_key is None:
            return None
        localcache.api_keys.set(hashed, api_key)
    # Throttled to one write a minute per key so authentication stays read-only under load.
    now = timezone.now()
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        api_key.last_used_at = now
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return api_key


def api_key_revoke(*, api_key: ApiKey) -> None:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    # update() sends no signal: forget the key here; other processes within LOOKUP_CACHE_SECONDS.
    localcache.api_keys.discard(api_key.hashed_key)


# --- audit ---------------------------------------------------------------------------------


def audit_record(
    *,
    action: str,
    object_type: str,
    object_ids: Sequence[int | str] = (),
    practice: Practice | None = None,
    user: Any = None,
    api_key: ApiKey | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append who read or exported message text. One row per call; ids listed in detail."""
    ids = [str(i) for i in object_ids]
    AccessAudit.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        api_key=api_key,
        practice=practice,
        action=action,
        object_type=object_type,
        object_id=ids[0] if len(ids) == 1 else "",
        detail={**(detail or {}), **({"ids": ids} if len(ids) > 1 else {})},
    )


# --- ingestion -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestResult:
    message: Message
    created: bool


def _existing(
    practice: Practice, channel: str, external_id: str, idempotency_key: str
) -> Message | None:
    if idempotency_key:
        found = Message.objects.filter(practice=practice, idempotency_key=idempotency_key).first()
        if found is not None:
            return found
    if external_id:
        return Message.objects.filter(
            practice=practice, channel=channel, external_id=external_id
        ).first()
    return None


def _check_identifier(name: str, value: str) -> None:
    # Identifiers are matched byte for byte (dedupe), so they are refused rather than cleaned:
    # PostgreSQL text cannot hold NUL, and no driver can encode a lone surrogate.
    if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ApplicationError(
            f"{name} contains a NUL or an unpaired surrogate character", code="invalid_identifier"
        )


def message_ingest(
    *,
    practice: Practice,
    channel: str,
    text: str,
    raw_payload: str | bytes = "",
    raw_content_type: str = "",
    external_id: str = "",
    idempotency_key: str = "",
    sender: str = "",
    subject: str = "",
    received_at: datetime | None = None,
    classifying_now: bool = False,
) -> IngestResult:
    """Store the message (and its raw payload) before anything else can fail.

    Duplicates (same Idempotency-Key, or same channel + external id) return the stored message.
    The row is inserted first and a duplicate is found by the unique constraint, not by a lookup
    beforehand: new messages are the common case and this saves them a query, and a concurrent
    duplicate loses the same race and gets the winner's row. `classifying_now` records the
    classification attempt the caller is about to make in the same INSERT.
    """
    if channel not in CHANNELS:
        raise ApplicationError(f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}")
    external_id = external_id[:255]
    idempotency_key = idempotency_key[:255]
    _check_identifier("external_id", external_id)
    _check_identifier("idempotency_key", idempotency_key)
    normalised = normalise_text(text, max_chars=settings.MAX_MESSAGE_CHARS)
    message = Message(
        practice=practice,
        channel=channel,
        external_id=external_id,
        idempotency_key=idempotency_key,
        sender=normalise_text(sender, max_chars=320).text,
        subject=normalise_text(subject, max_chars=500).text,
        text=normalised.text,
        truncated=normalised.truncated,
        raw_payload=safe_raw(raw_payload or text),
        raw_content_type=raw_content_type[:200],
        received_at=received_at or timezone.now(),
        classify_attempts=1 if classifying_now else 0,
    )
    try:
        if transaction.get_connection().in_atomic_block:
            # A savepoint, so that a duplicate does not abort the caller's transaction (a batch).
            with transaction.atomic():
                message.save(force_insert=True)
        else:
            # A single INSERT is atomic on its own; a transaction around it would only add
            # BEGIN and COMMIT round trips to every message.
            message.save(force_insert=True)
    except IntegrityError:
        existing = _existing(practice, channel, external_id, idempotency_key)
        if existing is None:
            raise
        return IngestResult(existing, False)
    return IngestResult(message, True)


# Set while a classify_pending task is queued and has not started yet: the messages that arrive
# meanwhile ride along with it instead of each queueing a task of their own.
CLASSIFY_PENDING_QUEUED_KEY = "intake:classify-pending-queued"
# If that task is lost (broker restart), the key expires and the next message queues another;
# the sweep picks up whatever arrived in between.
CLASSIFY_PENDING_QUEUED_TTL = 30
# A batch of this many or more gets its own task (the batch API); fewer share classify_pending.
OWN_TASK_MIN_MESSAGES = 8


def _enqueue(ids: list[int]) -> None:
    # robust: the rows are committed by then; a broker outage must not turn a stored message into
    # an error for the sender (who would retry and be told it is a duplicate). The periodic sweep
    # queues whatever stayed pending.
    transaction.on_commit(lambda: _queue_classification(ids), robust=True)


def _queue_classification(ids: list[int]) -> None:
    from intake.tasks import classify_messages

    if len(ids) >= OWN_TASK_MIN_MESSAGES:
        classify_messages.delay(ids)
    else:
        # One task per burst, not one per message: under load a task, its broker round trips and
        # its claim query cost more than classifying the message. The short countdown lets the
        # messages of the next moment join the batch (webhooks are answered already; nobody
        # waits on this).
        _queue_classify_pending(countdown=settings.CLASSIFY_PENDING_DELAY_SECONDS)


def _queue_classify_pending(*, countdown: float = 0) -> None:
    """Queue a classify_pending task unless one is queued already."""
    from intake.tasks import classify_pending

    if not cache.add(CLASSIFY_PENDING_QUEUED_KEY, 1, timeout=CLASSIFY_PENDING_QUEUED_TTL):
        return
    try:
        classify_pending.apply_async(countdown=countdown)
    except Exception:
        # Nothing was queued: let the next message try again (the sweep covers this one).
        cache.delete(CLASSIFY_PENDING_QUEUED_KEY)
        raise


def messages_ingest_and_enqueue(
    *, items: Sequence[dict[str, Any]], practice: Practice
) -> list[IngestResult]:
    """Store many messages (all or none), then queue their classification once committed."""
    with transaction.atomic():
        results = [message_ingest(practice=practice, **item) for item in items]
        new_ids = [r.message.pk for r in results if r.created]
        if new_ids:
            _enqueue(new_ids)
    return results


def message_receive(*, practice: Practice, **fields: Any) -> IngestResult:
    """Webhook path: store one message and queue its classification (acknowledge fast).

    No transaction of its own: the INSERT is atomic by itself, and the queueing runs right after
    it (or when the caller's transaction commits)."""
    result = message_ingest(practice=practice, **fields)
    if result.created:
        _enqueue([result.message.pk])
    return result


def message_submit(*, practice: Practice, **fields: Any) -> IngestResult:
    """REST path: store one message, then classify it synchronously, outside any transaction.

    A retried request (same Idempotency-Key or external id) whose first attempt stored the message
    but died before classifying finishes the job instead of answering with a pending message.
    """
    result = message_ingest(practice=practice, classifying_now=True, **fields)
    if result.created:
        # The INSERT already counted this attempt, and nobody else can have classified a row
        # created a moment ago by this request: classify the instance in hand, no re-read.
        _classify_loaded([result.message])
        if result.message.status == MessageStatus.PENDING:
            result.message.refresh_from_db()
        return result
    if result.message.status == MessageStatus.PENDING:
        return IngestResult(message_classify_now(message=result.message), result.created)
    return result


# --- classification and routing ------------------------------------------------------------


def _predict(texts: list[str]) -> tuple[list[Prediction] | None, str, str]:
    """Predictions, model version, and an error reason when the model could not answer."""
    try:
        model = serving_model()
    except ModelUnavailable as exc:
        return None, "", str(exc)
    try:
        return model.classifier.predict(texts), model.version, ""
    except Exception as exc:
        logger.exception("classifier failed on a batch of %d messages", len(texts))
        return None, model.version, f"classifier error: {type(exc).__name__}"[:480]


@dataclass(frozen=True)
class TextClassification:
    prediction: Prediction | None
    model_version: str
    error: str
    decision: RouteDecision


def texts_classify(*, texts: Sequence[str], practice: Practice) -> list[TextClassification]:
    """Classify and route texts without storing anything (offline evaluation, `manage.py
    classify`): the same normalisation, model and routing as a stored message gets."""
    normalised = [normalise_text(t, max_chars=settings.MAX_MESSAGE_CHARS).text for t in texts]
    with_text = [t for t in normalised if t]
    predictions, version, error = _predict(with_text) if with_text else ([], "", "")
    answers = iter(predictions or [])
    out: list[TextClassification] = []
    for text in normalised:
        prediction = next(answers) if text and predictions is not None else None
        out.append(
            TextClassification(
                prediction=prediction,
                model_version=version if prediction else "",
                error="" if prediction else (error or "empty text"),
                decision=route(
                    practice=practice,
                    text=text,
                    label=prediction.label if prediction else "",
                    confidence=prediction.confidence if prediction else None,
                ),
            )
        )
    return out


def messages_classify(*, message_ids: Sequence[int]) -> list[Message]:
    """Classify the pending messages among message_ids and route them. Idempotent.

    Inference runs outside any transaction; each result is written with a conditional update
    (status still pending), so a message classified twice by racing workers keeps one result.
    """
    messages = list(
        Message.objects.select_related("practice")
        .filter(pk__in=message_ids, status=MessageStatus.PENDING)
        .order_by("pk")
    )
    if not messages:
        return []
    Message.objects.filter(pk__in=[m.pk for m in messages]).update(
        classify_attempts=F("classify_attempts") + 1
    )
    for message in messages:
        message.classify_attempts += 1
    return _classify_loaded(messages)


def _classify_loaded(messages: Sequence[Message]) -> list[Message]:
    """Classify, route and store messages already read (pending, attempt counted); returns those
    this call classified. Each instance is updated in place."""
    with_text = [m for m in messages if m.text]
    predictions, version, error = (
        _predict([m.text for m in with_text]) if with_text else ([], "", "")
    )
    by_id: dict[int, Prediction] = {}
    if predictions is not None:
        by_id = {m.pk: p for m, p in zip(with_text, predictions, strict=True)}
    results = [_classification(m, by_id.get(m.pk), version, error) for m in messages]
    if len(results) == 1 and not results[0].decision.needs_review:
        # One message and one UPDATE: atomic by itself, no transaction round trips needed.
        return [messages[0]] if _store_classification(messages[0], results[0]) else []
    if transaction.get_connection().vendor == "postgresql":
        return _store_batch_postgresql(messages, results)
    done: list[Message] = []
    # One transaction for the batch: one commit instead of one per message (the commits were
    # most of a batch's time). Callers pass messages in pk order, so rows are locked in pk order
    # and racing workers cannot deadlock.
    with transaction.atomic():
        for message, result in zip(messages, results, strict=True):
            if _store_classification(message, result):
                done.append(message)
    return done


# The columns a classification writes, with their PostgreSQL types for the VALUES list.
_RESULT_COLUMNS = (
    ("status", "varchar"),
    ("classified_at", "timestamptz"),
    ("classification_error", "varchar"),
    ("label", "varchar"),
    ("confidence", "double precision"),
    ("probabilities", "jsonb"),
    ("model_version", "varchar"),
    ("routed_label", "varchar"),
    ("destination", "varchar"),
    ("needs_review", "boolean"),
    ("urgent", "boolean"),
    ("red_flags", "jsonb"),
)
_JSON_COLUMNS = {"probabilities", "red_flags"}


def _store_batch_postgresql(
    messages: Sequence[Message], results: Sequence[_Classification]
) -> list[Message]:
    """Write a batch's results with one UPDATE ... FROM (VALUES ...) and its review items with one
    INSERT: the same conditional write as _store_classification (only rows still pending), in
    two statements instead of one or more per message. The ORM has no conditional bulk update;
    bulk_update() builds a CASE per field and row, which costs more than the queries it saves."""
    quote = transaction.get_connection().ops.quote_name
    names = [name for name, _ in _RESULT_COLUMNS]
    row = "(%s::bigint, " + ", ".join(f"%s::{kind}" for _, kind in _RESULT_COLUMNS) + ")"
    params: list[Any] = []
    for message, result in zip(messages, results, strict=True):
        params.append(message.pk)
        for name in names:
            value = result.fields[name]
            params.append(
                json.dumps(value) if name in _JSON_COLUMNS and value is not None else value
            )
    params.append(MessageStatus.PENDING)
    table = quote(Message._meta.db_table)
    # Only constants are formatted in (the table, the fixed column list, placeholders); every
    # value goes as a parameter.
    sql = (
        f"UPDATE {table} AS m SET "  # noqa: S608
        + ", ".join(f"{quote(n)} = v.{quote(n)}" for n in names)
        + f" FROM (VALUES {', '.join([row] * len(messages))}) AS v(id, "
        + ", ".join(quote(n) for n in names)
        + ") WHERE m.id = v.id AND m.status = %s RETURNING m.id"
    )
    with transaction.atomic():
        # Lock the rows in pk order first: the UPDATE's own order follows its plan, and two
        # workers writing overlapping batches (a sweep and a batch task) must not deadlock.
        list(
            Message.objects.filter(pk__in=[m.pk for m in messages])
            .order_by("pk")
            .select_for_update()
            .values_list("pk", flat=True)
        )
        with transaction.get_connection().cursor() as cursor:
            cursor.execute(sql, params)
            updated = {pk for (pk,) in cursor.fetchall()}
        ReviewItem.objects.bulk_create(
            [
                _review_item(message, result)
                for message, result in zip(messages, results, strict=True)
                if message.pk in updated and result.decision.needs_review
            ],
            ignore_conflicts=True,  # a message keeps the review item it has
        )
    done = []
    for message, result in zip(messages, results, strict=True):
        if message.pk in updated:
            for name, value in result.fields.items():
                setattr(message, name, value)
            done.append(message)
    return done


def _review_item(message: Message, result: _Classification) -> ReviewItem:
    return ReviewItem(
        message=message,
        practice_id=message.practice_id,
        reason=result.decision.review_reason,
        urgent=result.decision.urgent,
        uncertainty=1.0 - result.confidence if result.confidence is not None else 1.0,
        status=ReviewStatus.OPEN,
    )


@dataclass(frozen=True)
class _Classification:
    fields: dict[str, Any]
    decision: RouteDecision
    confidence: float | None


def _classification(
    message: Message, prediction: Prediction | None, version: str, error: str
) -> _Classification:
    label = prediction.label if prediction else ""
    confidence = prediction.confidence if prediction else None
    decision = route(
        practice=message.practice, text=message.text, label=label, confidence=confidence
    )
    fields: dict[str, Any] = {
        "status": MessageStatus.CLASSIFIED if prediction else MessageStatus.UNCLASSIFIED,
        "classified_at": timezone.now(),
        "classification_error": "" if prediction else (error or "empty text"),
        "label": label,
        "confidence": confidence,
        "probabilities": prediction.probabilities if prediction else None,
        "model_version": version if prediction else "",
        "routed_label": label,
        "destination": decision.destination,
        "needs_review": decision.needs_review,
        "urgent": decision.urgent,
        "red_flags": decision.red_flags,
    }
    return _Classification(fields=fields, decision=decision, confidence=confidence)


def _store_classification(message: Message, result: _Classification) -> bool:
    """Write one result if the message is still pending (inside a transaction when it also
    opens a review item)."""
    updated = Message.objects.filter(pk=message.pk, status=MessageStatus.PENDING).update(
        **result.fields
    )
    if not updated:
        return False
    if result.decision.needs_review:
        # A message keeps the review item it has (a reviewer may be on it).
        ReviewItem.objects.bulk_create([_review_item(message, result)], ignore_conflicts=True)
    for name, value in result.fields.items():
        setattr(message, name, value)
    return True


def messages_classify_pending(*, batch_size: int | None = None, max_seconds: float = 30) -> int:
    """Classify messages that arrived one at a time and were never tried, in batches, until none
    are left (or max_seconds pass, then queue a follow-up). Returns how many were classified.

    Each batch is claimed first (its attempt counted, rows skipped by concurrent claimers), so two
    workers never classify the same message; a worker that dies after claiming leaves its batch
    pending with one attempt, for the sweep.
    """

    # Cleared before looking: a message committed after this point queues a new task, and one
    # committed before it is seen by the query below. Either way nothing waits for the sweep.
    cache.delete(CLASSIFY_PENDING_QUEUED_KEY)
    size = batch_size or settings.CLASSIFY_BATCH_SIZE
    deadline = time.monotonic() + max_seconds
    classified = 0
    while True:
        batch = _claim_untried(size)
        if not batch:
            return classified
        classified += len(_classify_loaded(batch))
        if time.monotonic() > deadline:
            _queue_classify_pending()
            return classified


def _claim_untried(limit: int) -> list[Message]:
    """Up to `limit` pending messages nobody has tried to classify yet, oldest first, with their
    attempt counted. Synchronous REST messages are inserted already counted, so the web process
    classifying one is never raced here."""
    with transaction.atomic():
        messages = list(
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("practice")
            .filter(status=MessageStatus.PENDING, classify_attempts=0)
            .order_by("pk")[:limit]
        )
        if messages:
            Message.objects.filter(pk__in=[m.pk for m in messages]).update(
                classify_attempts=F("classify_attempts") + 1
            )
    for message in messages:
        message.classify_attempts += 1
    return messages


def message_classify_now(*, message: Message) -> Message:
    """Synchronous path of the REST API: classify this message and return it refreshed."""
    messages_classify(message_ids=[message.pk])
    message.refresh_from_db()
    return message


def messages_sweep_unclassified(*, older_than_seconds: int | None = None, limit: int = 5000) -> int:
    """Re-queue messages still pending after a while (a dead worker, a lost task). Returns how
    many it found. Safe to run any time: classification is idempotent.

    Never-tried messages are classify_pending's: the sweep only makes sure one such task is
    queued, however many wait, so a backlog is not queued again at every sweep. Tried ones (a
    worker died holding them, or a web process mid-request) are queued by id.
    """
    from intake.tasks import classify_messages

    age = settings.SWEEP_AFTER_SECONDS if older_than_seconds is None else older_than_seconds
    cutoff = timezone.now() - timedelta(seconds=age)
    stale = Message.objects.filter(status=MessageStatus.PENDING, created_at__lte=cutoff)
    untried = stale.filter(classify_attempts=0).count()
    if untried:
        _queue_classify_pending()
    ids = list(
        stale.filter(classify_attempts__gt=0).order_by("pk").values_list("pk", flat=True)[:limit]
    )
    for start in range(0, len(ids), 50):
        classify_messages.delay(ids[start : start + 50])
    return untried + len(ids)
