"""Celery tasks for review: they take ids, return early when there is nothing to do, and call
a service, so running one twice is harmless."""

from __future__ import annotations

from celery import shared_task

from review import services


@shared_task(acks_late=True)
def release_expired_leases() -> int:
    return services.review_release_expired_leases()


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=3000, time_limit=3300)
def run_export(export_id: int) -> str:
    export = services.export_run(export_id=export_id)
    return export.status if export is not None else "missing"
