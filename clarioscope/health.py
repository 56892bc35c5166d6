"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from mlops.registry import ModelUnavailable, serving_model


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Deliberately touches nothing else."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, broker and model, each with its own verdict."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
            checks["broker"] = "ok"
        except Exception as exc:
            checks["broker"] = f"error: {type(exc).__name__}"
    else:
        checks["broker"] = "ok (in-process tasks)"
    if checks["database"] == "ok":
        try:
            checks["model"] = f"ok: {serving_model().version}"
        except ModelUnavailable as exc:
            checks["model"] = f"error: {exc}"
    else:
        checks["model"] = "unknown: database unavailable"
    ready = all(v.startswith("ok") for v in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks},
                        status=200 if ready else 503)
