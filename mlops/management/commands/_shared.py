"""Helpers shared by the mlops management commands (a leading underscore: not a command)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.core.management.base import CommandError
from tqdm import tqdm

from clarioscope.errors import ApplicationError
from mlops.models import Run, RunStatus

RunT = TypeVar("RunT", bound=Run)


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[float, str], None]]:
    """A tqdm bar driven by a run's (fraction, message) progress, with elapsed time and ETA."""
    bar = tqdm(total=1000, desc=description, unit="‰", dynamic_ncols=True, leave=True)

    def echo(fraction: float, message: str) -> None:
        target = round(fraction * 1000)
        if target > bar.n:
            bar.update(target - bar.n)
        bar.set_postfix_str(message[:70], refresh=True)

    try:
        yield echo
    finally:
        bar.close()


def finished(run: RunT | None, what: str) -> RunT:
    """Fail the command (exit status 1) with the run's reason when it did not succeed."""
    if run is None:
        raise CommandError(f"{what} disappeared")
    if run.status != RunStatus.SUCCEEDED:
        raise CommandError(f"{what} {run.pk} {run.status}: {run.error or 'see its log'}")
    return run


@contextmanager
def application_errors() -> Iterator[None]:
    try:
        yield
    except ApplicationError as exc:
        raise CommandError(exc.message) from exc


def queued_message(run: Run, kind: str) -> str:
    return (
        f"queued {kind} run {run.pk} on the mlops queue; follow it in the admin "
        f"(/admin/mlops/{type(run)._meta.model_name}/{run.pk}/change/)"
    )


def add_queue_flag(parser: Any) -> None:
    parser.add_argument(
        "--queue",
        action="store_true",
        help="queue the run for a Celery worker (mlops queue) instead of running it here",
    )
