from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from intake.services import api_key_create, practice_get_or_create


class Command(BaseCommand):
    help = "Create an API key for a practice (the practice too, if needed) and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, help="practice slug")
        parser.add_argument("--name", default="", help="a label for the key")

    def handle(self, *args: Any, **options: Any) -> None:
        practice, created = practice_get_or_create(slug=options["practice"])
        if created:
            self.stderr.write(f"created practice {practice.slug}")
        key = api_key_create(practice=practice, name=options["name"])
        self.stderr.write("API key (shown once, stored hashed):")
        self.stdout.write(key.raw_key)
