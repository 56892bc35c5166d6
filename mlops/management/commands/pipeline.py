from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from mlops import services
from mlops.benchmark import BenchmarkOptions, format_table
from mlops.management.commands._shared import (
    add_queue_flag,
    application_errors,
    finished,
    progress_bar,
    queued_message,
)


class Command(BaseCommand):
    help = "Regenerate, retrain, calibrate and re-benchmark as one tracked run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--preset", default="full", help="full or bootstrap")
        parser.add_argument("--n-train", type=int, help="default: the preset's size")
        parser.add_argument("--n-test", type=int, default=1200)
        parser.add_argument("--seed", type=int, help="default: the next unused seed")
        parser.add_argument("--max-steps", type=int)
        parser.add_argument("--base-model", default="")
        parser.add_argument("--include-calibration-labels", action="store_true")
        parser.add_argument("--no-benchmark", action="store_true")
        parser.add_argument("--no-deberta", action="store_true")
        parser.add_argument(
            "--promote", action="store_true", help="promote the new model at the end"
        )
        add_queue_flag(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        with application_errors():
            run = services.pipeline_run_start(
                preset=options["preset"],
                n_train=options["n_train"],
                n_test=options["n_test"],
                seed=options["seed"],
                max_steps=options["max_steps"],
                base_model=options["base_model"],
                include_calibration_labels=options["include_calibration_labels"],
                benchmark=not options["no_benchmark"],
                benchmark_options=BenchmarkOptions(
                    deberta=not options["no_deberta"], deberta_int8=not options["no_deberta"]
                ),
                promote=options["promote"],
                enqueue=options["queue"],
            )
        if options["queue"]:
            self.stdout.write(queued_message(run, "pipeline"))
            return
        with progress_bar(f"pipeline {run.pk}") as echo:
            done = services.pipeline_run_execute(run_id=run.pk, echo=echo)
        done = finished(done, "pipeline run")
        version = done.training.model_version if done.training else None
        if done.benchmark is not None:
            self.stdout.write(format_table(done.benchmark.results))
        self.stdout.write(
            f"\npipeline run {done.pk}: generation {done.generation_id}, training "
            f"{done.training_id}, benchmark {done.benchmark_id}; new model "
            f"{version.name if version else '-'} ({version.status if version else '-'})"
        )
