from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mlops import selectors, services
from mlops.benchmark import BenchmarkOptions, format_table
from mlops.management.commands._shared import (
    add_queue_flag,
    application_errors,
    finished,
    progress_bar,
    queued_message,
)
from mlops.models import GenerationRun, ModelVersion


class Command(BaseCommand):
    help = (
        "Benchmark the active model and candidates beside TF-IDF, a DeBERTa-v3-base-sized timing "
        "model and (with keys) LLMs, on synthetic_test, real_text_probe and calibration labels."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = BenchmarkOptions()
        parser.add_argument("--json", dest="json_path", help="also write the results here")
        parser.add_argument(
            "--models",
            default="",
            help="comma-separated model version ids or names (default: active + newest candidate)",
        )
        parser.add_argument("--generation", type=int, help="generation run for the datasets")
        parser.add_argument("--no-deberta", action="store_true", help="skip the timing model")
        parser.add_argument("--no-deberta-int8", action="store_true")
        parser.add_argument("--no-tfidf", action="store_true")
        parser.add_argument("--no-llm", action="store_true")
        parser.add_argument("--no-probe", action="store_true")
        parser.add_argument("--speed-runs", type=int, default=defaults.speed_runs)
        parser.add_argument("--speed-texts", type=int, default=defaults.speed_texts)
        parser.add_argument("--deberta-runs", type=int, default=defaults.deberta_runs)
        parser.add_argument("--max-eval", type=int, help="cap on examples per dataset")
        parser.add_argument("--n-test", type=int, default=defaults.n_test)
        parser.add_argument("--n-tfidf-train", type=int, default=defaults.n_tfidf_train)
        parser.add_argument("--llm-max-examples", type=int, default=defaults.llm_max_examples)
        parser.add_argument(
            "--cold-start", choices=("process", "in_process"), default=defaults.cold_start
        )
        add_queue_flag(parser)

    def _versions(self, refs: str) -> list[ModelVersion] | None:
        if not refs:
            return None
        versions = []
        for ref in (r.strip() for r in refs.split(",") if r.strip()):
            version = selectors.model_version_by_ref(ref)
            if version is None:
                raise CommandError(f"no model version {ref!r}")
            versions.append(version)
        return versions

    def handle(self, *args: Any, **options: Any) -> None:
        generation = None
        if options["generation"]:
            generation = GenerationRun.objects.filter(pk=options["generation"]).first()
            if generation is None:
                raise CommandError(f"no generation run {options['generation']}")
        benchmark_options = BenchmarkOptions(
            n_test=options["n_test"],
            n_tfidf_train=options["n_tfidf_train"],
            max_eval=options["max_eval"],
            speed_runs=options["speed_runs"],
            speed_texts=options["speed_texts"],
            cold_start=options["cold_start"],
            tfidf=not options["no_tfidf"],
            deberta=not options["no_deberta"],
            deberta_int8=not options["no_deberta"] and not options["no_deberta_int8"],
            deberta_runs=options["deberta_runs"],
            probe=not options["no_probe"],
            llm=not options["no_llm"],
            llm_max_examples=options["llm_max_examples"],
        )
        with application_errors():
            run = services.benchmark_run_start(
                model_versions=self._versions(options["models"]),
                generation=generation,
                options=benchmark_options,
                enqueue=options["queue"],
            )
        if options["queue"]:
            self.stdout.write(queued_message(run, "benchmark"))
            return
        with progress_bar(f"benchmark {run.pk}") as echo:
            done = services.benchmark_run_execute(run_id=run.pk, echo=echo)
        done = finished(done, "benchmark run")
        if options["json_path"]:
            target = Path(options["json_path"])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(done.results, indent=2) + "\n", encoding="utf-8")
        self.stdout.write(format_table(done.results))
        self.stdout.write(
            f"\nbenchmark run {done.pk}: {done.json_path}"
            + (f" and {options['json_path']}" if options["json_path"] else "")
            + f"\npage: /mlops/benchmarks/{done.pk}/"
        )
