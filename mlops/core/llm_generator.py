"""Optional LLM-backed generator: the reference's method, for when an API key is configured.

Calls any OpenAI-compatible ``/chat/completions`` endpoint with a JSON-object response format and
parallel worker threads, one request per (intent, channel, batch). The prompt encodes the
realism mix (~40% polished / ~40% casual / ~20% messy), channel-conditional messiness, the style
anchors and the disambiguation rules of TAXONOMY.md. The label of each message is the intent the
request asked for; the model is never trusted to pick it.

Standard library only (urllib): no SDK, no extra dependency. Nothing here runs unless a caller
passes a base URL and a key; the offline generators are the default everywhere.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlparse

from clarioscope.taxonomy import CHANNELS, INTENT_DESCRIPTIONS, INTENTS
from mlops.core.data import STYLES, Example

SYSTEM_PROMPT = """You write realistic inbound messages that patients send to a healthcare \
practice, for training an intent classifier. Output only a JSON object.

Intents:
{intents}

Disambiguation rules (they decide the label when two signals are present):
1. complaint dominates: a frustrated message that also describes a medical concern, a bill or a \
scheduling failure is complaint.
2. Pre-commitment pricing questions are price_shopper, even when they mention insurance or being \
new ("how much is a new patient visit without insurance").
3. A new patient asking for a first appointment is new_patient_inquiry when the message leads \
with the becoming-a-patient signal.
4. A medical question from an established patient with no active symptoms ("can I take \
ibuprofen with the antibiotic, no problems just checking") is existing_patient_question; an \
active symptom, side effect, injury or worsening condition is clinical_concern.
5. Charges for services already received are billing_inquiry; prices of services not yet \
received are price_shopper.

Realism mix, mandatory in every batch:
- ~40% polished: full sentences, correct grammar and punctuation, formal or neutral.
- ~40% casual: lowercase starts, contractions, fragments, missing terminal punctuation.
- ~20% messy: typos, autocorrect mistakes, abbreviations like u/ur/appt/tmrw/yr/pls/thx/rx/ins, \
ALL CAPS for urgency, run-on phrasing.
Channel scaling: sms is the messiest, voicemail transcripts next (run-on, fillers like "uh" and \
"um", numbers spoken as words such as "one oh two" or "tuesday at three thirty"), email and web \
forms the most polished (greetings, signatures, sometimes a quoted reply).

Style anchors:
- Fragments: "billing question call me back", "need to reschedule thursday", "kid has fever \
102", "still no answer about my x-ray".
- Run-on voicemail: "uh hi yeah this is calling about that thing you mentioned last week i \
think it was a follow up or something can you call me back".
- Conversational starts with no greeting: "Quick question -", "So I got this bill...", "Need to \
cancel -".
- Do not open every message with "Hi!" and do not end every message with "Thanks!".
- Vary length, names, conditions, procedures, medications, insurers, amounts and dates.
"""

USER_PROMPT = """Write {count} different messages.
Intent: {intent} ({description}).
Channel: {channel}.
Styles, exactly: {polished} polished, {casual} casual, {messy} messy.
Return {{"messages": [{{"text": "...", "style": "polished|casual|messy"}}, ...]}}."""

# Channel-conditional mix; over the five channels it averages to ~40/40/20.
CHANNEL_MIX: dict[str, tuple[float, float, float]] = {
    "email": (0.60, 0.30, 0.10),
    "web_form": (0.55, 0.35, 0.10),
    "chat": (0.35, 0.45, 0.20),
    "sms": (0.15, 0.50, 0.35),
    "voicemail": (0.35, 0.40, 0.25),
}

_RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class LLMGenerationError(RuntimeError):
    """The endpoint refused the request or kept failing; the message says which and why."""


@dataclass(frozen=True)
class _Batch:
    index: int
    intent: str
    channel: str
    count: int
    styles: tuple[int, int, int]


def _style_counts(count: int, channel: str) -> tuple[int, int, int]:
    polished_share, casual_share, _ = CHANNEL_MIX[channel]
    polished = round(count * polished_share)
    casual = round(count * casual_share)
    messy = max(0, count - polished - casual)
    return polished, count - polished - messy, messy


def _plan(n: int, batch_size: int, rng: random.Random) -> list[_Batch]:
    cells = [(intent, channel) for intent in INTENTS for channel in CHANNELS]
    per_cell = [n // len(cells)] * len(cells)
    for extra in rng.sample(range(len(cells)), n % len(cells)):
        per_cell[extra] += 1
    batches: list[_Batch] = []
    for (intent, channel), remaining in zip(cells, per_cell, strict=True):
        while remaining > 0:
            count = min(batch_size, remaining)
            batches.append(
                _Batch(len(batches), intent, channel, count, _style_counts(count, channel))
            )
            remaining -= count
    return batches


def _messages(batch: _Batch) -> list[dict[str, str]]:
    intents = "\n".join(f"- {name}: {INTENT_DESCRIPTIONS[name]}" for name in INTENTS)
    polished, casual, messy = batch.styles
    return [
        {"role": "system", "content": SYSTEM_PROMPT.format(intents=intents)},
        {
            "role": "user",
            "content": USER_PROMPT.format(
                count=batch.count,
                intent=batch.intent,
                description=INTENT_DESCRIPTIONS[batch.intent],
                channel=batch.channel,
                polished=polished,
                casual=casual,
                messy=messy,
            ),
        },
    ]


def _post(url: str, api_key: str, body: dict[str, object], timeout: float) -> dict[str, object]:
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked to be http(s)
        url,
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        payload = json.loads(response.read().decode("utf-8"))
    if not isinstance(payload, dict):
        raise LLMGenerationError("the endpoint answered with something other than a JSON object")
    return payload


def _parse(payload: dict[str, object], batch: _Batch) -> list[Example]:
    try:
        content = payload["choices"][0]["message"]["content"]  # type: ignore[index]
        data = json.loads(content)  # type: ignore[arg-type]
    except (KeyError, IndexError, TypeError, json.JSONDecodeError) as exc:
        raise LLMGenerationError(f"unusable completion for batch {batch.index}: {exc!r}") from exc
    items = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise LLMGenerationError(f"batch {batch.index}: no 'messages' list in the completion")
    planned = ["polished"] * batch.styles[0] + ["casual"] * batch.styles[1]
    planned += ["messy"] * batch.styles[2]
    examples: list[Example] = []
    for position, item in enumerate(items[: batch.count]):
        text = item.get("text") if isinstance(item, dict) else item
        if not isinstance(text, str) or not text.strip():
            continue
        style = item.get("style") if isinstance(item, dict) else None
        if style not in STYLES:
            style = planned[position] if position < len(planned) else "casual"
        examples.append(Example(text.strip(), batch.intent, batch.channel, str(style)))
    return examples


def generate_llm(
    n: int,
    *,
    base_url: str,
    api_key: str,
    model: str,
    workers: int = 8,
    seed: int = 0,
    batch_size: int = 10,
    temperature: float = 1.0,
    timeout: float = 120.0,
    max_attempts: int = 4,
    progress: Callable[[int, int], None] | None = None,
) -> list[Example]:
    """Generate ``n`` labelled messages through an OpenAI-compatible chat completions API.

    Balanced over intents and channels; batches run on ``workers`` threads and are returned in
    plan order, so the output order does not depend on which request finished first. Transient
    failures (429, 5xx, timeouts) are retried with backoff; other errors raise
    LLMGenerationError. Short batches are topped up with another request.
    """
    scheme = urlparse(base_url).scheme
    if scheme not in ("http", "https"):
        raise ValueError(f"base_url must be http(s), got {base_url!r}")
    url = base_url.rstrip("/") + "/chat/completions"
    rng = random.Random(seed)
    batches = _plan(n, batch_size, rng)
    done = 0

    def run(batch: _Batch) -> list[Example]:
        collected: list[Example] = []
        seen: set[str] = set()
        for _ in range(3):  # top up short answers, a bounded number of times
            missing = batch.count - len(collected)
            if missing <= 0:
                break
            request_batch = _Batch(
                batch.index,
                batch.intent,
                batch.channel,
                missing,
                _style_counts(missing, batch.channel),
            )
            body = {
                "model": model,
                "messages": _messages(request_batch),
                "response_format": {"type": "json_object"},
                "temperature": temperature,
                "seed": seed * 100_003 + batch.index,
            }
            payload = _with_retries(url, api_key, body, timeout, max_attempts)
            for example in _parse(payload, request_batch):
                if example.text not in seen:
                    seen.add(example.text)
                    collected.append(example)
        return collected[: batch.count]

    results: list[list[Example]] = [[] for _ in batches]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(run, batch): batch for batch in batches}
        for future, batch in futures.items():
            results[batch.index] = future.result()
            done += len(results[batch.index])
            if progress is not None:
                progress(done, n)
    return [example for batch_result in results for example in batch_result]


def _with_retries(
    url: str, api_key: str, body: dict[str, object], timeout: float, max_attempts: int
) -> dict[str, object]:
    delay = 0.5
    for attempt in range(1, max_attempts + 1):
        try:
            return _post(url, api_key, body, timeout)
        except urllib.error.HTTPError as exc:
            if exc.code not in _RETRY_STATUSES or attempt == max_attempts:
                raise LLMGenerationError(f"the endpoint answered HTTP {exc.code}") from exc
            retry_after = exc.headers.get("Retry-After") if exc.headers else None
            wait = float(retry_after) if retry_after and retry_after.isdigit() else delay
        except (urllib.error.URLError, TimeoutError) as exc:
            if attempt == max_attempts:
                raise LLMGenerationError(f"the endpoint could not be reached: {exc}") from exc
            wait = delay
        time.sleep(min(wait, 30.0))
        delay *= 2
    raise LLMGenerationError("unreachable")  # pragma: no cover - the loop returns or raises
