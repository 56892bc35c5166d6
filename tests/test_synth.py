"""The offline synthetic generators and the data report: determinism, coverage, realism mix,
channel-conditional messiness, train/test independence and the leakage check.

No timings here: generation speed is measured by bench/bench_synth.py.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from clarioscope.taxonomy import CHANNELS, INTENTS
from mlops.core import realism, synth_test, synth_train
from mlops.core.data import Example, dataset_sha256, read_jsonl, write_jsonl
from mlops.core.realism import leakage_check, realism_report
from mlops.core.synth_test import generate_test
from mlops.core.synth_train import generate_train

Examples = list[Example]


@pytest.fixture(scope="module")
def train_set() -> Examples:
    return generate_train(3500, seed=11)


@pytest.fixture(scope="module")
def test_set() -> Examples:
    return generate_test(2100, seed=12)


def test_same_seed_gives_the_same_data_and_another_seed_does_not() -> None:
    assert generate_train(400, seed=5) == generate_train(400, seed=5)
    assert generate_test(400, seed=5) == generate_test(400, seed=5)
    assert generate_train(400, seed=5) != generate_train(400, seed=6)
    assert generate_test(400, seed=5) != generate_test(400, seed=6)
    assert dataset_sha256(generate_train(200, seed=1)) == dataset_sha256(
        generate_train(200, seed=1)
    )


@pytest.mark.parametrize("generator", [generate_train, generate_test])
def test_every_intent_and_channel_is_covered_and_balanced(
    generator: Callable[..., Examples],
) -> None:
    examples = generator(700)
    assert len(examples) == 700
    per_intent = Counter(e.label for e in examples)
    assert set(per_intent) == set(INTENTS)
    assert max(per_intent.values()) - min(per_intent.values()) <= 1
    cells = Counter((e.label, e.channel) for e in examples)
    assert len(cells) == len(INTENTS) * len(CHANNELS)
    assert min(cells.values()) >= 15
    assert {e.style for e in examples} == {"polished", "casual", "messy"}
    assert all(e.text.strip() for e in examples)
    assert len({e.text for e in examples}) == len(examples)


@pytest.mark.parametrize("which", ["train", "test"])
def test_realism_mix_is_about_40_40_20(which: str, train_set: Examples, test_set: Examples) -> None:
    examples = train_set if which == "train" else test_set
    styles = Counter(e.style for e in examples)
    share = {style: count / len(examples) for style, count in styles.items()}
    assert share["polished"] == pytest.approx(0.40, abs=0.05)
    assert share["casual"] == pytest.approx(0.40, abs=0.05)
    assert share["messy"] == pytest.approx(0.20, abs=0.05)


@pytest.mark.parametrize("which", ["train", "test"])
def test_sms_is_messier_than_email(which: str, train_set: Examples, test_set: Examples) -> None:
    examples = train_set if which == "train" else test_set
    report = realism_report(examples)
    by_channel = report["by_channel"]
    assert isinstance(by_channel, dict)
    sms, email = by_channel["sms"], by_channel["email"]
    assert sms["greetingless_openers"] > email["greetingless_openers"] + 0.3
    assert sms["all_caps_urgency"] > email["all_caps_urgency"]
    messy_share = {
        channel: sum(e.style == "messy" for e in examples if e.channel == channel)
        / sum(e.channel == channel for e in examples)
        for channel in CHANNELS
    }
    assert messy_share["sms"] > messy_share["voicemail"] > messy_share["email"]
    assert messy_share["sms"] > messy_share["web_form"]


@pytest.mark.parametrize("which", ["train", "test"])
def test_voicemail_transcripts_speak_their_numbers(
    which: str, train_set: Examples, test_set: Examples
) -> None:
    voicemails = [
        e.text for e in (train_set if which == "train" else test_set) if e.channel == "voicemail"
    ]
    assert voicemails
    assert not any(re.search(r"\d", text) for text in voicemails)
    fillers = re.compile(r"\b(uh|um|er|erm|ah|hmm|like|you know|basically|sort of)\b")
    assert sum(bool(fillers.search(t)) for t in voicemails) / len(voicemails) > 0.4
    assert all(t == t.lower() for t in voicemails)


def test_emails_carry_greetings_signatures_and_sometimes_quoted_replies(
    train_set: Examples,
) -> None:
    emails = [e.text for e in train_set if e.channel == "email"]
    assert sum(realism.has_greeting(t) for t in emails) / len(emails) > 0.5
    assert any(re.search(r"^On .+ wrote:$", t, re.M) for t in emails)
    assert any(t.splitlines()[-1].strip() and "\n\n" in t for t in emails)


def test_the_realism_figures_of_the_reference_are_reported(train_set: Examples) -> None:
    report = realism_report(train_set)
    for key in (
        "greetingless_openers",
        "abbreviations",
        "no_terminal_punctuation",
        "all_caps_urgency",
    ):
        value = report[key]
        assert isinstance(value, float)
        assert 0.02 < value < 0.95, key
    assert report["per_intent"] == dict(sorted(Counter(e.label for e in train_set).items()))
    assert set(report["per_channel"]) == set(CHANNELS)
    assert report["mean_words"] > 5


def test_realism_detectors_on_plain_cases() -> None:
    assert realism.has_greeting("Hi,\n\nI need a refill")
    assert realism.has_greeting("Name: Ann Lee\nMessage: Hello, are you open?")
    assert not realism.has_greeting("Subject: refill\nneed a refill")
    assert realism.has_abbreviation("can u call me tmrw")
    assert realism.has_abbreviation("IDK if that matters")
    assert not realism.has_abbreviation("Can you call me tomorrow?")
    assert realism.lacks_terminal_punctuation("need to reschedule thursday")
    assert not realism.lacks_terminal_punctuation("Need to reschedule Thursday.")
    assert realism.has_caps_urgency("PLEASE CALL ME BACK my son is sick")
    assert not realism.has_caps_urgency("Is an MRI covered by my HMO? Got an EOB from BCBS.")


def test_train_and_test_generators_are_independent() -> None:
    for module, other in ((synth_train, "synth_test"), (synth_test, "synth_train")):
        tree = ast.parse(inspect.getsource(module))
        imported = {
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        } | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert not any(name.endswith(other) for name in imported)

    train_vocab, test_vocab = synth_train.VOCAB, synth_test.LEXICON
    for train_key, test_key in (
        ("doctor", "doc"),
        ("insurer", "plan"),
        ("med", "drug"),
        ("condition", "dx"),
        ("procedure", "proc"),
        ("name", "first"),
        ("practice", "clinic"),
        ("pharmacy", "chemist"),
    ):
        left, right = train_vocab[train_key], test_vocab[test_key]
        assert isinstance(left, list) and isinstance(right, list)
        shared = {v.lower() for v in left} & {v.lower() for v in right}
        assert not shared, (train_key, shared)


def test_each_generator_keeps_its_own_abbreviations(
    train_set: Examples, test_set: Examples
) -> None:
    def count(examples: list[Example], pattern: str) -> int:
        regex = re.compile(pattern)
        return sum(bool(regex.search(e.text)) for e in examples)

    train_only = r"(?<!\w)(tmrw|thx|pls|appt|ur|rx)(?!\w)"
    test_only = r"(?<!\w)(w/|IDK|BTW|plz|b4|2day|hrs)(?!\w)"
    assert count(train_set, train_only) > 100
    assert count(test_set, test_only) > 40
    assert count(train_set, test_only) == 0
    assert count(test_set, train_only) == 0


def test_test_set_is_longer_and_more_rambling(train_set: Examples, test_set: Examples) -> None:
    train_words = realism_report(train_set)["mean_words"]
    test_words = realism_report(test_set)["mean_words"]
    assert test_words > train_words


def test_boundary_cases_are_generated_with_the_taxonomy_labels(
    train_set: Examples, test_set: Examples
) -> None:
    for examples in (train_set, test_set):
        by_label: dict[str, list[str]] = {}
        for e in examples:
            by_label.setdefault(e.label, []).append(e.text.lower())
        # Rule 1: complaints that carry a bill, a symptom or a scheduling failure.
        assert any("$" in t or "dollars" in t or "bill" in t for t in by_label["complaint"])
        assert any("pain" in t or "fever" in t or "vomiting" in t for t in by_label["complaint"])
        # Rule 2: price shoppers mentioning insurance or being new.
        assert any("insurance" in t or "ins " in t for t in by_label["price_shopper"])
        assert any("new patient" in t for t in by_label["price_shopper"])
        # Rule 4: no-symptom medical questions stay existing_patient_question.
        assert any(
            re.search(r"(no (problems|symptoms|side effects|issues)|feel(ing)? (fine|great))", t)
            for t in by_label["existing_patient_question"]
        )
        # Rule 5: charges already received are billing.
        assert any("paid" in t or "charged" in t for t in by_label["billing_inquiry"])
    # Rule 3 (training data): becoming a patient first, then the first appointment.
    assert any(
        t.find("new patient") != -1 and t.find("first") > t.find("new patient")
        for t in (e.text.lower() for e in train_set if e.label == "new_patient_inquiry")
    )


def test_uk_hospital_complaints_and_bare_first_turns_are_covered(
    train_set: Examples, test_set: Examples
) -> None:
    for examples in (train_set, test_set):
        complaints = [e.text for e in examples if e.label == "complaint"]
        assert any("A&E" in t or "a and e" in t for t in complaints)
        assert any(re.search(r"apologis|organis|behaviour|mum\b", t) for t in complaints)
        clinical = [e.text for e in examples if e.label == "clinical_concern"]
        assert sum(len(t.split()) <= 12 for t in clinical) > 20
        bookings = [e.text for e in examples if e.label == "appointment_request"]
        assert any(re.search(r"appointment (with|to see) dr", t, re.I) for t in bookings)


def test_leakage_check_finds_planted_duplicates(train_set: Examples, test_set: Examples) -> None:
    clean = leakage_check(train_set, test_set)
    assert clean["near_duplicates"] == 0
    assert clean["exact_text_overlap"] == 0

    # An exact copy, a copy with a few words added, and a re-cased copy of longer messages.
    a, b, c = [i for i, e in enumerate(train_set) if len(e.text) > 150][:3]
    planted = [
        train_set[a],
        Example(train_set[b].text + " thanks so much", "complaint", "sms", "casual"),
        Example(train_set[c].text.upper(), "complaint", "sms", "messy"),
    ]
    report = leakage_check(train_set, list(test_set[:200]) + planted)
    assert report["near_duplicates"] == 3
    found = {(p["test_index"], p["train_index"]) for p in report["pairs"]}
    assert found == {(200, a), (201, b), (202, c)}
    assert report["share"] == pytest.approx(3 / 203, abs=1e-3)
    assert "text" not in json.dumps(report["pairs"])


def test_progress_is_reported_to_the_end() -> None:
    calls: list[tuple[int, int]] = []
    generate_train(250, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (250, 250)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    calls.clear()
    generate_test(120, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (120, 120)


def test_jsonl_round_trip_and_hash(tmp_path: Path) -> None:
    examples = generate_train(50, seed=2)
    path = tmp_path / "data" / "train.jsonl"
    assert write_jsonl(path, examples) == 50
    assert read_jsonl(path) == examples
    assert dataset_sha256(read_jsonl(path)) == dataset_sha256(examples)
    changed = [*examples[:-1], Example(examples[-1].text, "complaint", "sms", "messy")]
    assert dataset_sha256(changed) != dataset_sha256(examples)

    loose = tmp_path / "loose.jsonl"
    loose.write_text('{"text": "my knee hurts", "label": "clinical_concern"}\n\n', encoding="utf-8")
    assert read_jsonl(loose) == [Example("my knee hurts", "clinical_concern", "", "")]
