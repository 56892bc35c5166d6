"""Temperature scaling and per-intent review thresholds.

Both are fitted on labelled messages the model did not train on: reviewers' calibration labels
once there are some, held-out synthetic messages before that.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize_scalar

from clarioscope.taxonomy import DEFAULT_REVIEW_THRESHOLD, INTENTS

# Temperatures outside this range mean the fit went wrong (or the data is tiny), not a real model.
MIN_TEMPERATURE = 0.05
MAX_TEMPERATURE = 20.0


def _nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(scaled).sum(axis=1))
    return float((log_norm - scaled[np.arange(len(labels)), labels]).mean())


def fit_temperature(logits: np.ndarray, labels: Sequence[int]) -> float:
    """The temperature T minimising the NLL of softmax(logits / T) on these labels.

    The search runs over log T (bounded Brent), so it is scale-free and needs no gradient.
    One temperature cannot change any argmax: accuracy is untouched, only confidence moves.
    """
    logits = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    if logits.ndim != 2 or len(logits) != len(y):
        raise ValueError(f"logits must be (n, k) with n == len(labels); got {logits.shape}")
    if len(y) == 0:
        return 1.0
    fit = minimize_scalar(
        lambda log_t: _nll(logits, y, float(np.exp(log_t))),
        bounds=(np.log(MIN_TEMPERATURE), np.log(MAX_TEMPERATURE)),
        method="bounded",
        options={"xatol": 1e-5},
    )
    return round(float(np.exp(fit.x)), 4)


def suggest_thresholds(
    probs: np.ndarray,
    labels: Sequence[int],
    target_precision: float = 0.95,
    *,
    default: float = DEFAULT_REVIEW_THRESHOLD,
) -> dict[str, float]:
    """Per intent, the lowest confidence above which automatic routing meets the target precision.

    Among messages predicted as the intent, sorted by confidence, the threshold is the confidence
    of the last message in the longest confident prefix whose precision is still at least the
    target; messages below it go to review. An intent whose most confident prediction is already
    wrong too often gets 1.0 (always review); an intent never predicted keeps `default`.
    """
    probs = np.asarray(probs, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    if probs.ndim != 2 or probs.shape[1] != len(INTENTS) or len(probs) != len(y):
        raise ValueError(f"probs must be (n, {len(INTENTS)}) with n == len(labels)")
    predicted = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    thresholds: dict[str, float] = {}
    for k, intent in enumerate(INTENTS):
        mask = predicted == k
        if not mask.any():
            thresholds[intent] = default
            continue
        conf = confidence[mask]
        right = (y[mask] == k).astype(np.float64)
        order = np.argsort(-conf, kind="stable")
        conf, right = conf[order], right[order]
        precision = np.cumsum(right) / np.arange(1, len(right) + 1)
        # Ties share a threshold, so only the last position of each run of equal confidences counts.
        last_of_tie = np.append(conf[1:] != conf[:-1], True)
        ok = np.flatnonzero((precision >= target_precision) & last_of_tie)
        thresholds[intent] = round(float(conf[ok[-1]]), 4) if len(ok) else 1.0
    return thresholds
