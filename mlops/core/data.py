"""Labelled message examples and their on-disk form (JSON lines).

Pure Python: the generators, the trainer and the benchmarks share this module, and none of them
may depend on Django.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

STYLES: tuple[str, ...] = ("polished", "casual", "messy")


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    channel: str
    style: str


def _as_record(example: Example) -> dict[str, str]:
    return {
        "text": example.text,
        "label": example.label,
        "channel": example.channel,
        "style": example.style,
    }


def write_jsonl(path: str | Path, examples: Iterable[Example]) -> int:
    """Write one JSON object per line; returns the number of examples written."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with target.open("w", encoding="utf-8") as handle:
        for example in examples:
            handle.write(json.dumps(_as_record(example), ensure_ascii=False))
            handle.write("\n")
            count += 1
    return count


def read_jsonl(path: str | Path) -> list[Example]:
    """Read examples; channel and style may be absent (e.g. hand-labelled or probe files)."""
    examples: list[Example] = []
    with Path(path).open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            line = line.strip()
            if not line:
                continue
            record = json.loads(line)
            if "text" not in record or "label" not in record:
                raise ValueError(f"{path}:{line_number}: a record needs 'text' and 'label'")
            examples.append(
                Example(
                    text=str(record["text"]),
                    label=str(record["label"]),
                    channel=str(record.get("channel") or ""),
                    style=str(record.get("style") or ""),
                )
            )
    return examples


def dataset_sha256(examples: Iterable[Example]) -> str:
    """A content hash that changes with any text, label, channel, style or order change."""
    digest = hashlib.sha256()
    for example in examples:
        line = json.dumps(_as_record(example), ensure_ascii=False, sort_keys=True)
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
