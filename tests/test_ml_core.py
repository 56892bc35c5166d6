"""The ML core without Django: loading, label mapping, training, metrics and calibration maths.

Models here are tiny random BERTs (built in milliseconds); no real training happens, and nothing
is timed.
"""

from __future__ import annotations

import json
import random
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from clarioscope.taxonomy import INTENTS
from mlops.core.base import default_base_checkpoint
from mlops.core.baselines import TfidfBaseline, deberta_v3_base_config
from mlops.core.calibrate import fit_temperature, suggest_thresholds
from mlops.core.data import Example
from mlops.core.evaluate import evaluate, render_confusion_svg, render_reliability_svg
from mlops.core.inference import (
    META_FILENAME,
    ONNX_INT8_FILENAME,
    CheckpointLabelError,
    Classifier,
    length_batches,
)
from mlops.core.onnx_export import export_onnx_int8
from mlops.core.speed import measure_speed, rss_mib
from mlops.core.tiny import build_tiny_model
from mlops.core.train import TrainConfig, preset, train_model

TEXTS = [
    "hi i need to reschedule my appt on thursday",
    "Why was I charged $240 for my visit on 3/12? My copay is $30.",
    "my son has had a fever of 102 since last night",
    "how much is a cleaning without insurance",
    "",
    "I waited an hour and nobody told me anything. " * 20,
]


def _raw_logits(path: Path, texts: list[str]) -> np.ndarray:
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path).eval()
    with torch.inference_mode():
        enc = tokenizer(texts, padding=True, truncation=True, max_length=128, return_tensors="pt")
        return model(**enc).logits.numpy()


def test_default_base_checkpoint_is_the_packaged_minilm() -> None:
    path = Path(default_base_checkpoint())
    assert path.name == "model"
    assert (path / "config.json").is_file()
    assert (path / "tokenizer.json").is_file()


def test_tiny_model_predicts_distributions_in_taxonomy_order(tiny_model_dir: Path) -> None:
    classifier = Classifier.load(str(tiny_model_dir))
    predictions = classifier.predict(TEXTS, batch_size=4)
    assert len(predictions) == len(TEXTS)
    assert classifier.labels == INTENTS
    for prediction in predictions:
        assert list(prediction.probabilities) == list(INTENTS)
        assert sum(prediction.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
        assert all(0.0 <= p <= 1.0 for p in prediction.probabilities.values())
        assert prediction.label in INTENTS
        assert prediction.confidence == max(prediction.probabilities.values())
        assert prediction.probabilities[prediction.label] == prediction.confidence


def test_batched_predictions_come_back_in_input_order(tiny_model_dir: Path) -> None:
    classifier = Classifier.load(str(tiny_model_dir), quantize=False)
    together = classifier.logits(TEXTS, batch_size=3)
    one_by_one = np.vstack([classifier.logits([t]) for t in TEXTS])
    np.testing.assert_allclose(together, one_by_one, atol=1e-4)


def test_texts_of_very_different_lengths_batch_like_one_at_a_time(tiny_model_dir: Path) -> None:
    # fp32: padding is masked out, so batching must not change a message's logits. (Dynamic int8
    # quantises activations per batch, so there a batch's company moves them slightly.)
    texts = [" ".join(["refill"] * n) for n in (1, 40, 2, 3, 39, 41, 90, 1, 200)]
    classifier = Classifier.load(str(tiny_model_dir), quantize=False)
    one_by_one = np.vstack([classifier.logits([t]) for t in texts])
    np.testing.assert_allclose(classifier.logits(texts, batch_size=4), one_by_one, atol=1e-4)


def test_length_batches_cover_every_text_once_with_little_padding() -> None:
    lengths = [5, 80, 6, 5, 81, 120, 5, 5, 5, 5, 64, 66, 7]

    batches = length_batches(lengths, batch_size=3)

    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        assert 1 <= len(batch) <= 3
        shortest, longest = min(lengths[i] for i in batch), max(lengths[i] for i in batch)
        assert longest <= shortest + shortest // 16
    # The six texts of 5 tokens fill two batches of 3; 5 and 6 tokens never share one.
    assert sorted(len(b) for b in batches if {lengths[i] for i in b} == {5}) == [3, 3]


def test_shuffled_id2label_is_mapped_by_name(tmp_path: Path) -> None:
    shuffled = list(INTENTS)
    random.Random(3).shuffle(shuffled)
    assert shuffled != list(INTENTS)
    path = build_tiny_model(tmp_path / "shuffled", labels=shuffled, seed=7)
    raw = _raw_logits(path, TEXTS[:3])

    got = Classifier.load(str(path), quantize=False).logits(TEXTS[:3])

    for column, intent in enumerate(INTENTS):
        np.testing.assert_allclose(got[:, column], raw[:, shuffled.index(intent)], atol=1e-5)


def test_onnx_int8_export_is_mapped_by_name_too(tmp_path: Path) -> None:
    shuffled = list(INTENTS)
    random.Random(4).shuffle(shuffled)
    path = build_tiny_model(tmp_path / "shuffled", labels=shuffled, seed=2)
    export_onnx_int8(path)
    fp32 = Classifier.load(str(path), quantize=False).probabilities(TEXTS)

    onnx = Classifier.load(str(path), backend="onnx")

    assert onnx.backend == "onnx-int8"
    got = onnx.probabilities(TEXTS, batch_size=4)
    # int8 moves probabilities a little; a wrong column order would move them a lot.
    assert np.abs(got - fp32).max() < 0.2
    assert (got.argmax(axis=1) == fp32.argmax(axis=1)).all()


def test_checkpoint_missing_an_intent_is_refused(tmp_path: Path) -> None:
    labels = [*INTENTS[:6], "spam"]
    path = build_tiny_model(tmp_path / "missing", labels=labels)
    with pytest.raises(CheckpointLabelError, match="price_shopper"):
        Classifier.load(str(path))


def test_temperature_changes_confidence_but_not_the_label(tiny_model_dir: Path) -> None:
    cold = Classifier.load(str(tiny_model_dir), quantize=False, temperature=1.0).predict(TEXTS)
    warm = Classifier.load(str(tiny_model_dir), quantize=False, temperature=3.0).predict(TEXTS)
    assert [p.label for p in cold] == [p.label for p in warm]
    assert all(w.confidence < c.confidence for c, w in zip(cold, warm, strict=True))


def test_training_two_steps_saves_a_loadable_model_with_metadata(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    examples = [
        Example(f"message {i} {intent.replace('_', ' ')}", intent, "sms", "casual")
        for i in range(5)
        for intent in INTENTS
    ][:32]
    messages: list[tuple[float, str]] = []
    config = TrainConfig(base_model=str(tiny_model_dir), max_steps=2, batch_size=16, seed=1)

    result = train_model(
        examples,
        config=config,
        out_dir=tmp_path / "trained",
        eval_examples=examples[:14],
        progress=lambda fraction, message: messages.append((fraction, message)),
    )

    assert result.steps == 2
    assert result.metrics["n"] == 14
    meta = json.loads((result.out_dir / META_FILENAME).read_text())
    assert meta["labels"] == list(INTENTS)
    assert meta["steps"] == 2
    assert meta["train_examples"] == 32
    assert len(meta["data_sha256"]) == 64
    assert meta["hyperparameters"]["learning_rate"] == config.learning_rate
    assert "accuracy" in meta["metrics"]
    fractions = [f for f, _ in messages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("eta" in m for _, m in messages)
    loaded = Classifier.load(str(result.out_dir))
    assert loaded.meta["data_sha256"] == meta["data_sha256"]
    assert loaded.predict(["need to cancel tmrw"])[0].label in INTENTS
    # Training also exports int8 ONNX, which then serves by default.
    assert meta["onnx_int8"] == ONNX_INT8_FILENAME
    assert (result.out_dir / ONNX_INT8_FILENAME).is_file()
    assert loaded.backend == "onnx-int8"
    assert Classifier.load(str(result.out_dir), backend="torch").backend == "torch-int8"
    assert Classifier.load(str(result.out_dir), quantize=False).backend == "torch-fp32"


def test_training_is_reproducible_with_the_same_seed(tiny_model_dir: Path, tmp_path: Path) -> None:
    examples = [
        Example(f"text {i} {intent}", intent, "chat", "casual")
        for i, intent in enumerate(INTENTS * 3)
    ]
    config = TrainConfig(
        base_model=str(tiny_model_dir), max_steps=3, batch_size=8, seed=5, export_onnx=False
    )
    outputs = []
    for name in ("a", "b"):
        result = train_model(
            examples, config=config, out_dir=tmp_path / name, progress=lambda f, m: None
        )
        outputs.append(Classifier.load(str(result.out_dir), quantize=False).logits(TEXTS))
    np.testing.assert_array_equal(outputs[0], outputs[1])


def test_presets_exist() -> None:
    assert preset("bootstrap").n_train < preset("full").n_train
    with pytest.raises(ValueError):
        preset("huge")


def test_evaluate_on_a_hand_made_example() -> None:
    y_true = ["complaint", "complaint", "billing_inquiry", "billing_inquiry"]
    y_pred = ["complaint", "billing_inquiry", "billing_inquiry", "billing_inquiry"]
    probs = np.zeros((4, len(INTENTS)))
    c, b = INTENTS.index("complaint"), INTENTS.index("billing_inquiry")
    probs[0, c], probs[0, b] = 0.9, 0.1
    probs[1, b], probs[1, c] = 0.6, 0.4
    probs[2, b], probs[2, c] = 0.8, 0.2
    probs[3, b], probs[3, c] = 0.8, 0.2

    result = evaluate(y_true, y_pred, probs)

    assert result["accuracy"] == 0.75
    # complaint: P 1, R 0.5 -> F1 2/3; billing: P 2/3, R 1 -> F1 0.8
    assert result["per_class_f1"] == {"billing_inquiry": 0.8, "complaint": 0.666667}
    assert result["macro_f1"] == pytest.approx((0.8 + 2 / 3) / 2, abs=1e-6)
    assert result["recall"] == {"billing_inquiry": 1.0, "complaint": 0.5}
    assert result["confusion"]["rows"] == ["billing_inquiry", "complaint"]
    assert result["confusion"]["matrix"][1][b] == 1
    # ECE: bins (0.8]: conf 0.8 acc 1 (2 msgs); (0.6]: conf 0.6 acc 0; (0.9]: conf 0.9 acc 1
    assert result["ece"] == pytest.approx((2 * 0.2 + 0.6 + 0.1) / 4, abs=1e-6)
    assert sum(bin_["count"] for bin_ in result["reliability"]) == 4
    assert len(result["reliability"]) == 15
    # complaint and billing both go to different destinations: one wrong destination in four.
    assert result["wrong_destination_rate"] == 0.25


def test_evaluate_refuses_unknown_labels() -> None:
    with pytest.raises(ValueError):
        evaluate(["complaint"], ["spam"], None)


def test_fitted_temperature_recovers_the_generating_one() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=4.0, size=(4000, len(INTENTS)))
    scaled = logits / 2.0
    probs = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    labels = [int(rng.choice(len(INTENTS), p=row)) for row in probs]
    assert fit_temperature(logits, labels) == pytest.approx(2.0, rel=0.1)


def test_suggested_thresholds_meet_the_target_precision() -> None:
    b = INTENTS.index("billing_inquiry")
    c = INTENTS.index("complaint")
    confidences = [0.99, 0.95, 0.9, 0.8, 0.7]
    right = [True, True, True, False, True]
    probs = np.zeros((5, len(INTENTS)))
    labels = []
    for i, (conf, ok) in enumerate(zip(confidences, right, strict=True)):
        probs[i, b] = conf
        probs[i, c] = 1 - conf
        labels.append(b if ok else c)

    thresholds = suggest_thresholds(probs, labels, target_precision=0.75, default=0.5)

    # Precision from the top: 1, 1, 1, 0.75, 0.8 -> every prediction may be routed.
    assert thresholds["billing_inquiry"] == 0.7
    assert suggest_thresholds(probs, labels, 0.95)["billing_inquiry"] == 0.9
    assert thresholds["complaint"] == 0.5  # never predicted: the default


def test_svgs_are_well_formed_and_name_the_labels() -> None:
    result = evaluate(["complaint", "billing_inquiry"], ["complaint", "complaint"], None)
    confusion = render_confusion_svg(
        result["confusion"]["matrix"], result["confusion"]["rows"], result["confusion"]["columns"]
    )
    ET.fromstring(confusion)  # noqa: S314  (our own output)
    for intent in INTENTS:
        assert intent.replace("_", " ") in confusion
    bins = [
        {"lower": 0.8, "upper": 0.9, "count": 3, "confidence": 0.85, "accuracy": 0.66},
        {"lower": 0.9, "upper": 1.0, "count": 0, "confidence": 0.0, "accuracy": 0.0},
    ]
    reliability = render_reliability_svg(bins)
    ET.fromstring(reliability)  # noqa: S314  (our own output)
    assert "confidence" in reliability and "accuracy" in reliability


def test_tfidf_baseline_learns_an_easy_split() -> None:
    words = {
        "billing_inquiry": "bill charge statement invoice",
        "complaint": "rude waited unacceptable angry",
    }
    examples = [
        Example(f"{w} {w} number {i}", label, "email", "polished")
        for label, ws in words.items()
        for i, w in enumerate(ws.split() * 3)
    ]
    model = TfidfBaseline().fit(examples)
    predictions = model.predict(["another charge on my statement", "staff were rude"])
    assert [p.label for p in predictions] == ["billing_inquiry", "complaint"]
    assert sum(predictions[0].probabilities.values()) == pytest.approx(1.0, abs=1e-5)


def test_deberta_sized_config_matches_the_reference_architecture() -> None:
    config = deberta_v3_base_config()
    assert (config.hidden_size, config.num_hidden_layers, config.vocab_size) == (768, 12, 128100)
    assert config.position_buckets == 256
    assert sorted(config.id2label.values()) == sorted(INTENTS)


def test_measure_speed_reports_percentiles() -> None:
    figures = measure_speed(lambda texts: texts, ["a", "b"], runs=5, warmup=1, batch_size=2)
    assert figures["p50_ms"] <= figures["p95_ms"]
    assert figures["throughput_per_s"] > 0
    assert rss_mib() > 0
