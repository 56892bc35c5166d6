"""`manage.py benchmark --json` and the LLM baselines against a local fake server.

Sizes are tiny (tiny model, a few messages, a few timing runs) and the DeBERTa-v3-base-sized
timing model is off unless CLARIOSCOPE_TEST_DEBERTA=1: it builds a 740 MB checkpoint. The
numbers are never asserted on, only the shape of the JSON and what was (not) sent where.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from clarioscope.taxonomy import INTENTS
from intake.services import message_ingest
from mlops import services
from mlops.core.tiny import build_tiny_model
from mlops.models import BenchmarkRun, ModelVersion, RunStatus
from review.models import CalibrationLabel, DecisionKind

SMALL = [
    "--speed-runs",
    "3",
    "--speed-texts",
    "8",
    "--max-eval",
    "21",
    "--cold-start",
    "in_process",
    "--n-test",
    "35",
    "--n-tfidf-train",
    "70",
]
REQUIRED_DATASET_KEYS = {"accuracy", "macro_f1", "per_class_f1", "recall"}


PROBE = [
    ("I need to book a check-up next week", "appointment_request"),
    ("can I move my appointment to friday", "appointment_request"),
    ("do I need to fast before my blood test", "existing_patient_question"),
    ("what time does the pharmacy close", "existing_patient_question"),
    ("my chest feels tight since this morning", "clinical_concern"),
    ("rash spreading on my arm and it is hot", "clinical_concern"),
    ("nobody called me back after three days", "complaint"),
    ("the receptionist was very rude to my mother", "complaint"),
]


@pytest.fixture(autouse=True)
def mlops_settings(settings, tmp_path):
    settings.MLOPS_RUN_IN_THREAD = False
    settings.DATA_DIR = tmp_path / "data"
    settings.MODEL_DIR = tmp_path / "models"
    # A stand-in for ../shared/eval/real_text_probe.jsonl, which a clone may not have beside it.
    settings.CLARIOSCOPE_EVAL_DIR = tmp_path / "eval"
    settings.CLARIOSCOPE_EVAL_DIR.mkdir()
    (settings.CLARIOSCOPE_EVAL_DIR / "real_text_probe.jsonl").write_text(
        "".join(json.dumps({"text": t, "label": label}) + "\n" for t, label in PROBE)
    )


@pytest.fixture
def models(db, tmp_path) -> tuple[ModelVersion, ModelVersion]:
    active = services.model_register(
        path=build_tiny_model(tmp_path / "ckpt" / "served", seed=1), name="served"
    )
    services.model_promote(model_version=active)
    candidate = services.model_register(
        path=build_tiny_model(tmp_path / "ckpt" / "candidate", seed=2), name="candidate"
    )
    active.refresh_from_db()
    return active, candidate


def run_benchmark(tmp_path: Path, *extra: str) -> dict[str, Any]:
    out = tmp_path / "out" / "bench.json"
    call_command("benchmark", "--json", str(out), *SMALL, *extra)
    return json.loads(out.read_text())


def by_name(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in results["models"]}


def test_benchmark_json_has_every_model_dataset_and_measure(models, tmp_path):
    results = run_benchmark(tmp_path, "--no-deberta", "--no-llm")
    named = by_name(results)
    assert set(named) == {"served", "candidate", "tfidf-logreg"}
    assert named["served"]["active"] is True
    assert [m["name"] for m in results["models"]][:2] == ["served", "candidate"]
    assert named["candidate"]["active"] is False and named["tfidf-logreg"]["active"] is False
    for model in results["models"]:
        assert set(model["datasets"]) == {"synthetic_test", "real_text_probe"}
        for metrics in model["datasets"].values():
            assert set(metrics) >= REQUIRED_DATASET_KEYS
            assert 0.0 <= metrics["accuracy"] <= 1.0
        assert set(model["latency_ms"]) >= {"p50", "p95"}
        for key in ("throughput_per_s", "cold_start_s", "rss_mib"):
            assert isinstance(model[key], int | float), key
        assert model["cost_per_1k_usd"] == 0.0
    probe = named["served"]["datasets"]["real_text_probe"]
    assert set(probe["recall"]) == {
        "appointment_request",
        "existing_patient_question",
        "clinical_concern",
        "complaint",
    }
    assert set(probe["wrong_destination_by_intent"]) == set(probe["recall"])
    synthetic = named["served"]["datasets"]["synthetic_test"]
    assert "ece" in synthetic and synthetic["reliability"] and synthetic["confusion"]["matrix"]
    published = {row["name"]: row for row in results["published"]}
    assert all(row["published"] for row in published.values())
    reference = next(row for name, row in published.items() if "deberta" in name.lower())
    assert (reference["accuracy"], reference["macro_f1"], reference["latency_ms"]) == (
        0.9116,
        0.9107,
        48.5,
    )
    assert {"claude-haiku-4-5-20251001", "claude-sonnet-4-6", "gpt-4o-2024-11-20"} <= set(published)
    assert {t["model"] for t in results["targets"]} == {"served", "candidate"}
    run = BenchmarkRun.objects.get()
    assert run.status == RunStatus.SUCCEEDED and Path(run.json_path).is_file()
    assert set(run.model_versions.values_list("name", flat=True)) == {"served", "candidate"}


def test_reviewer_labels_are_a_benchmark_dataset(models, tmp_path, practice, reviewer):
    for i, intent in enumerate(INTENTS):
        message = message_ingest(practice=practice, channel="sms", text=f"note {i}").message
        CalibrationLabel.objects.create(
            message=message,
            practice=practice,
            kind=DecisionKind.CORRECT,
            predicted_label="complaint",
            reviewer_label=intent,
            reviewer=reviewer,
        )
    results = run_benchmark(tmp_path, "--no-deberta", "--no-llm", "--no-tfidf", "--no-probe")
    assert results["datasets"]["calibration_labels"]["n"] == len(INTENTS)
    assert "calibration_labels" in by_name(results)["served"]["datasets"]


class FakeLlm(BaseHTTPRequestHandler):
    """OpenAI chat completions and Anthropic messages, answering from a fixed lookup."""

    received: list[tuple[str, str]] = []
    answers: dict[str, str] = {}

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        text = body["messages"][-1]["content"]
        intent = self.answers.get(text, "complaint")
        if self.path == "/v1/chat/completions":
            assert self.headers["Authorization"] == "Bearer sk-test-openai"
            FakeLlm.received.append(("openai", text))
            reply = {
                "choices": [{"message": {"content": json.dumps({"intent": intent})}}],
                "usage": {"prompt_tokens": 200, "completion_tokens": 9},
            }
        elif self.path == "/v1/messages":
            assert self.headers["x-api-key"] == "sk-test-anthropic"
            FakeLlm.received.append(("anthropic", text))
            reply = {
                "content": [{"type": "text", "text": f'{{"intent": "{intent}"}}'}],
                "usage": {"input_tokens": 210, "output_tokens": 8},
            }
        else:
            self.send_error(404)
            return
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_llm() -> Iterator[str]:
    FakeLlm.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLlm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_llm_baselines_run_only_with_keys_and_never_see_reviewer_labels(
    models, tmp_path, settings, fake_llm, practice, reviewer
):
    secret = "my private symptom text"
    message = message_ingest(practice=practice, channel="sms", text=secret).message
    CalibrationLabel.objects.create(
        message=message,
        practice=practice,
        kind=DecisionKind.CORRECT,
        predicted_label="complaint",
        reviewer_label="clinical_concern",
        reviewer=reviewer,
    )
    without_keys = run_benchmark(tmp_path, "--no-deberta", "--no-tfidf", "--no-probe")
    assert {m["kind"] for m in without_keys["models"]} == {"model_version"}

    settings.OPENAI_API_KEY = "sk-test-openai"
    settings.OPENAI_BASE_URL = fake_llm + "/v1"
    settings.ANTHROPIC_API_KEY = "sk-test-anthropic"
    settings.ANTHROPIC_BASE_URL = fake_llm
    results = run_benchmark(tmp_path, "--no-deberta", "--no-tfidf", "--llm-max-examples", "10")
    llms = {m["name"]: m for m in results["models"] if m["kind"] == "llm"}
    assert set(llms) == {"gpt-4o-2024-11-20", "claude-haiku-4-5-20251001"}
    for entry in llms.values():
        assert entry["datasets"]["synthetic_test"]["accuracy"] is not None
        assert entry["datasets"]["real_text_probe"]["accuracy"] is not None
        assert entry["datasets"]["calibration_labels"]["accuracy"] is None
        assert entry["latency_ms"]["p50"] is not None and entry["cost_per_1k_usd"] > 0
    # gpt-4o list price: 200 x $2.50/M + 9 x $10/M per call = $0.59 per 1,000 calls.
    assert llms["gpt-4o-2024-11-20"]["cost_per_1k_usd"] == pytest.approx(0.59)
    sent = [text for _, text in FakeLlm.received]
    assert len(sent) == 2 * (10 + len(PROBE))  # per provider: 10 synthetic, the probe

    assert secret not in sent


@pytest.mark.skipif(
    os.environ.get("CLARIOSCOPE_TEST_DEBERTA") != "1",
    reason="builds a 740 MB DeBERTa-v3-base-sized checkpoint; set CLARIOSCOPE_TEST_DEBERTA=1",
)
def test_deberta_sized_timing_model_is_in_the_json(models, tmp_path):
    results = run_benchmark(tmp_path, "--no-llm", "--no-tfidf", "--deberta-runs", "2")
    deberta = [m for m in results["models"] if m["name"].startswith("deberta-v3-base")]
    assert {m["name"] for m in deberta} == {"deberta-v3-base-sized", "deberta-v3-base-sized-int8"}
    assert all(m["datasets"]["synthetic_test"]["accuracy"] is None for m in deberta)
    assert all(m["latency_ms"]["p50"] > 0 for m in deberta)
    assert results["speed_ratio"]["served"]["p50_ratio"] > 0
