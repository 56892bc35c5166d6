"""Generate the synthetic training and test sets and report time, counts, realism and leakage.

    .venv/bin/python bench/bench_synth.py --json var/bench/synth.json

Prints a table (train vs test vs the reference's published realism figures) and writes every
figure as JSON. Target: 9,000 training examples in under 30 s on this machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlops.core.data import dataset_sha256, write_jsonl  # noqa: E402
from mlops.core.realism import leakage_check, realism_report  # noqa: E402
from mlops.core.synth_test import generate_test  # noqa: E402
from mlops.core.synth_train import generate_train  # noqa: E402

# The reference's second dry run (published figures, its generator's own measurement).
REFERENCE_PUBLISHED = {
    "greetingless_openers": 0.18,
    "abbreviations": 0.22,
    "no_terminal_punctuation": 0.21,
    "all_caps_urgency": 0.06,
}
FIGURES = ("greetingless_openers", "abbreviations", "no_terminal_punctuation", "all_caps_urgency")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-n", type=int, default=9000)
    parser.add_argument("--test-n", type=int, default=1200)
    parser.add_argument("--train-seed", type=int, default=0)
    parser.add_argument("--test-seed", type=int, default=1)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--out-dir", type=Path, help="also write train.jsonl and test.jsonl here")
    args = parser.parse_args()

    start = time.perf_counter()
    train = generate_train(args.train_n, seed=args.train_seed)
    train_s = time.perf_counter() - start

    start = time.perf_counter()
    test = generate_test(args.test_n, seed=args.test_seed)
    test_s = time.perf_counter() - start

    start = time.perf_counter()
    train_report = realism_report(train)
    test_report = realism_report(test)
    report_s = time.perf_counter() - start

    start = time.perf_counter()
    leakage = leakage_check(train, test, threshold=args.threshold)
    leakage_s = time.perf_counter() - start

    result: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "train": {
            "n": len(train),
            "seed": args.train_seed,
            "seconds": round(train_s, 3),
            "sha256": dataset_sha256(train),
            "realism": train_report,
        },
        "test": {
            "n": len(test),
            "seed": args.test_seed,
            "seconds": round(test_s, 3),
            "sha256": dataset_sha256(test),
            "realism": test_report,
        },
        "report_seconds": round(report_s, 3),
        "leakage": {**leakage, "seconds": round(leakage_s, 3)},
        "reference_published": REFERENCE_PUBLISHED,
        "target": {"train_9000_under_s": 30, "met": train_s * 9000 / max(1, len(train)) < 30},
    }

    print(f"{'':36}{'train':>12}{'test':>12}{'reference':>12}")
    print(f"{'examples':36}{len(train):>12}{len(test):>12}{9000:>12}")
    print(f"{'generation seconds':36}{train_s:>12.2f}{test_s:>12.2f}{'API':>12}")
    print(
        f"{'distinct texts':36}{train_report['distinct_texts']:>12}"
        f"{test_report['distinct_texts']:>12}{'':>12}"
    )
    for figure in FIGURES:
        print(
            f"{figure:36}{train_report[figure]:>12.1%}{test_report[figure]:>12.1%}"
            f"{REFERENCE_PUBLISHED[figure]:>12.0%}"
        )
    print(f"{'mean words':36}{train_report['mean_words']:>12}{test_report['mean_words']:>12}")
    for style in ("polished", "casual", "messy"):
        train_share = train_report["per_style"].get(style, 0) / len(train)
        test_share = test_report["per_style"].get(style, 0) / len(test)
        print(f"{'style ' + style:36}{train_share:>12.1%}{test_share:>12.1%}")
    for intent, count in train_report["per_intent"].items():
        print(f"{'intent ' + intent:36}{count:>12}{test_report['per_intent'].get(intent, 0):>12}")
    for channel, count in train_report["per_channel"].items():
        by_channel = train_report["by_channel"][channel]
        print(
            f"{'channel ' + channel:36}{count:>12}"
            f"{test_report['per_channel'].get(channel, 0):>12}"
            f"   greetingless {by_channel['greetingless_openers']:.0%},"
            f" abbrev {by_channel['abbreviations']:.0%}, caps {by_channel['all_caps_urgency']:.0%}"
        )
    print(
        f"leakage (Jaccard >= {args.threshold}): {leakage['near_duplicates']} of {len(test)}"
        f" test messages ({leakage['share']:.2%}), exact overlaps {leakage['exact_text_overlap']},"
        f" best-match similarity p50 {leakage['best_match_similarity']['p50']}"
        f" p95 {leakage['best_match_similarity']['p95']}"
        f" max {leakage['best_match_similarity']['max']}, {leakage_s:.2f}s"
    )
    print(f"target 9,000 train examples < 30 s: {'met' if result['target']['met'] else 'MISSED'}")

    if args.out_dir:
        write_jsonl(args.out_dir / "train.jsonl", train)
        write_jsonl(args.out_dir / "test.jsonl", test)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
