"""Writes for intake: practices, API keys, message ingestion, classification and routing."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from clarioscope.errors import ApplicationError
from clarioscope.taxonomy import CHANNELS
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
    api_key = (
        ApiKey.objects.select_related("practice")
        .filter(hashed_key=_hash_key(raw_key), revoked_at__isnull=True)
        .first()
    )
    if api_key is not None:
        # Throttled to one write a minute per key so authentication stays read-only under load.
        now = timezone.now()
        if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return api_key


def api_key_revoke(*, api_key: ApiKey) -> None:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


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
) -> IngestResult:
    """Store the message (and its raw payload) before anything else can fail.

    Duplicates (same Idempotency-Key, or same channel + external id) return the stored message;
    a concurrent duplicate loses the race on the unique constraint and gets the winner's row.
    """
    if channel not in CHANNELS:
        raise ApplicationError(f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}")
    external_id = external_id[:255]
    idempotency_key = idempotency_key[:255]
    _check_identifier("external_id", external_id)
    _check_identifier("idempotency_key", idempotency_key)
    existing = _existing(practice, channel, external_id, idempotency_key)
    if existing is not None:
        return IngestResult(existing, False)
    normalised = normalise_text(text, max_chars=settings.MAX_MESSAGE_CHARS)
    try:
        with transaction.atomic():
            message = Message.objects.create(
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
            )
    except IntegrityError:
        existing = _existing(practice, channel, external_id, idempotency_key)
        if existing is None:
            raise
        return IngestResult(existing, False)
    return IngestResult(message, True)


def _enqueue(ids: list[int]) -> None:
    from intake.tasks import classify_messages

    # robust: the rows are committed by then; a broker outage must not turn a stored message into
    # an error for the sender (who would retry and be told it is a duplicate). The periodic sweep
    # queues whatever stayed pending.
    transaction.on_commit(lambda: classify_messages.delay(ids), robust=True)


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
    """Webhook path: store one message and queue its classification (acknowledge fast)."""
    return messages_ingest_and_enqueue(items=[fields], practice=practice)[0]


def message_enqueue_classification(*, message: Message) -> None:
    _enqueue([message.pk])


def message_submit(*, practice: Practice, **fields: Any) -> IngestResult:
    """REST path: store one message, then classify it synchronously, outside any transaction.

    A retried request (same Idempotency-Key or external id) whose first attempt stored the message
    but died before classifying finishes the job instead of answering with a pending message.
    """
    result = message_ingest(practice=practice, **fields)
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
    with_text = [m for m in messages if m.text]
    predictions, version, error = (
        _predict([m.text for m in with_text]) if with_text else ([], "", "")
    )
    by_id: dict[int, Prediction] = {}
    if predictions is not None:
        by_id = {m.pk: p for m, p in zip(with_text, predictions, strict=True)}
    done: list[Message] = []
    # One transaction for the batch: one commit instead of one per message (the commits were
    # most of a batch's time). Rows are locked in pk order, so racing workers cannot deadlock.
    with transaction.atomic():
        for message in messages:
            prediction = by_id.get(message.pk)
            reason = "" if prediction else (error or "empty text")
            if _store_classification(message, prediction, version, reason):
                done.append(message)
    return done


def _store_classification(
    message: Message, prediction: Prediction | None, version: str, error: str
) -> bool:
    """Write one result if the message is still pending (call inside a transaction)."""
    label = prediction.label if prediction else ""
    confidence = prediction.confidence if prediction else None
    decision = route(
        practice=message.practice, text=message.text, label=label, confidence=confidence
    )
    now = timezone.now()
    fields: dict[str, Any] = {
        "status": MessageStatus.CLASSIFIED if prediction else MessageStatus.UNCLASSIFIED,
        "classified_at": now,
        "classification_error": error,
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
    updated = Message.objects.filter(pk=message.pk, status=MessageStatus.PENDING).update(**fields)
    if not updated:
        return False
    if decision.needs_review:
        ReviewItem.objects.get_or_create(
            message=message,
            defaults={
                "practice_id": message.practice_id,
                "reason": decision.review_reason,
                "urgent": decision.urgent,
                "uncertainty": 1.0 - confidence if confidence is not None else 1.0,
                "status": ReviewStatus.OPEN,
            },
        )
    for name, value in fields.items():
        setattr(message, name, value)
    return True


def message_classify_now(*, message: Message) -> Message:
    """Synchronous path of the REST API: classify this message and return it refreshed."""
    messages_classify(message_ids=[message.pk])
    message.refresh_from_db()
    return message


def messages_sweep_unclassified(*, older_than_seconds: int | None = None, limit: int = 5000) -> int:
    """Re-queue messages still pending after a while (a dead worker, a lost task). Returns how
    many were queued. Safe to run any time: classification is idempotent."""
    from intake.tasks import classify_messages

    age = settings.SWEEP_AFTER_SECONDS if older_than_seconds is None else older_than_seconds
    cutoff = timezone.now() - timedelta(seconds=age)
    ids = list(
        Message.objects.filter(status=MessageStatus.PENDING, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for start in range(0, len(ids), 50):
        classify_messages.delay(ids[start : start + 50])
    return len(ids)
