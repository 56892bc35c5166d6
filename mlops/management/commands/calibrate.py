from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mlops import selectors, services
from mlops.management.commands._shared import (
    add_queue_flag,
    application_errors,
    finished,
    progress_bar,
    queued_message,
)


class Command(BaseCommand):
    help = (
        "Fit a model's temperature and suggest per-intent review thresholds, on reviewers' "
        "calibration labels or, before there are enough, on held-out synthetic data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--model", default="", help="model version id or name, or `active` (the default)"
        )
        parser.add_argument("--target-precision", type=float, default=0.95)
        parser.add_argument("--source", choices=("auto", "labels", "synthetic"), default="auto")
        parser.add_argument("--n-synthetic", type=int, default=1000)
        parser.add_argument(
            "--dry-run", action="store_true", help="report only; keep the model's temperature"
        )
        add_queue_flag(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        version = None
        if options["model"]:
            version = selectors.model_version_by_ref(options["model"])
            if version is None:
                raise CommandError(f"no model version {options['model']!r}")
        with application_errors():
            run = services.calibration_run_start(
                model_version=version,
                target_precision=options["target_precision"],
                source=options["source"],
                n_synthetic=options["n_synthetic"],
                apply=not options["dry_run"],
                enqueue=options["queue"],
            )
        if options["queue"]:
            self.stdout.write(queued_message(run, "calibration"))
            return
        with progress_bar(f"calibration {run.pk}") as echo:
            done = services.calibration_run_execute(run_id=run.pk, echo=echo)
        done = finished(done, "calibration run")
        r = done.results
        self.stdout.write(
            f"calibration run {done.pk} of {done.model_version}: on {r['source']}\n"
            f"  temperature {r['temperature']} (was {r['previous_temperature']}), "
            f"{'applied' if r['applied'] else 'not applied (dry run)'}\n"
            f"  ECE {r['before']['ece']} -> {r['after']['ece']}, "
            f"NLL {r['before']['nll']} -> {r['after']['nll']}\n"
            f"  suggested thresholds for precision {r['target_precision']}: "
            + ", ".join(f"{k} {v}" for k, v in r["suggested_thresholds"].items())
        )
