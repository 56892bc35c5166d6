"""MLOps pages for staff and ML staff: models, benchmark pages with their pictures, run status.

Read-only except the promote button on a benchmark page, which calls the same service as the
admin. Run status is JSON polled by static/mlops/run_progress.js (the CSP allows no inline script).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseForbidden,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from clarioscope.errors import ApplicationError
from clarioscope.taxonomy import INTENTS
from mlops import selectors, services
from mlops.core.evaluate import render_confusion_svg, render_reliability_svg
from mlops.models import BenchmarkRun, ModelStatus, ModelVersion

View = Callable[..., HttpResponseBase]


def mlops_viewer_required(view: View) -> View:
    """Logged-in staff or ML staff; anyone else logged in gets 403, anonymous users the login."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not selectors.user_can_view_mlops(request.user):
            return HttpResponseForbidden("Models and benchmarks are for staff and ML staff.")
        return view(request, *args, **kwargs)

    return wrapped


def _may_promote(request: HttpRequest) -> bool:
    return bool(request.user.is_staff and request.user.has_perm("mlops.change_modelversion"))


@require_GET
@mlops_viewer_required
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "mlops/index.html",
        {
            "active": selectors.active_model(),
            "versions": selectors.model_versions_overview(),
            "benchmarks": selectors.benchmark_runs_visible(),
            "is_staff": request.user.is_staff,
        },
    )


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _dataset_tables(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per dataset: a summary row per model, per-class F1 and recall grids, the pictures."""
    tables = []
    models = results.get("models", [])
    for name, described in (results.get("datasets") or {}).items():
        rows = []
        present = list((described.get("by_intent") or {}).keys()) or list(INTENTS)
        f1_rows, recall_rows, wrong_rows, pictures = [], [], [], []
        for index, model in enumerate(models):
            metrics = (model.get("datasets") or {}).get(name)
            if metrics is None:
                continue
            recalls = metrics.get("recall") or {}
            rows.append(
                {
                    "model": model["name"],
                    "active": model.get("active"),
                    "kind": model.get("kind"),
                    "accuracy": _fmt(metrics.get("accuracy")),
                    "macro_f1": _fmt(metrics.get("macro_f1")),
                    "min_recall": _fmt(min(recalls.values()) if recalls else None),
                    "ece": _fmt(metrics.get("ece")),
                    "wrong_destination": _fmt(metrics.get("wrong_destination_rate")),
                    "note": metrics.get("note", ""),
                }
            )
            if metrics.get("per_class_f1"):
                f1 = metrics["per_class_f1"]
                f1_rows.append(
                    {"model": model["name"], "values": [_fmt(f1.get(i), 3) for i in present]}
                )
                recall_rows.append(
                    {"model": model["name"], "values": [_fmt(recalls.get(i), 3) for i in present]}
                )
                wrong = metrics.get("wrong_destination_by_intent") or {}
                wrong_rows.append(
                    {"model": model["name"], "values": [_fmt(wrong.get(i), 3) for i in present]}
                )
            if metrics.get("confusion"):
                pictures.append(
                    {
                        "model": model["name"],
                        "confusion": reverse(
                            "mlops:benchmark_svg",
                            args=[results["benchmark_run_id"], index, name, "confusion"],
                        ),
                        "reliability": reverse(
                            "mlops:benchmark_svg",
                            args=[results["benchmark_run_id"], index, name, "reliability"],
                        )
                        if metrics.get("reliability")
                        else "",
                    }
                )
        tables.append(
            {
                "name": name,
                "described": described,
                "rows": rows,
                "intents": present,
                "f1_rows": f1_rows,
                "recall_rows": recall_rows,
                "wrong_rows": wrong_rows,
                "pictures": pictures,
            }
        )
    return tables


def _speed_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for model in results.get("models", []):
        latency = model.get("latency_ms") or {}
        rows.append(
            {
                "model": model["name"],
                "active": model.get("active"),
                "kind": model.get("kind"),
                "status": model.get("status", ""),
                "model_version_id": model.get("model_version_id"),
                "p50": _fmt(latency.get("p50"), 2),
                "p95": _fmt(latency.get("p95"), 2),
                "throughput": _fmt(model.get("throughput_per_s"), 1),
                "cold_start": _fmt(model.get("cold_start_s"), 2),
                "rss": _fmt(model.get("rss_mib"), 0),
                "cost": _fmt(model.get("cost_per_1k_usd"), 3),
                "notes": model.get("notes") or [],
            }
        )
    return rows


@require_GET
@mlops_viewer_required
def benchmark_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(BenchmarkRun, pk=pk)
    results = run.results or {}
    if results:
        results = {**results, "benchmark_run_id": run.pk}
    promotable = {mv.pk: mv for mv in run.model_versions.exclude(status=ModelStatus.ACTIVE)}
    targets = [
        {
            **t,
            "value": _fmt(t.get("value"), 4),
            "verdict": {True: "met", False: "missed"}.get(t.get("met"), "not measured"),
        }
        for t in results.get("targets", [])
    ]
    return render(
        request,
        "mlops/benchmark_detail.html",
        {
            "run": run,
            "results": results,
            "tables": _dataset_tables(results) if results else [],
            "speed_rows": _speed_rows(results) if results else [],
            "targets": targets,
            "published": results.get("published", []),
            "promotable": promotable,
            "may_promote": _may_promote(request),
            "active": selectors.active_model(),
            "status_url": reverse("mlops:run_status", args=["benchmark", run.pk]),
            "stale": selectors.run_is_stale(run, stale_seconds=settings.MLOPS_STALE_RUN_SECONDS),
        },
    )


@require_GET
@mlops_viewer_required
def benchmark_json(request: HttpRequest, pk: int) -> JsonResponse:
    run = get_object_or_404(BenchmarkRun, pk=pk)
    if not run.results:
        raise Http404("this benchmark has no results yet")
    response = JsonResponse(run.results, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'inline; filename="benchmark-{run.pk}.json"'
    return response


@require_GET
@mlops_viewer_required
def benchmark_svg(
    request: HttpRequest, pk: int, index: int, dataset: str, kind: str
) -> HttpResponse:
    run = get_object_or_404(BenchmarkRun, pk=pk)
    models = (run.results or {}).get("models") or []
    if not 0 <= index < len(models):
        raise Http404("no such model in this benchmark")
    model = models[index]
    metrics = (model.get("datasets") or {}).get(dataset) or {}
    if kind == "confusion" and metrics.get("confusion"):
        confusion = metrics["confusion"]
        svg = render_confusion_svg(
            confusion["matrix"],
            confusion["rows"],
            confusion["columns"],
            title=f"{model['name']} on {dataset} (rows: true, columns: predicted)",
        )
    elif kind == "reliability" and metrics.get("reliability"):
        svg = render_reliability_svg(
            metrics["reliability"],
            # The model's name is in the page's caption; a long one would not fit the picture.
            title=f"{dataset}: ECE {metrics.get('ece', 0):.3f}",
        )
    else:
        raise Http404("no such picture")
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = (
        f'inline; filename="benchmark-{pk}-{index}-{dataset}-{kind}.svg"'
    )
    return response


@require_POST
@mlops_viewer_required
def model_promote(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(ModelVersion, pk=pk)
    back = request.POST.get("back_to_benchmark", "")
    target = (
        reverse("mlops:benchmark", args=[int(back)]) if back.isdigit() else reverse("mlops:index")
    )
    if not _may_promote(request):
        return HttpResponseForbidden("Only staff with the model permission may promote models.")
    try:
        promoted = services.model_promote(model_version=version, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"{promoted.name} is now the active model; every process serves it within a second.",
        )
    return HttpResponseRedirect(target)


@require_GET
@mlops_viewer_required
def run_detail(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model = selectors.RUN_MODELS.get(kind)
    if model is None:
        raise Http404("no such kind of run")
    run = get_object_or_404(model, pk=pk)
    return render(
        request,
        "mlops/run_detail.html",
        {
            "run": run,
            "kind": kind,
            "status_url": reverse("mlops:run_status", args=[kind, pk]),
            "stale": selectors.run_is_stale(run, stale_seconds=settings.MLOPS_STALE_RUN_SECONDS),
            "benchmark_url": reverse("mlops:benchmark", args=[pk]) if kind == "benchmark" else "",
        },
    )


@never_cache
@require_GET
@mlops_viewer_required
def run_status(request: HttpRequest, kind: str, pk: int) -> JsonResponse:
    model = selectors.RUN_MODELS.get(kind)
    if model is None:
        raise Http404("no such kind of run")
    run = get_object_or_404(model, pk=pk)
    return JsonResponse(selectors.run_status(run, stale_seconds=settings.MLOPS_STALE_RUN_SECONDS))
