"""A tiny random BERT intent model for tests: a real checkpoint directory in well under 2 seconds.

It shares the packaged MiniLM tokenizer, so everything downstream (loading, label mapping,
quantisation, batching) runs the same code path as a fine-tuned model, without any training.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from clarioscope.taxonomy import INTENTS
from mlops.core.base import default_base_checkpoint, ensure_offline, quiet_transformers

ensure_offline()

import torch  # noqa: E402
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification  # noqa: E402


def build_tiny_model(
    out_dir: Path, *, seed: int = 0, labels: Sequence[str] = INTENTS, init_range: float = 0.5
) -> Path:
    """Save a 2-layer, hidden-32 BERT with seeded random weights and the given label order.

    `labels` lets tests build checkpoints whose id2label is shuffled or incomplete. The large
    `init_range` spreads the random logits so that predictions are not all near 1/7: routing code
    then sees both confident and unsure answers.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(default_base_checkpoint())
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
        initializer_range=init_range,
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    torch.manual_seed(seed)
    model = BertForSequenceClassification(config)
    with quiet_transformers():
        model.save_pretrained(out_dir)
        tokenizer.save_pretrained(out_dir)
    return out_dir
