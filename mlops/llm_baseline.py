"""LLM baselines for the benchmark: classify with a hosted chat model, measure latency and cost.

Used only when a key is configured, and only on synthetic and public texts: reviewers' calibration
labels are real patient messages and never leave the deployment. Plain urllib, so that an
OpenAI-compatible server (any base URL) or Anthropic's Messages API works without an SDK, and the
tests can point it at a local fake server.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from clarioscope.taxonomy import INTENT_DESCRIPTIONS, INTENTS

# Published list prices in USD per million tokens (input, output), as of the reference post's
# models. A model missing here gets no cost figure rather than a guessed one.
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-4o-2024-11-20": (2.50, 10.00),
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o-mini-2024-07-18": (0.15, 0.60),
    "claude-haiku-4-5-20251001": (1.00, 5.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-sonnet-4-6": (3.00, 15.00),
}

SYSTEM_PROMPT = (
    "You route inbound patient messages at a healthcare practice. Classify the message into "
    "exactly one intent:\n"
    + "\n".join(f"- {intent}: {INTENT_DESCRIPTIONS[intent]}" for intent in INTENTS)
    + "\nRules: complaint dominates when dissatisfaction and another intent are both present; "
    "a pricing question with no commitment signal is price_shopper even if it mentions insurance; "
    "questions about a bill already received are billing_inquiry; a prospective patient asking "
    'for a first visit is new_patient_inquiry.\nAnswer with JSON only: {"intent": "<intent>"}'
)


@dataclass(frozen=True)
class LlmEndpoint:
    provider: Literal["openai", "anthropic"]
    model: str
    api_key: str
    base_url: str
    timeout_s: float = 30.0

    @property
    def name(self) -> str:
        return f"{self.provider}:{self.model}"


@dataclass(frozen=True)
class LlmAnswer:
    label: str | None
    seconds: float
    input_tokens: int
    output_tokens: int
    error: str = ""


def _post(url: str, headers: dict[str, str], body: dict[str, Any], timeout: float) -> Any:
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"LLM base URL must be http(s): {url!r}")
    request = urllib.request.Request(  # noqa: S310  (base URL is an admin setting, http(s) only)
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return json.loads(response.read().decode("utf-8"))


def parse_intent(content: str) -> str | None:
    """The intent named in the model's answer (JSON, or a bare label as a fallback)."""
    text = content.strip()
    try:
        data = json.loads(text[text.find("{") : text.rfind("}") + 1]) if "{" in text else None
    except ValueError:
        data = None
    if isinstance(data, dict) and str(data.get("intent", "")).strip() in INTENTS:
        return str(data["intent"]).strip()
    matches = [intent for intent in INTENTS if intent in text]
    return matches[0] if len(matches) == 1 else None


def classify_one(endpoint: LlmEndpoint, text: str) -> LlmAnswer:
    started = time.perf_counter()
    try:
        if endpoint.provider == "openai":
            data = _post(
                endpoint.base_url.rstrip("/") + "/chat/completions",
                {"Authorization": f"Bearer {endpoint.api_key}"},
                {
                    "model": endpoint.model,
                    "temperature": 0,
                    "max_tokens": 20,
                    "response_format": {"type": "json_object"},
                    "messages": [
                        {"role": "system", "content": SYSTEM_PROMPT},
                        {"role": "user", "content": text},
                    ],
                },
                endpoint.timeout_s,
            )
            content = data["choices"][0]["message"]["content"] or ""
            usage = data.get("usage") or {}
            tokens_in = int(usage.get("prompt_tokens") or 0)
            tokens_out = int(usage.get("completion_tokens") or 0)
        else:
            data = _post(
                endpoint.base_url.rstrip("/") + "/v1/messages",
                {"x-api-key": endpoint.api_key, "anthropic-version": "2023-06-01"},
                {
                    "model": endpoint.model,
                    "max_tokens": 20,
                    "temperature": 0,
                    "system": SYSTEM_PROMPT,
                    "messages": [{"role": "user", "content": text}],
                },
                endpoint.timeout_s,
            )
            content = "".join(
                part.get("text", "") for part in data.get("content", []) if isinstance(part, dict)
            )
            usage = data.get("usage") or {}
            tokens_in = int(usage.get("input_tokens") or 0)
            tokens_out = int(usage.get("output_tokens") or 0)
    except (urllib.error.URLError, OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        return LlmAnswer(None, time.perf_counter() - started, 0, 0, type(exc).__name__)
    seconds = time.perf_counter() - started
    return LlmAnswer(parse_intent(content), seconds, tokens_in, tokens_out)


def classify_many(
    endpoint: LlmEndpoint, texts: Sequence[str], *, workers: int = 8
) -> tuple[list[LlmAnswer], float]:
    """Answers in input order, and the wall-clock seconds for all of them (parallel workers)."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        answers = list(pool.map(lambda t: classify_one(endpoint, t), texts))
    return answers, time.perf_counter() - started


def cost_per_1k(model: str, answers: Sequence[LlmAnswer]) -> float | None:
    price = PRICES_PER_MTOK.get(model)
    if price is None or not answers:
        return None
    tokens_in = sum(a.input_tokens for a in answers)
    tokens_out = sum(a.output_tokens for a in answers)
    per_call = (tokens_in * price[0] + tokens_out * price[1]) / 1e6 / len(answers)
    return round(per_call * 1000, 4)


def latency_ms(answers: Sequence[LlmAnswer]) -> dict[str, float | None]:
    if not answers:
        return {"p50": None, "p95": None, "mean": None}
    lat = np.array([a.seconds * 1000.0 for a in answers])
    return {
        "p50": round(float(np.percentile(lat, 50)), 1),
        "p95": round(float(np.percentile(lat, 95)), 1),
        "mean": round(float(lat.mean()), 1),
    }
