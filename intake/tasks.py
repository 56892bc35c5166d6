from __future__ import annotations

from celery import shared_task

from intake import services


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=300, time_limit=330)
def classify_messages(message_ids: list[int]) -> int:
    """Classify the still-pending messages among message_ids (already-done ones are skipped)."""
    return len(services.messages_classify(message_ids=message_ids))


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=300,
    time_limit=330,
    ignore_result=True,
)
def classify_pending() -> int:
    """Classify, in batches, the messages that arrived one at a time and were never tried."""
    return services.messages_classify_pending()


@shared_task(acks_late=True, ignore_result=True)
def sweep_unclassified() -> int:
    return services.messages_sweep_unclassified()
