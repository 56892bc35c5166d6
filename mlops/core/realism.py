"""Data reports: the realism figures the reference publishes, and a train/test leakage check.

Realism figures (shares of messages): greetingless openers, abbreviations, no terminal
punctuation, ALL CAPS urgency; plus counts per intent, channel and style and mean length.
The abbreviation list is the union of both generators' sets and common chat shorthand, so the
figure is comparable across datasets.

Leakage: character 5-gram shingles, MinHash signatures (numpy) to estimate Jaccard similarity
for every train/test pair, then the exact Jaccard for the candidates. Runs on 9,000 x 1,200
in a few seconds on a laptop-class CPU.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from mlops.core.data import Example

# fmt: off
_GREETINGS = (
    "hi", "hello", "hey", "dear", "good morning", "good afternoon", "good evening", "good day",
    "greetings", "hiya", "howdy", "morning", "afternoon", "evening", "to whom", "hi there",
    "hello there", "yo", "yes hello", "yeah hi", "oh hi",
)
# fmt: on
_HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z ?]{0,30}:\s")
_GREETING_RE = re.compile(
    r"^(?:" + "|".join(sorted((re.escape(g) for g in _GREETINGS), key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)

# fmt: off
_ABBREVIATIONS = (
    # training set
    "u", "ur", "appt", "appts", "tmrw", "yr", "yrs", "pls", "thx", "rx", "ins", "cuz", "msg",
    # test set
    "w/", "w/o", "&", "hrs", "btw", "idk", "plz", "b4", "2day", "2moro", "wks", "wk", "mins",
    "ppl", "thru", "tho", "rn", "bc", "asap", "smth", "fyi", "tbh", "imo", "lmk",
    # general chat shorthand
    "r", "k", "ty", "omg", "lol", "smh", "b/c", "abt", "hr",
)
# fmt: on
_ABBREVIATION_RE = re.compile(
    r"(?:(?<=\s)|^)(?:"
    + "|".join(re.escape(a) for a in sorted(_ABBREVIATIONS, key=len, reverse=True))
    + r")(?=[\s.,!?;:)]|$)",
    re.IGNORECASE,
)

# Upper-case tokens that are names, not shouting.
# fmt: off
_ACRONYMS = frozenset((
    "MRI", "EOB", "HMO", "PPO", "HSA", "FSA", "NHS", "GP", "ER", "ICU", "ENT", "OB", "GYN", "DOB",
    "CT", "EKG", "ECG", "ADHD", "COPD", "GERD", "IBS", "UTI", "IUD", "DEXA", "BPPV", "PCOS", "USA",
    "COVID", "CPAP", "HIPAA", "PA", "NP", "OK", "AM", "PM", "ID", "RSV", "TMJ", "BCBS", "PALS",
    "PCP", "CBC", "TSH", "INR", "PSA", "TB", "BP", "BPM", "ESA", "TSA", "DMV", "FMLA", "VA", "MD",
    "RN", "LPN", "IV", "OTC", "A&E", "BTW", "IDK", "FYI", "TBH", "IMO", "ASAP", "HI", "ICD", "CPT",
    "ACA", "STD", "STI", "HIV", "HPV", "NICU", "OBGYN", "UK", "US", "PT", "OT", "SLP", "ENT/",
    "OB/GYN", "CVS", "HEB", "H-E-B", "AXA", "BUPA",
))
# fmt: on
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z&/'-]*")


def _body_start(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    for index, line in enumerate(lines):
        if _HEADER_LINE.match(line):
            # Form fields: the message is after the last "Label: value" header.
            key, _, value = line.partition(":")
            if key.strip().lower() in {
                "message",
                "comments",
                "your message",
                "details",
                "inquiry",
                "how can we help?",
            }:
                return value.strip()
            continue
        return "\n".join(lines[index:])
    return lines[-1] if lines else ""


def has_greeting(text: str) -> bool:
    return bool(_GREETING_RE.match(_body_start(text)))


# "dr" counts as shorthand only in lower case with no full stop ("ask the dr"), not "Dr. Patel".
_DR_SHORTHAND_RE = re.compile(r"(?<![\w.])dr(?=\s)")


def has_abbreviation(text: str) -> bool:
    return bool(_ABBREVIATION_RE.search(text) or _DR_SHORTHAND_RE.search(text))


def lacks_terminal_punctuation(text: str) -> bool:
    stripped = text.rstrip()
    return not stripped or stripped[-1] not in ".!?)\"'…:"


def has_caps_urgency(text: str) -> bool:
    """Shouting: a run of two upper-case words, or one of 4+ letters, that is no acronym."""
    run = 0
    for match in _WORD_RE.finditer(text):
        word = match.group(0)
        letters = [c for c in word if c.isalpha()]
        shouted = len(letters) >= 2 and all(c.isupper() for c in letters)
        if shouted and word.strip("'-/") not in _ACRONYMS:
            if len(letters) >= 4:
                return True
            run += 1
            if run >= 2:
                return True
        else:
            run = 0
    return False


def _share(flags: Sequence[bool]) -> float:
    return round(sum(flags) / len(flags), 4) if flags else 0.0


def realism_report(examples: Sequence[Example]) -> dict[str, Any]:
    texts = [e.text for e in examples]
    lengths_chars = [len(t) for t in texts]
    lengths_words = [len(t.split()) for t in texts]
    by_channel: dict[str, dict[str, float]] = {}
    for channel in sorted({e.channel for e in examples}):
        subset = [e.text for e in examples if e.channel == channel]
        by_channel[channel] = {
            "greetingless_openers": _share([not has_greeting(t) for t in subset]),
            "abbreviations": _share([has_abbreviation(t) for t in subset]),
            "no_terminal_punctuation": _share([lacks_terminal_punctuation(t) for t in subset]),
            "all_caps_urgency": _share([has_caps_urgency(t) for t in subset]),
            "mean_words": round(float(np.mean([len(t.split()) for t in subset])), 1),
        }
    return {
        "n": len(examples),
        "distinct_texts": len(set(texts)),
        "per_intent": dict(sorted(Counter(e.label for e in examples).items())),
        "per_channel": dict(sorted(Counter(e.channel for e in examples).items())),
        "per_style": dict(sorted(Counter(e.style for e in examples).items())),
        "per_intent_channel": {
            f"{label}/{channel}": count
            for (label, channel), count in sorted(
                Counter((e.label, e.channel) for e in examples).items()
            )
        },
        "greetingless_openers": _share([not has_greeting(t) for t in texts]),
        "abbreviations": _share([has_abbreviation(t) for t in texts]),
        "no_terminal_punctuation": _share([lacks_terminal_punctuation(t) for t in texts]),
        "all_caps_urgency": _share([has_caps_urgency(t) for t in texts]),
        "mean_chars": round(float(np.mean(lengths_chars)), 1) if texts else 0.0,
        "mean_words": round(float(np.mean(lengths_words)), 1) if texts else 0.0,
        "by_channel": by_channel,
    }


# --------------------------------------------------------------------------------------------
# Leakage.
# --------------------------------------------------------------------------------------------

_NORMALISE_RE = re.compile(r"[^a-z0-9 ]+")
_PRIME = np.uint64((1 << 31) - 1)


def _shingles(text: str, k: int) -> np.ndarray:
    norm = " ".join(_NORMALISE_RE.sub(" ", text.lower()).split())
    if len(norm) < k:
        norm = norm.ljust(k)
    grams = {norm[i : i + k] for i in range(len(norm) - k + 1)}
    return np.fromiter((zlib.crc32(g.encode()) for g in grams), dtype=np.uint64, count=len(grams))


def _signatures(shingle_sets: list[np.ndarray], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    sig = np.empty((len(shingle_sets), len(a)), dtype=np.uint64)
    for row, values in enumerate(shingle_sets):
        # (a*x + b) mod p with x, a, b < p = 2^31 - 1 stays inside uint64 and, unlike a
        # larger modulus, actually permutes the order of the shingles.
        hashed = (np.outer(values % _PRIME, a) + b) % _PRIME
        sig[row] = hashed.min(axis=0)
    return sig


def _jaccard(x: np.ndarray, y: np.ndarray) -> float:
    inter = np.intersect1d(x, y, assume_unique=True).size
    union = x.size + y.size - inter
    return inter / union if union else 1.0


def leakage_check(
    train: Sequence[Example],
    test: Sequence[Example],
    threshold: float = 0.8,
    *,
    shingle: int = 5,
    permutations: int = 64,
    max_examples: int = 5,
) -> dict[str, Any]:
    """Near-duplicates between train and test (character-shingle Jaccard >= threshold).

    Reports the count and share of test messages with a near-duplicate in train, a few example
    pairs by index (never texts), and the distribution of each test message's best match.
    """
    if not train or not test:
        return {"threshold": threshold, "near_duplicates": 0, "share": 0.0, "pairs": []}
    rng = np.random.default_rng(20240601)
    a = rng.integers(1, (1 << 31) - 1, size=permutations, dtype=np.uint64)
    b = rng.integers(0, (1 << 31) - 1, size=permutations, dtype=np.uint64)
    train_sets = [_shingles(e.text, shingle) for e in train]
    test_sets = [_shingles(e.text, shingle) for e in test]
    train_sig = _signatures(train_sets, a, b)
    test_sig = _signatures(test_sets, a, b)

    # MinHash estimate for every pair, in chunks to bound memory.
    best_estimate = np.zeros(len(test), dtype=np.float64)
    candidate_floor = max(0.0, threshold - 0.15)
    candidates: list[tuple[int, int]] = []
    chunk = 64
    for start in range(0, len(test), chunk):
        block = test_sig[start : start + chunk]
        estimate = (block[:, None, :] == train_sig[None, :, :]).mean(axis=2)
        best_estimate[start : start + len(block)] = estimate.max(axis=1)
        rows, cols = np.nonzero(estimate >= candidate_floor)
        candidates.extend(zip((rows + start).tolist(), cols.tolist(), strict=True))

    # Pairs below the candidate floor keep their estimate; candidates get the exact figure.
    exact_best = best_estimate.copy()
    exact_for_candidates: dict[int, float] = {}
    pairs: list[dict[str, Any]] = []
    duplicated_tests: set[int] = set()
    for test_index, train_index in candidates:
        score = _jaccard(test_sets[test_index], train_sets[train_index])
        exact_for_candidates[test_index] = max(exact_for_candidates.get(test_index, 0.0), score)
        if score >= threshold:
            duplicated_tests.add(test_index)
            pairs.append(
                {"test_index": test_index, "train_index": train_index, "jaccard": round(score, 3)}
            )
    for test_index, score in exact_for_candidates.items():
        exact_best[test_index] = score
    pairs.sort(key=lambda p: (-float(p["jaccard"]), int(p["test_index"])))
    return {
        "threshold": threshold,
        "method": f"char-{shingle}-gram Jaccard, MinHash {permutations} prefilter",
        "train_n": len(train),
        "test_n": len(test),
        "near_duplicates": len(duplicated_tests),
        "share": round(len(duplicated_tests) / len(test), 4),
        "pairs": pairs[:max_examples],
        "exact_text_overlap": len({e.text for e in test} & {e.text for e in train}),
        "best_match_similarity": {
            "mean": round(float(exact_best.mean()), 3),
            "p50": round(float(np.percentile(exact_best, 50)), 3),
            "p95": round(float(np.percentile(exact_best, 95)), 3),
            "max": round(float(exact_best.max()), 3),
        },
    }
