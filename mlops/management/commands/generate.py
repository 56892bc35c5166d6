from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from mlops import services
from mlops.management.commands._shared import (
    add_queue_flag,
    application_errors,
    finished,
    progress_bar,
    queued_message,
)


class Command(BaseCommand):
    help = "Generate a synthetic training set and an independent test set (offline, seeded)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--n-train", type=int, default=9000)
        parser.add_argument("--n-test", type=int, default=1200)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--source",
            choices=("offline", "llm"),
            default="offline",
            help="llm: training set from an OpenAI-compatible API (needs OPENAI_API_KEY)",
        )
        add_queue_flag(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        with application_errors():
            run = services.generation_run_start(
                n_train=options["n_train"],
                n_test=options["n_test"],
                seed=options["seed"],
                source=options["source"],
                enqueue=options["queue"],
            )
        if options["queue"]:
            self.stdout.write(queued_message(run, "generation"))
            return
        with progress_bar(f"generation {run.pk}") as echo:
            done = services.generation_run_execute(run_id=run.pk, echo=echo)
        done = finished(done, "generation run")
        train, test = done.report.get("train", {}), done.report.get("test", {})
        leakage = done.report.get("leakage", {})
        self.stdout.write(
            f"generation run {done.pk}: {done.path}\n"
            f"  train {train.get('n')} messages (sha256 {done.train_sha256[:12]}), "
            f"test {test.get('n')} (sha256 {done.test_sha256[:12]})\n"
            f"  realism (train / test): greetingless "
            f"{train.get('greetingless_openers')} / {test.get('greetingless_openers')}, "
            f"abbreviations {train.get('abbreviations')} / {test.get('abbreviations')}, "
            f"no terminal punctuation {train.get('no_terminal_punctuation')} / "
            f"{test.get('no_terminal_punctuation')}, ALL CAPS {train.get('all_caps_urgency')} / "
            f"{test.get('all_caps_urgency')}\n"
            f"  leakage: {leakage.get('near_duplicates')} test messages with a near-duplicate "
            f"in train (share {leakage.get('share')})\n"
            f"  seconds: {done.report.get('seconds')}"
        )
