"""Export a practice's calibration labels from the shell: the same rows, formats and manifest
as the ML staff's export page, with a progress bar."""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from clarioscope.taxonomy import INTENTS
from intake.models import Practice
from intake.services import audit_record
from review import exports


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a YYYY-MM-DD date: {value!r}") from exc


class Command(BaseCommand):
    help = "Export calibration labels (and their messages) as CSV, JSONL or Parquet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, help="practice slug")
        parser.add_argument("--format", required=True, choices=exports.FORMATS)
        parser.add_argument("--out", required=True, type=Path, help="output file path")
        parser.add_argument("--since", type=_day, help="first decision day (YYYY-MM-DD)")
        parser.add_argument("--until", type=_day, help="last decision day (YYYY-MM-DD)")
        parser.add_argument("--intent", choices=INTENTS, help="the reviewer's label")
        parser.add_argument("--reviewer", help="reviewer username")
        parser.add_argument("--model-version", dest="model_version")
        parser.add_argument(
            "--deidentify",
            action="store_true",
            help="mask phones, emails, addresses, dates, member/record ids, signature names",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        practice = Practice.objects.filter(slug=options["practice"]).first()
        if practice is None:
            raise CommandError(f"no practice with slug {options['practice']!r}")
        filters = exports.ExportFilters(
            since=options["since"],
            until=options["until"],
            intent=options["intent"] or "",
            reviewer=options["reviewer"] or "",
            model_version=options["model_version"] or "",
        )
        fmt: str = options["format"]
        out: Path = options["out"].resolve()
        mask: bool = options["deidentify"]
        total = exports.export_queryset(practice=practice, filters=filters).count()
        with tqdm(total=total, unit="row", desc=f"export {fmt}", disable=total == 0) as bar:
            count = exports.write_rows(
                rows=exports.iter_rows(practice=practice, filters=filters, mask=mask),
                fmt=fmt,
                path=out,
                on_row=lambda _: bar.update(1),
            )
        operator = getpass.getuser()
        manifest = exports.build_manifest(
            path=out,
            fmt=fmt,
            practice=practice,
            filters=filters,
            mask=mask,
            row_count=count,
            requested_by=f"{operator} (manage.py export_calibration)",
        )
        manifest_path = exports.write_manifest(manifest, out)
        audit_record(
            action="export",
            object_type="export",
            practice=practice,
            detail={
                "via": "manage.py export_calibration",
                "os_user": operator,
                "format": fmt,
                "rows": count,
                "filters": filters.as_dict(),
                "deidentified": mask,
                "sha256": manifest["sha256"],
            },
        )
        self.stdout.write(
            f"{count} rows -> {out}\nmanifest -> {manifest_path}\nsha256 {manifest['sha256']}\n"
        )
