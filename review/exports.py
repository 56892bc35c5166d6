"""Calibration-label exports: the rows, the three file formats and the manifest.

Shared by the Celery export task (review.services.export_run) and the shell command
(`manage.py export_calibration`), so a file made either way has the same columns and manifest.
Rows are streamed from the database in chunks and written incrementally: an export of every
label a practice ever produced needs constant memory.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.db.models import QuerySet
from django.utils import timezone

from clarioscope.taxonomy import INTENTS
from intake.models import Practice
from review.deidentify import deidentify
from review.models import CalibrationLabel
from review.selectors import effective_labels

FORMATS = ("csv", "jsonl", "parquet")
EXTENSIONS = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet"}
CONTENT_TYPES = {
    "csv": "text/csv",
    "jsonl": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}
CHUNK = 1000
PROBABILITY_COLUMNS = tuple(f"p_{intent}" for intent in INTENTS)

# One schema for all three formats; Parquet gets real types, CSV and JSONL the same names.
SCHEMA = pa.schema(
    [
        ("calibration_label_id", pa.int64()),
        ("message_id", pa.int64()),
        ("practice", pa.string()),
        ("channel", pa.string()),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("decided_at", pa.timestamp("us", tz="UTC")),
        ("reviewer", pa.string()),
        ("decision", pa.string()),
        ("model_version", pa.string()),
        ("predicted_label", pa.string()),
        ("reviewer_label", pa.string()),
        ("label", pa.int64()),
        ("agreed", pa.bool_()),
        ("seconds_spent", pa.float64()),
        ("reason", pa.string()),
        ("urgent", pa.bool_()),
        ("red_flags", pa.string()),
        ("subject", pa.string()),
        ("text", pa.string()),
        *((name, pa.float64()) for name in PROBABILITY_COLUMNS),
    ]
)
COLUMNS = tuple(SCHEMA.names)


@dataclass(frozen=True)
class ExportFilters:
    """Which effective calibration labels an export holds. Dates are inclusive decision days."""

    since: date | None = None
    until: date | None = None
    intent: str = ""  # the reviewer's label
    reviewer: str = ""  # username
    model_version: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            key: value.isoformat() if isinstance(value, date) else value
            for key, value in asdict(self).items()
            if value
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExportFilters:
        def day(value: Any) -> date | None:
            return date.fromisoformat(str(value)) if value else None

        return cls(
            since=day(data.get("since")),
            until=day(data.get("until")),
            intent=str(data.get("intent") or ""),
            reviewer=str(data.get("reviewer") or ""),
            model_version=str(data.get("model_version") or ""),
        )


def export_queryset(*, practice: Practice, filters: ExportFilters) -> QuerySet[CalibrationLabel]:
    """Decisions that still stand (undo rows and undone decisions are left out), oldest first."""
    labels = effective_labels().filter(practice=practice)
    tz = timezone.get_current_timezone()
    if filters.since:
        labels = labels.filter(
            created_at__gte=timezone.make_aware(datetime.combine(filters.since, time.min), tz)
        )
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time.min)
        labels = labels.filter(created_at__lt=timezone.make_aware(end, tz))
    if filters.intent:
        labels = labels.filter(reviewer_label=filters.intent)
    if filters.reviewer:
        labels = labels.filter(reviewer__username=filters.reviewer)
    if filters.model_version:
        labels = labels.filter(model_version=filters.model_version)
    return labels.select_related("message", "reviewer").order_by("created_at", "pk")


def export_row(label: CalibrationLabel, *, practice_slug: str, mask: bool) -> dict[str, Any]:
    message = label.message
    clean: Callable[[str], str] = deidentify if mask else (lambda text: text)
    probabilities = label.probabilities or {}
    row: dict[str, Any] = {
        "calibration_label_id": label.pk,
        "message_id": message.pk,
        "practice": practice_slug,
        "channel": message.channel,
        "received_at": message.received_at,
        "decided_at": label.created_at,
        "reviewer": label.reviewer.get_username(),
        "decision": label.kind,
        "model_version": label.model_version,
        "predicted_label": label.predicted_label,
        "reviewer_label": label.reviewer_label,
        "label": INTENTS.index(label.reviewer_label),
        "agreed": label.predicted_label == label.reviewer_label,
        "seconds_spent": round(float(label.seconds_spent), 3),
        "reason": clean(label.reason),
        "urgent": message.urgent,
        "red_flags": ",".join(message.red_flags or []),
        "subject": clean(message.subject),
        "text": clean(message.text),
    }
    for intent, column in zip(INTENTS, PROBABILITY_COLUMNS, strict=True):
        value = probabilities.get(intent)
        row[column] = float(value) if value is not None else None
    return row


def iter_rows(
    *, practice: Practice, filters: ExportFilters, mask: bool
) -> Iterator[dict[str, Any]]:
    for label in export_queryset(practice=practice, filters=filters).iterator(chunk_size=CHUNK):
        yield export_row(label, practice_slug=practice.slug, mask=mask)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _write_csv(rows: Iterator[dict[str, Any]], handle: Any, tick: Callable[[], None]) -> int:
    writer = csv.DictWriter(handle, fieldnames=COLUMNS)
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({k: ("" if v is None else _plain(v)) for k, v in row.items()})
        count += 1
        tick()
    return count


def _write_jsonl(rows: Iterator[dict[str, Any]], handle: Any, tick: Callable[[], None]) -> int:
    count = 0
    for row in rows:
        handle.write(json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False))
        handle.write("\n")
        count += 1
        tick()
    return count


def _write_parquet(rows: Iterator[dict[str, Any]], path: Path, tick: Callable[[], None]) -> int:
    count = 0
    with pq.ParquetWriter(str(path), SCHEMA) as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            count += 1
            tick()
            if len(batch) >= CHUNK:
                writer.write_table(pa.Table.from_pylist(batch, schema=SCHEMA))
                batch = []
        # An empty export still gets a valid file with the schema, so loaders never fail on it.
        if batch or count == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=SCHEMA))
    return count


def write_rows(
    *,
    rows: Iterator[dict[str, Any]],
    fmt: str,
    path: Path,
    on_row: Callable[[int], None] | None = None,
) -> int:
    """Write rows to path (through a temporary file renamed at the end, so a reader never sees
    half a file). Returns the row count; on_row gets the running count."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    counter = [0]

    def tick() -> None:
        counter[0] += 1
        if on_row is not None:
            on_row(counter[0])

    try:
        if fmt == "parquet":
            count = _write_parquet(rows, partial, tick)
        else:
            with partial.open("w", encoding="utf-8", newline="") as handle:
                writer = _write_csv if fmt == "csv" else _write_jsonl
                count = writer(rows, handle, tick)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return count


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_manifest(
    *,
    path: Path,
    fmt: str,
    practice: Practice,
    filters: ExportFilters,
    mask: bool,
    row_count: int,
    requested_by: str,
    export_id: int | None = None,
) -> dict[str, Any]:
    return {
        "file": path.name,
        "format": fmt,
        "row_count": row_count,
        "sha256": file_sha256(path),
        "bytes": path.stat().st_size,
        "practice": practice.slug,
        "filters": filters.as_dict(),
        "deidentified": mask,
        "rows": "effective calibration labels (undo rows and undone decisions left out)",
        "columns": list(COLUMNS),
        "label_names": list(INTENTS),
        "exported_at": timezone.now().isoformat(),
        "requested_by": requested_by,
        "export_id": export_id,
    }


def write_manifest(manifest: dict[str, Any], path: Path) -> Path:
    target = path.with_name(path.name + ".manifest.json")
    target.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return target
