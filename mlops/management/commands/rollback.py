from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mlops import selectors, services
from mlops.management.commands._shared import application_errors


class Command(BaseCommand):
    help = "Re-activate the model that served before the current one (twice undoes it)."

    def handle(self, *args: Any, **options: Any) -> None:
        current = selectors.active_model()
        with application_errors():
            restored = services.model_rollback()
        was = current.name if current else "none"
        self.stdout.write(f"active model: {restored.name} (rolled back from {was})")
