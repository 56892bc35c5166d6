"""Train an intent model on synthetic data and measure it: quality, calibration, speed.

    .venv/bin/python bench/train_and_eval.py --preset full --json var/bench/train_full.json

Trains on generate_train (the training generator), evaluates on generate_test (the independent
test generator) and on the human-written real-text probe, fits a temperature on a held-out slice
of training-generator data (never on the test set or the probe), and times the served int8 model
against fp32. Prints a table; --json writes every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from clarioscope.taxonomy import INTENTS  # noqa: E402
from mlops.core.baselines import TfidfBaseline  # noqa: E402
from mlops.core.calibrate import fit_temperature  # noqa: E402
from mlops.core.data import Example, read_jsonl  # noqa: E402
from mlops.core.evaluate import evaluate  # noqa: E402
from mlops.core.inference import Classifier, read_meta  # noqa: E402
from mlops.core.speed import measure_speed, rss_mib  # noqa: E402
from mlops.core.synth_test import generate_test  # noqa: E402
from mlops.core.synth_train import generate_train  # noqa: E402
from mlops.core.train import preset, train_model  # noqa: E402

DEFAULT_PROBE = ROOT.parent / "shared" / "eval" / "real_text_probe.jsonl"


def _scores(labels: list[str], probs: np.ndarray) -> dict[str, Any]:
    predicted = [INTENTS[i] for i in probs.argmax(axis=1)]
    return evaluate(labels, predicted, probs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", choices=["full", "bootstrap"], default="full")
    parser.add_argument("--n-train", type=int, help="override the preset's example count")
    parser.add_argument("--n-test", type=int, default=1200)
    parser.add_argument("--n-val", type=int, default=700, help="held-out train-generator data")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=float)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--max-length", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--schedule", choices=["linear", "cosine"])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "var" / "bench" / "model")
    parser.add_argument("--probe", type=Path, default=DEFAULT_PROBE)
    parser.add_argument("--runs", type=int, default=300, help="single-message latency samples")
    parser.add_argument("--json", type=Path, help="write all figures here")
    parser.add_argument(
        "--skip-training",
        action="store_true",
        help="measure the model already in --out-dir (e.g. re-time it on a quiet machine)",
    )
    args = parser.parse_args()

    chosen = preset(args.preset)
    overrides = {
        "epochs": args.epochs,
        "learning_rate": args.lr,
        "max_length": args.max_length,
        "batch_size": args.batch_size,
        "schedule": args.schedule,
    }
    config = replace(
        chosen.config, seed=args.seed, **{k: v for k, v in overrides.items() if v is not None}
    )
    n_train = args.n_train or chosen.n_train

    started = time.perf_counter()
    train = generate_train(n_train, seed=args.seed, progress=None)
    # A different seed of the training generator: held out for the temperature fit.
    val = generate_train(args.n_val, seed=args.seed + 10_000, progress=None)
    test = generate_test(args.n_test, seed=args.seed, progress=None)
    generate_seconds = time.perf_counter() - started
    probe: list[Example] = read_jsonl(args.probe) if args.probe.is_file() else []

    if args.skip_training:
        meta = read_meta(args.out_dir)
        train_seconds, steps = float(meta["total_seconds"]), int(meta["steps"])
    else:
        result = train_model(train, config=config, out_dir=args.out_dir)
        train_seconds, steps = result.seconds, result.steps

    # The served model (int8 ONNX Runtime when training exported it), torch's own int8, fp32.
    models = {
        "served": Classifier.load(str(args.out_dir), quantize=True),
        "torch_int8": Classifier.load(str(args.out_dir), quantize=True, backend="torch"),
        "fp32": Classifier.load(str(args.out_dir), quantize=False),
    }
    served = models["served"]
    temperature = fit_temperature(
        served.logits([ex.text for ex in val], batch_size=1),
        [INTENTS.index(ex.label) for ex in val],
    )

    datasets: dict[str, dict[str, Any]] = {}
    agreement: dict[str, dict[str, float]] = {}
    for name, examples in (("synthetic_test", test), ("real_text_probe", probe)):
        if not examples:
            continue
        texts = [ex.text for ex in examples]
        labels = [ex.label for ex in examples]
        # One message per call, as the API serves it: dynamic int8 quantises activations per
        # call, so batching (and its padding) would change the answers slightly.
        logits = {key: clf.logits(texts, batch_size=1) for key, clf in models.items()}
        datasets[name] = {
            "served_calibrated": _scores(labels, _softmax(logits["served"] / temperature)),
            "served_uncalibrated_ece": _scores(labels, _softmax(logits["served"]))["ece"],
            "torch_int8": _scores(labels, _softmax(logits["torch_int8"])),
            "fp32": _scores(labels, _softmax(logits["fp32"])),
        }
        reference = logits["fp32"].argmax(1)
        agreement[name] = {
            key: round(float((logits[key].argmax(1) == reference).mean()), 4)
            for key in ("served", "torch_int8")
        }

    baseline = TfidfBaseline(seed=args.seed).fit(train)
    baseline_scores = {
        name: _scores([ex.label for ex in exs], baseline.probabilities([ex.text for ex in exs]))
        for name, exs in (("synthetic_test", test), ("real_text_probe", probe))
        if exs
    }

    speed_texts = [ex.text for ex in test[:200]]
    speed = {
        key: measure_speed(clf.predict, speed_texts, runs=args.runs) for key, clf in models.items()
    }
    speed["tfidf"] = measure_speed(baseline.predict, speed_texts, runs=args.runs)

    report = {
        "preset": args.preset,
        "n_train": n_train,
        "n_test": len(test),
        "n_probe": len(probe),
        "generate_seconds": round(generate_seconds, 2),
        "train_seconds": train_seconds,
        "steps": steps,
        "steps_per_second": round(steps / train_seconds, 3),
        "config": asdict(config),
        "temperature": temperature,
        "datasets": datasets,
        "served_backend": served.backend,
        "agreement_with_fp32": agreement,
        "tfidf": baseline_scores,
        "speed": speed,
        "rss_mib": rss_mib(),
        "out_dir": str(args.out_dir),
    }
    _print_table(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")


def _softmax(logits: np.ndarray) -> np.ndarray:
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def _print_table(report: dict[str, Any]) -> None:
    print()
    print(
        f"preset {report['preset']}: {report['n_train']} examples, {report['steps']} steps in "
        f"{report['train_seconds']:.0f} s ({report['steps_per_second']:.2f} steps/s), "
        f"temperature {report['temperature']}, served backend {report['served_backend']}"
    )
    print(f"{'dataset':<18}{'model':<22}{'accuracy':>9}{'macro-F1':>9}{'ECE':>8}")
    rows = (
        ("served, calibrated", "served_calibrated"),
        ("torch int8", "torch_int8"),
        ("fp32", "fp32"),
    )
    for name, scores in report["datasets"].items():
        for model_name, key in rows:
            s = scores[key]
            print(
                f"{name:<18}{model_name:<22}{s['accuracy']:>9.4f}{s['macro_f1']:>9.4f}"
                f"{s['ece']:>8.4f}"
            )
        t = report["tfidf"][name]
        print(f"{name:<18}{'tf-idf + logreg':<22}{t['accuracy']:>9.4f}{t['macro_f1']:>9.4f}")
    for name, scores in report["datasets"].items():
        served = scores["served_calibrated"]
        print(
            f"{name} recall (served): "
            + ", ".join(f"{k} {v:.3f}" for k, v in served["recall"].items())
        )
        print(
            f"{name} per-class F1 (served): "
            + ", ".join(f"{k} {v:.3f}" for k, v in served["per_class_f1"].items())
        )
        print(
            f"{name} agreement with fp32: "
            + ", ".join(f"{k} {v:.4f}" for k, v in report["agreement_with_fp32"][name].items())
        )
    print(f"{'latency':<12}{'p50 ms':>9}{'p95 ms':>9}{'batched/s':>11}")
    for name, s in report["speed"].items():
        print(f"{name:<12}{s['p50_ms']:>9.2f}{s['p95_ms']:>9.2f}{s['throughput_per_s']:>11.1f}")


if __name__ == "__main__":
    main()
