"""Classify a JSONL file offline: the same normalisation, model and routing as the API.

    python manage.py classify --jsonl IN.jsonl [--practice SLUG] > OUT.jsonl

Each input line is a JSON object with a `text` field; each output line (same order, one per
input line) has label, confidence, probabilities, destination, urgent, needs_review, red_flags
and model_version, plus the input's `id` when it has one. A line that cannot be read gives
`{"line": N, "error": ...}` instead, so outputs stay aligned with inputs. Nothing is stored.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from intake.models import Practice
from intake.services import TextClassification, texts_classify
from mlops.registry import ModelUnavailable, serving_model


class Command(BaseCommand):
    help = "Classify JSONL lines with a `text` field; write one JSON line per input to stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--jsonl", required=True, help="input file, or - for stdin")
        parser.add_argument(
            "--practice",
            default="",
            help="route with this practice's thresholds and destinations (default: the defaults)",
        )
        parser.add_argument("--batch-size", type=int, default=64)

    def handle(self, *args: Any, **options: Any) -> None:
        practice = self._practice(options["practice"])
        try:
            version = serving_model().version
        except ModelUnavailable as exc:
            raise CommandError(f"no model to classify with: {exc}") from exc
        source = options["jsonl"]
        batch_size = max(1, int(options["batch_size"]))
        total = None if source == "-" else _count_lines(Path(source))
        stats = {"classified": 0, "unclassified": 0, "unreadable": 0}
        opened = nullcontext(sys.stdin) if source == "-" else _open(Path(source))
        progress_stream = getattr(self.stderr, "_out", sys.stderr)
        with (
            opened as stream,
            tqdm(
                total=total, unit="msg", file=progress_stream, desc=f"classify ({version})"
            ) as progress,
        ):
            for batch in _batches(_read(stream), batch_size):
                readable = [item for item in batch if "error" not in item]
                results = iter(
                    texts_classify(texts=[item["text"] for item in readable], practice=practice)
                )
                for item in batch:
                    if "error" in item:
                        stats["unreadable"] += 1
                        out: dict[str, Any] = {"line": item["line"], "error": item["error"]}
                    else:
                        result = next(results)
                        stats["classified" if result.prediction else "unclassified"] += 1
                        out = _output(item, result)
                    self.stdout.write(json.dumps(out, ensure_ascii=False))
                progress.update(len(batch))
        self.stderr.write(
            f"{stats['classified']} classified, {stats['unclassified']} unclassified, "
            f"{stats['unreadable']} unreadable lines"
        )

    def _practice(self, slug: str) -> Practice:
        if not slug:
            # Unsaved: routing reads only its thresholds and destinations, here the defaults.
            return Practice(slug="defaults", review_threshold=settings.DEFAULT_REVIEW_THRESHOLD)
        practice = Practice.objects.filter(slug=slug).first()
        if practice is None:
            raise CommandError(f"no practice with slug {slug!r}")
        return practice


def _open(path: Path) -> IO[str]:
    try:
        return path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc


def _count_lines(path: Path) -> int:
    with _open(path) as stream:
        return sum(1 for line in stream if line.strip())


def _read(stream: IO[str]) -> Iterator[dict[str, Any]]:
    """Input items: {"line", "text", "id"?} or {"line", "error"}. Blank lines are skipped."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield {"line": number, "error": f"not JSON: {exc.msg}"}
            continue
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            yield {"line": number, "error": "expected an object with a string `text`"}
            continue
        item = {"line": number, "text": data["text"]}
        if "id" in data:
            item["id"] = data["id"]
        yield item


def _batches(items: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _output(item: dict[str, Any], result: TextClassification) -> dict[str, Any]:
    prediction = result.prediction
    out: dict[str, Any] = {"id": item["id"]} if "id" in item else {}
    out.update(
        {
            "label": prediction.label if prediction else None,
            "confidence": prediction.confidence if prediction else None,
            "probabilities": prediction.probabilities if prediction else None,
            "destination": result.decision.destination,
            "urgent": result.decision.urgent,
            "needs_review": result.decision.needs_review,
            "red_flags": result.decision.red_flags,
            "model_version": result.model_version or None,
        }
    )
    if not prediction:
        out["error"] = result.error
    return out
