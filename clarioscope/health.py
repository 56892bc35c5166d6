"""Liveness and readiness probes for load balancers, orchestrators and `make serve`.

/healthz answers 200 while the process can answer at all: restart it only when this fails.
/readyz answers 200 only when this process can classify a message end to end (database, broker,
model); otherwise 503 with each check's verdict, so a load balancer stops sending traffic here
and an operator sees which dependency is down. Neither reads message data, and neither needs
authentication: they say nothing a port scan would not.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from mlops.registry import ModelUnavailable, last_load_error, serving_model

# A probe must answer within a load balancer's timeout even when Redis hangs.
BROKER_TIMEOUT_SECONDS = 2.0


@functools.cache
def _redis_client(url: str) -> object:
    # One pooled client per process: probes every few seconds must not open a socket each time.
    import redis

    return redis.Redis.from_url(
        url, socket_timeout=BROKER_TIMEOUT_SECONDS, socket_connect_timeout=BROKER_TIMEOUT_SECONDS
    )


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        # A broken persistent connection must not outlive the outage in this process.
        connection.close_if_unusable_or_obsolete()
        return f"error: {type(exc).__name__}"
    return "ok"


def _check_broker() -> str:
    if not settings.REDIS_URL:
        return "ok: tasks run in-process"
    try:
        _redis_client(settings.REDIS_URL).ping()  # type: ignore[attr-defined]
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


def _check_model(database: str) -> str:
    if database != "ok":
        # Which model is active is a database question.
        return "unknown: database unavailable"
    try:
        return f"ok: {serving_model().version}"
    except ModelUnavailable as exc:
        return f"error: {last_load_error() or exc}"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Deliberately touches nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, broker and model, each with its own verdict."""
    database = _check_database()
    checks = {"database": database, "broker": _check_broker(), "model": _check_model(database)}
    ready = all(verdict.startswith("ok") for verdict in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )
