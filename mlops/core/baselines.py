"""Baselines measured beside our model in every benchmark run.

- TF-IDF + logistic regression: the cheapest honest model; if the transformer cannot beat it by a
  clear margin, the transformer is not earning its cost.
- A DeBERTa-v3-base-sized model with random weights: the reference model's architecture and size,
  so that the speed ratio to the reference is measured on this machine, not quoted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from clarioscope.taxonomy import INTENTS
from mlops.core.base import default_base_checkpoint, ensure_offline, quiet_transformers
from mlops.core.data import Example
from mlops.core.inference import Prediction

ensure_offline()

import torch  # noqa: E402
from transformers import (  # noqa: E402
    AutoTokenizer,
    DebertaV2Config,
    DebertaV2ForSequenceClassification,
)


class TfidfBaseline:
    """Word 1-2-grams plus character 2-5-grams (robust to typos), logistic regression."""

    def __init__(self, *, c: float = 10.0, seed: int = 0) -> None:
        self._pipeline = Pipeline(
            [
                (
                    "features",
                    FeatureUnion(
                        [
                            (
                                "words",
                                TfidfVectorizer(
                                    ngram_range=(1, 2), sublinear_tf=True, min_df=2, lowercase=True
                                ),
                            ),
                            (
                                "chars",
                                TfidfVectorizer(
                                    analyzer="char_wb",
                                    ngram_range=(2, 5),
                                    sublinear_tf=True,
                                    min_df=2,
                                    max_features=200_000,
                                ),
                            ),
                        ]
                    ),
                ),
                ("clf", LogisticRegression(C=c, max_iter=2000, random_state=seed)),
            ]
        )
        self.version = "tfidf-logreg"
        self.labels: tuple[str, ...] = INTENTS

    def fit(self, examples: Sequence[Example]) -> TfidfBaseline:
        self._pipeline.fit([ex.text for ex in examples], [ex.label for ex in examples])
        return self

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities in INTENTS order (an intent absent from training gets 0)."""
        raw = self._pipeline.predict_proba(list(texts))
        out = np.zeros((len(texts), len(INTENTS)), dtype=np.float64)
        for j, cls in enumerate(self._pipeline.classes_):
            out[:, INTENTS.index(str(cls))] = raw[:, j]
        return out

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        predictions = []
        for row in self.probabilities(texts):
            best = int(row.argmax())
            predictions.append(
                Prediction(
                    label=INTENTS[best],
                    confidence=round(float(row[best]), 6),
                    probabilities={
                        intent: round(float(p), 6) for intent, p in zip(INTENTS, row, strict=True)
                    },
                )
            )
        return predictions


def deberta_v3_base_config() -> DebertaV2Config:
    """microsoft/deberta-v3-base's architecture (184M parameters with its 128k vocabulary)."""
    # position_buckets, norm_rel_ebd and share_att_key are read by the model from **kwargs;
    # they are not declared parameters of DebertaV2Config, hence the untyped dict.
    options: dict[str, Any] = dict(
        vocab_size=128100,
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
        hidden_act="gelu",
        max_position_embeddings=512,
        type_vocab_size=0,
        relative_attention=True,
        max_relative_positions=-1,
        position_buckets=256,
        norm_rel_ebd="layer_norm",
        share_att_key=True,
        pos_att_type=["p2c", "c2p"],
        position_biased_input=False,
        layer_norm_eps=1e-7,
        pad_token_id=0,
        id2label=dict(enumerate(INTENTS)),
        label2id={intent: i for i, intent in enumerate(INTENTS)},
    )
    return DebertaV2Config(**options)


def build_deberta_sized(out_dir: Path, *, seed: int = 0) -> Path:
    """Save a random-weight DeBERTa-v3-base-sized classifier with the MiniLM tokenizer.

    No DeBERTa-v3 weights or tokenizer exist offline. The compute cost of a forward pass depends
    on the architecture and the number of tokens, not on the weights or which ids are fed, so this
    times the reference honestly; its answers mean nothing and are never scored.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    model = DebertaV2ForSequenceClassification(deberta_v3_base_config())
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(default_base_checkpoint())
        model.save_pretrained(out_dir)
        tokenizer.save_pretrained(out_dir)
    return out_dir
