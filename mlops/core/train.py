"""Full fine-tuning of any Hugging Face checkpoint into a 7-intent classifier, on CPU.

A plain torch loop rather than the HF Trainer: it is as fast here (ENVIRONMENT.md), and owning the
loop gives length-bucketed batches, an exact progress callback for the admin page, and no hidden
state. Everything is seeded; the same data and config give the same model on the same machine.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

from clarioscope.taxonomy import INTENTS
from mlops.core.base import default_base_checkpoint, ensure_offline, quiet_transformers
from mlops.core.data import Example, dataset_sha256
from mlops.core.evaluate import evaluate

ensure_offline()

import torch  # noqa: E402
import transformers  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402
from transformers import (  # noqa: E402
    AutoConfig,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    PreTrainedModel,
    get_cosine_schedule_with_warmup,
    get_linear_schedule_with_warmup,
)

from mlops.core.inference import META_FILENAME, Classifier  # noqa: E402
from mlops.core.onnx_export import export_onnx_int8  # noqa: E402

Progress = Callable[[float, str], None]

# Length buckets are sorted within mega-batches of this many batches: enough to make padding
# small, few enough that every stretch of training still sees a mix of intents and channels.
MEGA_BATCH = 50
# Share of the progress bar given to the optimisation steps; evaluation and saving take the rest.
TRAIN_SHARE = 0.95


@dataclass(frozen=True)
class TrainConfig:
    base_model: str = field(default_factory=default_base_checkpoint)
    epochs: float = 3.0
    batch_size: int = 32
    learning_rate: float = 1e-4
    max_length: int = 96
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    seed: int = 0
    max_steps: int | None = None
    schedule: Literal["linear", "cosine"] = "linear"
    label_smoothing: float = 0.0
    max_grad_norm: float = 1.0
    # None: every core. Fewer when the cores are shared with serving processes: two OpenMP
    # threads competing with other busy processes can run 5x slower than one (measured here;
    # OMP_WAIT_POLICY=PASSIVE in the training worker's environment also avoids the collapse).
    num_threads: int | None = None
    # Also write model.int8.onnx for ONNX Runtime serving (about 3 s; see onnx_export).
    export_onnx: bool = True


@dataclass(frozen=True)
class TrainResult:
    out_dir: Path
    metrics: dict[str, Any]
    seconds: float
    steps: int


@dataclass(frozen=True)
class Preset:
    """A training recipe: how many synthetic examples to generate and how to train on them."""

    name: str
    n_train: int
    config: TrainConfig


def preset(name: str) -> Preset:
    """`full`: the regular retrain. `bootstrap`: the first model `make run` trains, in minutes."""
    if name == "full":
        return Preset(name, 9000, TrainConfig(epochs=2.0, learning_rate=1e-4, max_length=96))
    if name == "bootstrap":
        return Preset(name, 4000, TrainConfig(epochs=2.0, learning_rate=1e-4, max_length=64))
    raise ValueError(f"unknown preset {name!r}; expected 'full' or 'bootstrap'")


PRESETS = ("full", "bootstrap")


def _bucketed_batches(
    lengths: Sequence[int], batch_size: int, rng: np.random.Generator
) -> list[list[int]]:
    """Shuffled batches of indices whose members have similar token lengths."""
    order = rng.permutation(len(lengths))
    batches: list[list[int]] = []
    mega = batch_size * MEGA_BATCH
    for start in range(0, len(order), mega):
        chunk = sorted(order[start : start + mega].tolist(), key=lambda i: lengths[i])
        batches.extend(chunk[j : j + batch_size] for j in range(0, len(chunk), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def _batches_per_epoch(n: int, batch_size: int) -> int:
    mega = batch_size * MEGA_BATCH
    full_chunks, rest = divmod(n, mega)
    return full_chunks * math.ceil(mega / batch_size) + math.ceil(rest / batch_size)


def _collate(rows: Sequence[torch.Tensor], pad_id: int) -> dict[str, torch.Tensor]:
    width = max(len(r) for r in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        input_ids[i, : len(row)] = row
        attention[i, : len(row)] = 1
    return {"input_ids": input_ids, "attention_mask": attention}


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _has_intent_head(base_model: str) -> bool:
    """True when the base is already a 7-intent model (continued training keeps its head)."""
    config = AutoConfig.from_pretrained(base_model)
    names = {str(v) for v in (getattr(config, "id2label", None) or {}).values()}
    return names == set(INTENTS)


def load_for_training(base_model: str) -> tuple[PreTrainedModel, Any]:
    """Model with a 7-intent head (fresh unless the base already has one) and its tokenizer."""
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(base_model)
        if _has_intent_head(base_model):
            model = AutoModelForSequenceClassification.from_pretrained(base_model)
        else:
            model = AutoModelForSequenceClassification.from_pretrained(
                base_model,
                num_labels=len(INTENTS),
                id2label=dict(enumerate(INTENTS)),
                label2id={intent: i for i, intent in enumerate(INTENTS)},
                ignore_mismatched_sizes=True,
            )
    return model, tokenizer


def _optimizer(model: torch.nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        # Standard practice: no weight decay on biases and normalisation weights.
        if param.ndim < 2 or "norm" in name.lower():
            no_decay.append(param)
        else:
            decay.append(param)
    return torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": config.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=config.learning_rate,
    )


def _format_eta(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s"


class _Reporter:
    """Sends progress to the callback, or to a tqdm bar with ETA when there is no callback."""

    def __init__(self, total_steps: int, progress: Progress | None) -> None:
        self._callback = progress
        self._total = total_steps
        self._start = time.perf_counter()
        self._bar = (
            tqdm(total=total_steps, unit="step", desc="training", dynamic_ncols=True)
            if progress is None
            else None
        )

    def step(self, step: int, epoch: float, loss: float) -> None:
        elapsed = time.perf_counter() - self._start
        rate = step / elapsed if elapsed > 0 else 0.0
        eta = (self._total - step) / rate if rate > 0 else 0.0
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(loss=f"{loss:.3f}", epoch=f"{epoch:.2f}", refresh=False)
        elif self._callback is not None:
            self._callback(
                TRAIN_SHARE * step / self._total,
                f"step {step}/{self._total}, epoch {epoch:.2f}, loss {loss:.3f}, "
                f"{rate:.2f} steps/s, eta {_format_eta(eta)}",
            )

    def note(self, fraction: float, message: str) -> None:
        if self._bar is not None:
            self._bar.set_description(message)
        elif self._callback is not None:
            self._callback(fraction, message)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _steps(
    lengths: Sequence[int], batch_size: int, seed: int, total: int
) -> Iterator[tuple[float, list[int]]]:
    """(epoch position, batch) pairs until `total` steps; each epoch reshuffles, seeded."""
    per_epoch = _batches_per_epoch(len(lengths), batch_size)
    done = 0
    epoch = 0
    while done < total:
        rng = np.random.default_rng([seed, epoch])
        for i, batch in enumerate(_bucketed_batches(lengths, batch_size, rng)):
            if done >= total:
                return
            done += 1
            yield epoch + (i + 1) / per_epoch, batch
        epoch += 1


def train_model(
    train: Sequence[Example],
    *,
    config: TrainConfig,
    out_dir: Path,
    eval_examples: Sequence[Example] | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Fine-tune `config.base_model` on `train`, save it to `out_dir` and return its metrics.

    `clarioscope_meta.json` is written last: a directory without it is an interrupted run.
    """
    if not train:
        raise ValueError("no training examples")
    unknown = sorted({ex.label for ex in train} - set(INTENTS))
    if unknown:
        raise ValueError(f"training labels outside the taxonomy: {unknown}")
    out_dir = Path(out_dir)
    threads_before = torch.get_num_threads()
    torch.set_num_threads(config.num_threads or os.cpu_count() or 1)
    try:
        return _train(train, config, out_dir, eval_examples, progress)
    finally:
        torch.set_num_threads(threads_before)


def _train(
    train: Sequence[Example],
    config: TrainConfig,
    out_dir: Path,
    eval_examples: Sequence[Example] | None,
    progress: Progress | None,
) -> TrainResult:
    started = time.perf_counter()
    _seed_everything(config.seed)
    model, tokenizer = load_for_training(config.base_model)
    id2label = dict(model.config.id2label or {})
    label2id = {str(name): int(i) for i, name in id2label.items()}

    texts = [ex.text for ex in train]
    encoded = tokenizer(texts, truncation=True, max_length=config.max_length)["input_ids"]
    rows = [torch.tensor(ids, dtype=torch.long) for ids in encoded]
    lengths = [len(ids) for ids in encoded]
    targets = torch.tensor([label2id[ex.label] for ex in train], dtype=torch.long)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    per_epoch = _batches_per_epoch(len(train), config.batch_size)
    total = config.max_steps or max(1, math.ceil(config.epochs * per_epoch))
    optimizer = _optimizer(model, config)
    warmup = round(config.warmup_ratio * total)
    make_schedule = (
        get_cosine_schedule_with_warmup
        if config.schedule == "cosine"
        else get_linear_schedule_with_warmup
    )
    scheduler = make_schedule(optimizer, num_warmup_steps=warmup, num_training_steps=total)

    reporter = _Reporter(total, progress)
    model.train()
    loss_ema: float | None = None
    step = 0
    train_started = time.perf_counter()
    try:
        for epoch_pos, batch in _steps(lengths, config.batch_size, config.seed, total):
            inputs = _collate([rows[i] for i in batch], pad_id)
            logits = model(**inputs).logits
            loss = F.cross_entropy(logits, targets[batch], label_smoothing=config.label_smoothing)
            loss.backward()
            if config.max_grad_norm > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            value = float(loss.detach())
            loss_ema = value if loss_ema is None else 0.95 * loss_ema + 0.05 * value
            reporter.step(step, epoch_pos, loss_ema)
        train_seconds = time.perf_counter() - train_started

        model.eval()
        metrics: dict[str, Any] = {}
        if eval_examples:
            reporter.note(TRAIN_SHARE, f"evaluating on {len(eval_examples)} examples")
            metrics = evaluate_examples(
                Classifier.from_model(model, tokenizer, max_length=config.max_length),
                eval_examples,
            )
        reporter.note(0.98, "saving")
        out_dir.mkdir(parents=True, exist_ok=True)
        with quiet_transformers():
            model.save_pretrained(out_dir)
            tokenizer.save_pretrained(out_dir)
        onnx_file, onnx_error = None, ""
        if config.export_onnx:
            reporter.note(0.99, "exporting int8 ONNX")
            try:
                onnx_file = export_onnx_int8(out_dir, model=model, tokenizer=tokenizer).name
            except Exception as exc:
                # Not every architecture exports; the checkpoint still serves with torch int8.
                onnx_error = f"{type(exc).__name__}: {exc}"[:500]
        seconds = time.perf_counter() - started
        meta = {
            "format": 1,
            "labels": list(INTENTS),
            "base_model": config.base_model,
            "data_sha256": dataset_sha256(list(train)),
            "train_examples": len(train),
            "eval_examples": len(eval_examples or ()),
            "hyperparameters": asdict(config),
            "steps": step,
            "train_seconds": round(train_seconds, 2),
            "total_seconds": round(seconds, 2),
            "steps_per_second": round(step / train_seconds, 4) if train_seconds else 0.0,
            "final_train_loss": round(loss_ema or 0.0, 6),
            "torch_threads": torch.get_num_threads(),
            "onnx_int8": onnx_file,
            "onnx_error": onnx_error,
            "metrics": metrics,
            "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        (out_dir / META_FILENAME).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        reporter.note(1.0, f"saved after {step} steps in {_format_eta(seconds)}")
    finally:
        reporter.close()
    return TrainResult(out_dir=out_dir, metrics=metrics, seconds=round(seconds, 2), steps=step)


def evaluate_examples(
    classifier: Classifier, examples: Sequence[Example], *, batch_size: int = 64
) -> dict[str, Any]:
    """evaluate() on labelled examples with the classifier's calibrated probabilities."""
    probs = classifier.probabilities([ex.text for ex in examples], batch_size=batch_size)
    predicted = [INTENTS[i] for i in probs.argmax(axis=1)]
    return evaluate([ex.label for ex in examples], predicted, probs)
