"""The optional LLM generator against a local fake OpenAI-compatible server (no network)."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from clarioscope.taxonomy import CHANNELS, INTENTS
from mlops.core.llm_generator import LLMGenerationError, generate_llm

API_KEY = "sk-test-local"


class FakeCompletions:
    """Answers /chat/completions like an OpenAI-compatible API, with knobs for failures."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.fail_first_with: int | None = None
        self.short_by = 0
        self.max_concurrent = 0
        self._in_flight = 0

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests.append(body)
            if self.fail_first_with is not None:
                status, self.fail_first_with = self.fail_first_with, None
                return status, {"error": {"message": "try later"}}
        prompt = body["messages"][-1]["content"]
        count = int(re.search(r"Write (\d+) different", prompt).group(1))  # type: ignore[union-attr]
        intent = re.search(r"Intent: (\w+)", prompt).group(1)  # type: ignore[union-attr]
        channel = re.search(r"Channel: (\w+)", prompt).group(1)  # type: ignore[union-attr]
        styles = re.search(r"(\d+) polished, (\d+) casual, (\d+) messy", prompt)
        assert styles is not None
        planned = (
            ["polished"] * int(styles.group(1))
            + ["casual"] * int(styles.group(2))
            + ["messy"] * int(styles.group(3))
        )
        with self.lock:
            serial = len(self.requests)
            short = min(self.short_by, count - 1)
            self.short_by -= short
        messages = [
            {"text": f"{intent} via {channel} #{serial}-{i}", "style": planned[i]}
            for i in range(count - short)
        ]
        content = json.dumps({"messages": messages})
        return 200, {"choices": [{"message": {"role": "assistant", "content": content}}]}


@pytest.fixture
def fake() -> Iterator[tuple[FakeCompletions, str]]:
    state = FakeCompletions()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != "/v1/chat/completions":
                self.send_error(404)
                return
            if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                self.send_error(401)
                return
            with state.lock:
                state._in_flight += 1
                state.max_concurrent = max(state.max_concurrent, state._in_flight)
            try:
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                status, payload = state.answer(body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(data)
            finally:
                with state.lock:
                    state._in_flight -= 1

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_generates_balanced_labelled_messages_in_parallel(
    fake: tuple[FakeCompletions, str],
) -> None:
    state, base_url = fake
    examples = generate_llm(
        140, base_url=base_url, api_key=API_KEY, model="fake-mini", workers=6, batch_size=3
    )
    assert len(examples) == 140
    cells = Counter((e.label, e.channel) for e in examples)
    assert set(cells) == {(i, c) for i in INTENTS for c in CHANNELS}
    assert set(cells.values()) == {4}
    # The label is the intent the request asked for, never the model's opinion.
    assert all(e.text.startswith(f"{e.label} via {e.channel}") for e in examples)
    assert {e.style for e in examples} == {"polished", "casual", "messy"}

    body = state.requests[0]
    assert body["model"] == "fake-mini"
    assert body["response_format"] == {"type": "json_object"}
    system = body["messages"][0]["content"]
    for anchor in ("complaint dominates", "~40% polished", "~20% messy", "one oh two"):
        assert anchor in system
    assert "billing question call me back" in system
    assert "u/ur/appt/tmrw" in system
    assert state.max_concurrent >= 2


def test_output_order_is_the_plan_order_whatever_finishes_first(
    fake: tuple[FakeCompletions, str],
) -> None:
    _, base_url = fake
    first = generate_llm(70, base_url=base_url, api_key=API_KEY, model="m", workers=8, seed=3)
    second = generate_llm(70, base_url=base_url, api_key=API_KEY, model="m", workers=1, seed=3)
    assert [(e.label, e.channel, e.style) for e in first] == [
        (e.label, e.channel, e.style) for e in second
    ]


def test_transient_errors_are_retried_and_short_batches_topped_up(
    fake: tuple[FakeCompletions, str],
) -> None:
    state, base_url = fake
    state.fail_first_with = 429
    state.short_by = 5
    examples = generate_llm(35, base_url=base_url, api_key=API_KEY, model="m", workers=2)
    assert len(examples) == 35
    assert len(state.requests) > 35 // 10 + 1


def test_a_refused_request_raises_a_clear_error(fake: tuple[FakeCompletions, str]) -> None:
    _, base_url = fake
    with pytest.raises(LLMGenerationError, match="HTTP 401"):
        generate_llm(7, base_url=base_url, api_key="wrong-key", model="m", max_attempts=2)
    with pytest.raises(ValueError, match="http"):
        generate_llm(7, base_url="file:///etc/passwd", api_key=API_KEY, model="m")
