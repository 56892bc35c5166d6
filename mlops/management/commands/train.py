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
from mlops.models import GenerationRun


class Command(BaseCommand):
    help = "Fine-tune a checkpoint on a generated dataset and register it as a candidate model."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--generation", type=int, help="generation run id (default: the latest succeeded)"
        )
        parser.add_argument("--preset", default="full", help="full (9,000 examples) or bootstrap")
        parser.add_argument("--base-model", default="", help="checkpoint dir or hub id")
        parser.add_argument("--max-steps", type=int)
        parser.add_argument("--epochs", type=float)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--include-calibration-labels",
            action="store_true",
            help="add reviewers' corrections (latest decision per message) to the training set",
        )
        add_queue_flag(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        generation = None
        if options["generation"]:
            generation = GenerationRun.objects.filter(pk=options["generation"]).first()
            if generation is None:
                raise CommandError(f"no generation run {options['generation']}")
        elif selectors.latest_generation() is None:
            raise CommandError("no generated dataset yet: run `manage.py generate` first")
        with application_errors():
            run = services.training_run_start(
                generation=generation,
                preset=options["preset"],
                base_model=options["base_model"],
                include_calibration_labels=options["include_calibration_labels"],
                max_steps=options["max_steps"],
                epochs=options["epochs"],
                seed=options["seed"],
                enqueue=options["queue"],
            )
        if options["queue"]:
            self.stdout.write(queued_message(run, "training"))
            return
        with progress_bar(f"training {run.pk}") as echo:
            done = services.training_run_execute(run_id=run.pk, echo=echo)
        done = finished(done, "training run")
        version = done.model_version
        synthetic = done.metrics.get("synthetic_test") or {}
        self.stdout.write(
            f"training run {done.pk}: candidate {version.name if version else '-'} "
            f"(model version {version.pk if version else '-'})\n"
            f"  {done.metrics.get('steps')} steps in {done.metrics.get('seconds')} s; "
            f"synthetic_test accuracy {synthetic.get('accuracy')}, "
            f"macro-F1 {synthetic.get('macro_f1')}\n"
            f"  promote with: manage.py promote {version.pk if version else ''}"
        )
