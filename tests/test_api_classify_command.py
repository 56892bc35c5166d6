"""`manage.py classify --jsonl`: offline classification on the API's own code path."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from clarioscope.taxonomy import INTENTS
from intake.models import Message
from mlops import registry

pytestmark = pytest.mark.django_db


def run(path: Path, *args: str) -> tuple[list[dict[str, Any]], str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("classify", "--jsonl", str(path), *args, stdout=stdout, stderr=stderr)
    return [json.loads(line) for line in stdout.getvalue().splitlines()], stderr.getvalue()


def write_jsonl(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_one_output_line_per_input_line_in_order(tmp_path):
    path = write_jsonl(
        tmp_path,
        [
            json.dumps({"id": "a1", "text": "can I move my appointment to friday", "label": "x"}),
            "",
            "{not json",
            json.dumps({"id": "a2", "body": "no text field"}),
            json.dumps({"text": "my father has chest pain and is sweating"}),
            json.dumps({"text": "\x00  "}),
        ],
    )

    out, err = run(path, "--batch-size", "2")

    assert len(out) == 5  # the blank line is not an input
    assert out[0]["id"] == "a1" and out[0]["label"] in INTENTS
    assert set(out[0]) >= {
        "label", "confidence", "probabilities", "destination", "urgent", "model_version",
    }  # fmt: skip
    assert out[0]["confidence"] == max(out[0]["probabilities"].values())
    assert out[1] == {"line": 3, "error": out[1]["error"]} and "not JSON" in out[1]["error"]
    assert out[2]["line"] == 4 and "text" in out[2]["error"]
    assert out[3]["urgent"] is True and out[3]["destination"] == "clinical"
    assert out[4]["label"] is None and out[4]["error"] == "empty text"
    assert "2 classified, 1 unclassified, 2 unreadable lines" in err
    assert "classify (" in err  # the tqdm progress bar went to stderr
    assert not Message.objects.exists()  # nothing is stored


def test_output_matches_what_the_api_answers_for_the_same_text(tmp_path, api_client, practice):
    text = "Hi, I got a bill for my daughter's checkup but I thought it was covered"
    api = api_client.post(
        "/api/v1/messages/", {"channel": "email", "text": text}, content_type="application/json"
    ).json()

    [out], _ = run(write_jsonl(tmp_path, [json.dumps({"text": text})]), "--practice", practice.slug)

    for field in ("label", "confidence", "probabilities", "destination", "urgent", "model_version"):
        assert out[field] == api[field], field


def test_practice_routing_is_used_when_named(tmp_path, practice):
    text = "please call me back about my visit"
    [default], _ = run(write_jsonl(tmp_path, [json.dumps({"text": text})]))
    practice.destinations = {intent: "billing" for intent in INTENTS}
    practice.review_threshold = 0.0
    practice.save(update_fields=["destinations", "review_threshold"])

    [routed], _ = run(
        write_jsonl(tmp_path, [json.dumps({"text": text})]), "--practice", practice.slug
    )

    assert routed["label"] == default["label"]
    assert routed["destination"] == "billing" and routed["needs_review"] is False


def test_unknown_practice_or_missing_file_is_a_command_error(tmp_path):
    path = write_jsonl(tmp_path, [json.dumps({"text": "hi"})])
    with pytest.raises(CommandError, match="no practice"):
        run(path, "--practice", "nope")
    with pytest.raises(CommandError, match="cannot read"):
        run(tmp_path / "missing.jsonl")


def test_without_a_model_the_command_fails_loudly(tmp_path, settings):
    settings.CLARIOSCOPE_MODEL = ""
    registry.reset_cache()
    with pytest.raises(CommandError, match="no model"):
        run(write_jsonl(tmp_path, [json.dumps({"text": "hi"})]))
