from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from mlops import selectors, services
from mlops.management.commands._shared import application_errors, finished, progress_bar
from mlops.models import ModelStatus, ModelVersion, PipelineRun


class Command(BaseCommand):
    help = (
        "Make sure a model serves: print the active one, or (first run) generate data, train the "
        "bootstrap model, calibrate it and promote it, here and now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--preset", default="bootstrap")
        # Smaller first runs, for smoke tests and slow machines.
        parser.add_argument("--max-steps", type=int, help="cap training steps")
        parser.add_argument("--n-train", type=int, help="default: the preset's size")
        parser.add_argument("--n-test", type=int, default=600)
        parser.add_argument("--n-calibration", type=int, default=1000)
        parser.add_argument("--base-model", default="", help="default: packaged all-MiniLM-L6-v2")

    def handle(self, *args: Any, **options: Any) -> None:
        active = selectors.active_model()
        if active is not None:
            self.stdout.write(
                f"active model: {active.name} (promoted {active.promoted_at:%Y-%m-%d %H:%M}, "
                f"temperature {active.temperature:g}); nothing to do"
            )
            return
        if settings.CLARIOSCOPE_MODEL:
            self.stdout.write(
                f"no registered model, serving CLARIOSCOPE_MODEL={settings.CLARIOSCOPE_MODEL}; "
                "nothing to do"
            )
            return
        leftover = self._bootstrap_candidate()
        if leftover is not None:
            with application_errors():
                promoted = services.model_promote(model_version=leftover)
            self.stdout.write(
                f"promoted {promoted.name}, trained by an earlier bootstrap that stopped before "
                "promoting it"
            )
            return
        self.stdout.write(
            "No model yet: generating synthetic data and training the first model on this CPU "
            f"(preset {options['preset']!r}; a few minutes, once)."
        )
        with application_errors():
            run = services.pipeline_run_start(
                preset=options["preset"],
                n_train=options["n_train"],
                n_test=options["n_test"],
                max_steps=options["max_steps"],
                base_model=options["base_model"],
                calibration_n_synthetic=options["n_calibration"],
                benchmark=False,
                promote=True,
                enqueue=False,
            )
        with progress_bar("first model") as echo:
            done = services.pipeline_run_execute(run_id=run.pk, echo=echo)
        done = finished(done, "bootstrap pipeline run")
        version = done.training.model_version if done.training else None
        metrics = (version.metrics.get("synthetic_test") or {}) if version else {}
        self.stdout.write(
            f"trained, calibrated and promoted {version.name if version else '-'} "
            f"(pipeline run {done.pk}): synthetic test accuracy {metrics.get('accuracy')}, "
            f"macro-F1 {metrics.get('macro_f1')}. Retrain or benchmark from the admin "
            "(MLOps section) or `manage.py pipeline`."
        )

    def _bootstrap_candidate(self) -> ModelVersion | None:
        """A model an interrupted bootstrap trained but never promoted: reuse it, do not retrain."""
        for pipeline in PipelineRun.objects.filter(training__isnull=False).order_by("-created_at"):
            if not pipeline.params.get("promote"):
                continue
            training = pipeline.training
            version = training.model_version if training else None
            if version is not None and version.status == ModelStatus.CANDIDATE:
                return version
        return None
