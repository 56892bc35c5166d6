from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mlops import selectors, services
from mlops.management.commands._shared import application_errors


class Command(BaseCommand):
    help = "Make a model version the active one (running processes switch within a second)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("model", help="model version id or name")

    def handle(self, *args: Any, **options: Any) -> None:
        version = selectors.model_version_by_ref(options["model"])
        if version is None:
            raise CommandError(f"no model version {options['model']!r}")
        previous = selectors.active_model()
        with application_errors():
            promoted = services.model_promote(model_version=version)
        self.stdout.write(
            f"active model: {promoted.name} (was {previous.name if previous else 'none'})"
        )
