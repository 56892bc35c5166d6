"""The MLOps buttons: generate, train, benchmark, calibrate, promote, roll back, and the pipeline.

Run rows are read-only here (services create and update them); each list has a button that opens
a small form, calls one `<kind>_run_start` service and lands on the run's page, which polls for
live progress. Nothing heavy happens in the request: the run goes to the `mlops` queue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from clarioscope.errors import ApplicationError
from mlops import forms as mlops_forms
from mlops import registry, selectors, services
from mlops.models import (
    BenchmarkRun,
    CalibrationRun,
    GenerationRun,
    ModelStatus,
    ModelVersion,
    PipelineRun,
    Run,
    RunStatus,
    TrainingRun,
)

RUN_FIELDS = (
    "status",
    "progress",
    "progress_message",
    "error",
    "params",
    "created_by",
    "created_at",
    "started_at",
    "finished_at",
    "heartbeat_at",
)


def _status_badge(status: str) -> str:
    return format_html('<span class="mlops-status mlops-status-{}">{}</span>', status, status)


class RunAdmin(admin.ModelAdmin):
    """Read-only run rows with a start button on the list and live progress on the page."""

    start_label = "Start"
    start_form: type[forms.Form] = forms.Form
    change_form_template = "admin/mlops/run_change_form.html"
    change_list_template = "admin/mlops/run_change_list.html"
    list_display: tuple[str, ...] = (
        "id",
        "status_badge",
        "progress_percent",
        "progress_message",
        "created_at",
    )
    list_filter = ("status",)
    date_hierarchy = "created_at"
    exclude = ("log",)

    @admin.display(description="status", ordering="status")
    def status_badge(self, run: Run) -> str:
        return _status_badge(run.status)

    @admin.display(description="progress", ordering="progress")
    def progress_percent(self, run: Run) -> str:
        return f"{run.progress:.0%}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A running run's task still writes to its row: only finished runs may go.
        if obj is not None and obj.status in (RunStatus.QUEUED, RunStatus.RUNNING):
            return False
        return super().has_delete_permission(request, obj)

    def may_start(self, request: HttpRequest) -> bool:
        opts = self.model._meta
        return request.user.has_perm(f"{opts.app_label}.add_{opts.model_name}")

    def get_urls(self) -> list[URLPattern]:
        opts = self.model._meta
        start = path(
            "start/",
            self.admin_site.admin_view(self.start_view),
            name=f"{opts.app_label}_{opts.model_name}_start",
        )
        return [start, *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            **mlops_context(request),
            "start_label": self.start_label,
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        run = self.get_object(request, object_id)
        context = {**mlops_context(request), **(extra_context or {})}
        if run is not None:
            context["run"] = run
            context["run_kind"] = run_kind(type(run))
            context["run_links"] = self.run_links(run)
        return super().change_view(request, object_id, form_url, extra_context=context)

    def run_links(self, run: Any) -> list[tuple[str, str]]:
        return []

    def start_view(self, request: HttpRequest) -> HttpResponse:
        if not self.may_start(request):
            messages.error(request, "You may not start this kind of run.")
            return HttpResponseRedirect(self.changelist_url())
        form = self.start_form(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                run = self.start(request, form)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"{run} queued; this page follows its progress.")
                return HttpResponseRedirect(self.change_url(run.pk))
        context = {
            **self.admin_site.each_context(request),
            **mlops_context(request),
            "opts": self.model._meta,
            "title": self.start_label,
            "form": form,
            "start_label": self.start_label,
        }
        return TemplateResponse(request, "admin/mlops/start_form.html", context)

    def start(self, request: HttpRequest, form: Any) -> Run:
        raise NotImplementedError

    def changelist_url(self) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")

    def change_url(self, pk: int) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])


def run_kind(model: type[Run]) -> str:
    return next(kind for kind, cls in selectors.RUN_MODELS.items() if cls is model)


def admin_change_url(obj: Any) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def mlops_context(request: HttpRequest) -> dict[str, Any]:
    """Where every MLOps admin page shows the serving model and the one-click buttons."""
    return {
        "mlops_active": selectors.active_model(),
        "mlops_previous": selectors.previous_model(),
        "mlops_may_promote": request.user.has_perm("mlops.change_modelversion"),
        "mlops_serving_error": serving_error(),
    }


def serving_error() -> str:
    """Why this process cannot classify right now ("" when it can): missing or corrupt model
    files show up here for the admin, not only on each unclassified message."""
    try:
        registry.serving_model()
    except registry.ModelUnavailable as exc:
        return str(exc)
    return ""


@admin.register(GenerationRun)
class GenerationRunAdmin(RunAdmin):
    start_label = "Generate a dataset"
    start_form = mlops_forms.GenerationForm
    list_display = (*RunAdmin.list_display, "n_train", "n_test", "seed")
    fields = (
        *RUN_FIELDS,
        "seed",
        "n_train",
        "n_test",
        "path",
        "train_sha256",
        "test_sha256",
        "report",
    )

    def start(self, request: HttpRequest, form: Any) -> Run:
        data = form.cleaned_data
        return services.generation_run_start(
            n_train=data["n_train"],
            n_test=data["n_test"],
            seed=data["seed"],
            source=data["source"],
            created_by=request.user,
        )


@admin.register(TrainingRun)
class TrainingRunAdmin(RunAdmin):
    start_label = "Train a model"
    start_form = mlops_forms.TrainingForm
    list_display = (*RunAdmin.list_display, "generation", "model_version")
    fields = (
        *RUN_FIELDS,
        "generation",
        "base_model",
        "include_calibration_labels",
        "model_version",
        "metrics",
    )

    def start(self, request: HttpRequest, form: Any) -> Run:
        data = form.cleaned_data
        return services.training_run_start(
            generation=data["generation"],
            preset=data["preset"],
            base_model=data["base_model"] or "",
            include_calibration_labels=data["include_calibration_labels"],
            max_steps=data["max_steps"],
            epochs=data["epochs"],
            seed=data["seed"] or 0,
            created_by=request.user,
        )

    def run_links(self, run: Any) -> list[tuple[str, str]]:
        links = []
        if run.model_version_id:
            links.append((f"Model {run.model_version}", admin_change_url(run.model_version)))
        if run.generation_id:
            links.append((f"Dataset: {run.generation}", admin_change_url(run.generation)))
        return links


@admin.register(BenchmarkRun)
class BenchmarkRunAdmin(RunAdmin):
    start_label = "Run a benchmark"
    start_form = mlops_forms.BenchmarkForm
    list_display = (*RunAdmin.list_display, "models", "page")
    fields = (*RUN_FIELDS, "generation", "model_versions", "json_path")

    @admin.display(description="models")
    def models(self, run: BenchmarkRun) -> str:
        return ", ".join(mv.name for mv in run.model_versions.all())

    @admin.display(description="benchmark page")
    def page(self, run: BenchmarkRun) -> str:
        return format_html('<a href="{}">open</a>', reverse("mlops:benchmark", args=[run.pk]))

    def get_queryset(self, request: HttpRequest) -> QuerySet[BenchmarkRun]:
        return super().get_queryset(request).prefetch_related("model_versions")

    def start(self, request: HttpRequest, form: Any) -> Run:
        data = form.cleaned_data
        return services.benchmark_run_start(
            model_versions=list(data["model_versions"]) or None,
            generation=data["generation"],
            options=form.options(),
            created_by=request.user,
        )

    def run_links(self, run: Any) -> list[tuple[str, str]]:
        return [("Benchmark page (tables and pictures)", reverse("mlops:benchmark", args=[run.pk]))]


@admin.register(CalibrationRun)
class CalibrationRunAdmin(RunAdmin):
    start_label = "Calibrate a model"
    start_form = mlops_forms.CalibrationForm
    list_display = (*RunAdmin.list_display, "model_version", "temperature")
    fields = (*RUN_FIELDS, "model_version", "results")

    @admin.display(description="temperature")
    def temperature(self, run: CalibrationRun) -> str:
        value = (run.results or {}).get("temperature")
        return "-" if value is None else f"{value:g}"

    def start(self, request: HttpRequest, form: Any) -> Run:
        data = form.cleaned_data
        return services.calibration_run_start(
            model_version=data["model_version"],
            target_precision=data["target_precision"],
            source=data["source"],
            n_synthetic=data["n_synthetic"],
            apply=data["apply"],
            created_by=request.user,
        )

    def run_links(self, run: Any) -> list[tuple[str, str]]:
        if run.model_version_id:
            return [(f"Model {run.model_version}", admin_change_url(run.model_version))]
        return []


@admin.register(PipelineRun)
class PipelineRunAdmin(RunAdmin):
    start_label = "Regenerate, retrain and re-benchmark"
    start_form = mlops_forms.PipelineForm
    list_display = (*RunAdmin.list_display, "generation", "training", "benchmark")
    fields = (*RUN_FIELDS, "generation", "training", "benchmark")

    def start(self, request: HttpRequest, form: Any) -> Run:
        data = form.cleaned_data
        return services.pipeline_run_start(
            preset=data["preset"],
            n_train=data["n_train"],
            n_test=data["n_test"],
            max_steps=data["max_steps"],
            base_model=data["base_model"] or "",
            include_calibration_labels=data["include_calibration_labels"],
            benchmark_options=form.options(),
            created_by=request.user,
        )

    def run_links(self, run: Any) -> list[tuple[str, str]]:
        links = []
        for label, child in (
            ("Dataset", run.generation),
            ("Training", run.training),
            ("Benchmark", run.benchmark),
        ):
            if child is not None:
                links.append((f"{label}: {child} ({child.status})", admin_change_url(child)))
        if run.benchmark is not None:
            links.append(("Benchmark page", reverse("mlops:benchmark", args=[run.benchmark.pk])))
        if run.training is not None and run.training.model_version is not None:
            version = run.training.model_version
            links.append((f"New model {version} ({version.status})", admin_change_url(version)))
        return links


@admin.action(description="Promote the selected model (select exactly one)")
def promote_selected(
    modeladmin: ModelVersionAdmin, request: HttpRequest, queryset: QuerySet[ModelVersion]
) -> None:
    if queryset.count() != 1:
        modeladmin.message_user(request, "Select exactly one model to promote.", messages.ERROR)
        return
    modeladmin.promote(request, queryset.get())


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    change_list_template = "admin/mlops/modelversion/change_list.html"
    change_form_template = "admin/mlops/modelversion/change_form.html"
    list_display = (
        "name",
        "status_badge",
        "synthetic_macro_f1",
        "temperature",
        "created_at",
        "promoted_at",
        "benchmarks_link",
    )
    list_filter = ("status",)
    actions = [promote_selected]
    readonly_fields = (
        "name",
        "path",
        "sha256",
        "base_model",
        "status",
        "metrics",
        "temperature",
        "suggested_thresholds",
        "training_run",
        "created_at",
        "promoted_at",
    )

    @admin.display(description="status", ordering="status")
    def status_badge(self, version: ModelVersion) -> str:
        return _status_badge(version.status)

    @admin.display(description="synthetic_test macro-F1 (at training)")
    def synthetic_macro_f1(self, version: ModelVersion) -> str:
        value = ((version.metrics or {}).get("synthetic_test") or {}).get("macro_f1")
        return "-" if value is None else f"{value:.4f}"

    @admin.display(description="benchmarks")
    def benchmarks_link(self, version: ModelVersion) -> str:
        latest = version.benchmarks.order_by("-created_at").first()
        if latest is None:
            return "-"
        return format_html(
            '<a href="{}">benchmark {}</a>', reverse("mlops:benchmark", args=[latest.pk]), latest.pk
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status == ModelStatus.ACTIVE:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        # Deleting the active model in bulk would take the service down: promote another first.
        actions.pop("delete_selected", None)
        return actions

    def get_urls(self) -> list[URLPattern]:
        wrap: Callable[..., Any] = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/promote/",
                wrap(require_POST(self.promote_view)),
                name="mlops_modelversion_promote",
            ),
            path(
                "rollback/",
                wrap(require_POST(self.rollback_view)),
                name="mlops_modelversion_rollback",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return super().changelist_view(
            request, extra_context={**mlops_context(request), **(extra_context or {})}
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        version = self.get_object(request, object_id)
        context = {**mlops_context(request), **(extra_context or {})}
        if version is not None:
            context["version"] = version
            context["benchmarks"] = list(version.benchmarks.order_by("-created_at")[:10])
        return super().change_view(request, object_id, form_url, extra_context=context)

    def promote(self, request: HttpRequest, version: ModelVersion) -> bool:
        if not request.user.has_perm("mlops.change_modelversion"):
            self.message_user(request, "You may not promote models.", messages.ERROR)
            return False
        try:
            promoted = services.model_promote(model_version=version, user=request.user)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return False
        self.message_user(
            request,
            f"{promoted.name} is now the active model; every process serves it within a second.",
            messages.SUCCESS,
        )
        return True

    def promote_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.promote(request, get_object_or_404(ModelVersion, pk=pk))
        return HttpResponseRedirect(_safe_next(request) or admin_change_url_for_version(pk))

    def rollback_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("mlops.change_modelversion"):
            self.message_user(request, "You may not roll back models.", messages.ERROR)
        else:
            try:
                restored = services.model_rollback(user=request.user)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Rolled back: {restored.name} is the active model again.",
                    messages.SUCCESS,
                )
        return HttpResponseRedirect(
            _safe_next(request) or reverse("admin:mlops_modelversion_changelist")
        )


def admin_change_url_for_version(pk: int) -> str:
    return reverse("admin:mlops_modelversion_change", args=[pk])


def _safe_next(request: HttpRequest) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""
