"""Many reviewers claiming at once from one queue, on PostgreSQL (SELECT ... FOR UPDATE SKIP
LOCKED). SQLite serialises every writer, so there is nothing to prove there: skipped."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from conftest import make_user
from django.db import connection, connections
from django.utils import timezone

from intake.models import Message, MessageStatus, ReviewItem, ReviewStatus, Role
from review import services
from review.models import CalibrationLabel

REVIEWERS = 20
ITEMS = 1000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_reviewers_clear_a_thousand_items_without_sharing_one(practice):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for SKIP LOCKED; this run uses SQLite")
    reviewers = [make_user(f"reviewer-{i:02d}", practice, Role.REVIEWER) for i in range(REVIEWERS)]
    now = timezone.now()
    messages = Message.objects.bulk_create(
        Message(
            practice=practice,
            channel="sms",
            text=f"message {n}",
            status=MessageStatus.CLASSIFIED,
            label="appointment_request",
            confidence=0.5,
            probabilities={"appointment_request": 0.5, "complaint": 0.5},
            model_version="concurrency",
            routed_label="appointment_request",
            destination="scheduling",
            needs_review=True,
            received_at=now,
            created_at=now,
        )
        for n in range(ITEMS)
    )
    ReviewItem.objects.bulk_create(
        ReviewItem(
            message=m,
            practice=practice,
            reason="low_confidence",
            uncertainty=0.5,
            urgent=n % 50 == 0,
            created_at=now,
        )
        for n, m in enumerate(messages)
    )
    start = threading.Barrier(REVIEWERS)
    claims: dict[int, list[int]] = {r.pk: [] for r in reviewers}
    failures: list[BaseException] = []

    def review(user) -> None:
        try:
            start.wait()
            while (
                item := services.review_claim_next(reviewer=user, practice=practice)
            ) is not None:
                claims[user.pk].append(item.pk)
                services.review_submit(
                    reviewer=user,
                    practice=practice,
                    message_id=item.message_id,
                    label="complaint",
                )
        except BaseException as exc:  # reported below, with the thread's reviewer
            failures.append(exc)
        finally:
            connections.close_all()  # each thread had its own connection

    threads = [threading.Thread(target=review, args=(r,)) for r in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures[:3]
    everything = [pk for pks in claims.values() for pk in pks]
    counts = Counter(everything)
    assert len(everything) == ITEMS, "each item claimed exactly once"
    assert not [pk for pk, n in counts.items() if n > 1], "no item claimed twice"
    assert (
        ReviewItem.objects.filter(practice=practice).exclude(status=ReviewStatus.DONE).count() == 0
    )
    assert CalibrationLabel.objects.filter(practice=practice).count() == ITEMS
    busy = sum(1 for pks in claims.values() if pks)
    assert busy > 1, "the work was shared between reviewers"
