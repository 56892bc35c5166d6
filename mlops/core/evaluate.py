"""Classification metrics, calibration error and the two pictures of the benchmark page.

Pure numpy: labels are intent names, probability columns are in INTENTS order. The SVGs are
written by hand so that the benchmark page needs no plotting library and renders in any browser.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import numpy as np

from clarioscope.taxonomy import DEFAULT_DESTINATION, INTENTS

ECE_BINS = 15


def _safe_div(num: float, den: float) -> float:
    return num / den if den else 0.0


def evaluate(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    probs: np.ndarray | None = None,
    *,
    n_bins: int = ECE_BINS,
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class F1/precision/recall, confusion matrix, and ECE if probs given.

    Per-class figures and the macro-F1 cover the intents present in y_true: the real-text probe
    has four of the seven, and an intent with no true example has no recall to speak of (its
    wrong predictions still count, as misses of the true class). The confusion matrix has one row
    per present intent and one column per intent of the taxonomy, both in INTENTS order.
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    unknown = sorted({*y_true, *y_pred} - set(INTENTS))
    if unknown:
        raise ValueError(f"labels outside the taxonomy: {unknown}")
    n = len(y_true)
    index = {intent: i for i, intent in enumerate(INTENTS)}
    full = np.zeros((len(INTENTS), len(INTENTS)), dtype=np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        full[index[t], index[p]] += 1
    present = [intent for intent in INTENTS if full[index[intent]].sum() > 0]

    per_class_f1: dict[str, float] = {}
    precision: dict[str, float] = {}
    recall: dict[str, float] = {}
    support: dict[str, int] = {}
    for intent in present:
        i = index[intent]
        tp = float(full[i, i])
        predicted = float(full[:, i].sum())
        actual = float(full[i].sum())
        prec = _safe_div(tp, predicted)
        rec = _safe_div(tp, actual)
        precision[intent] = round(prec, 6)
        recall[intent] = round(rec, 6)
        per_class_f1[intent] = round(_safe_div(2 * prec * rec, prec + rec), 6)
        support[intent] = int(actual)

    correct = int(np.trace(full))
    wrong_destination = sum(
        DEFAULT_DESTINATION[t] != DEFAULT_DESTINATION[p]
        for t, p in zip(y_true, y_pred, strict=True)
    )
    result: dict[str, Any] = {
        "n": n,
        "accuracy": round(_safe_div(correct, n), 6),
        "macro_f1": round(float(np.mean(list(per_class_f1.values()))) if present else 0.0, 6),
        "per_class_f1": per_class_f1,
        "precision": precision,
        "recall": recall,
        "support": support,
        "wrong_destination_rate": round(_safe_div(wrong_destination, n), 6),
        "confusion": {
            "rows": present,
            "columns": list(INTENTS),
            "matrix": [full[index[intent]].tolist() for intent in present],
        },
    }
    if probs is not None:
        probs = np.asarray(probs, dtype=np.float64)
        if probs.shape != (n, len(INTENTS)):
            raise ValueError(f"probs must have shape ({n}, {len(INTENTS)}), got {probs.shape}")
        true_idx = np.array([index[t] for t in y_true], dtype=np.int64)
        result.update(calibration_metrics(probs, true_idx, n_bins=n_bins))
    return result


def calibration_metrics(
    probs: np.ndarray, true_idx: np.ndarray, *, n_bins: int = ECE_BINS
) -> dict[str, Any]:
    """ECE over equal-width confidence bins, the bins themselves, NLL and Brier score."""
    n = len(true_idx)
    if n == 0:
        return {"ece": 0.0, "nll": 0.0, "brier": 0.0, "reliability": []}
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == true_idx).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # Bin i holds confidences in (edges[i], edges[i+1]]; a confidence of exactly 0 joins bin 0.
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)
    bins: list[dict[str, float | int]] = []
    ece = 0.0
    for b in range(n_bins):
        mask = which == b
        count = int(mask.sum())
        conf = float(confidence[mask].mean()) if count else 0.0
        acc = float(correct[mask].mean()) if count else 0.0
        ece += count / n * abs(acc - conf)
        bins.append(
            {
                "lower": round(float(edges[b]), 6),
                "upper": round(float(edges[b + 1]), 6),
                "count": count,
                "confidence": round(conf, 6),
                "accuracy": round(acc, 6),
            }
        )
    picked = np.clip(probs[np.arange(n), true_idx], 1e-12, 1.0)
    onehot = np.zeros_like(probs)
    onehot[np.arange(n), true_idx] = 1.0
    return {
        "ece": round(ece, 6),
        "nll": round(float(-np.log(picked).mean()), 6),
        "brier": round(float(((probs - onehot) ** 2).sum(axis=1).mean()), 6),
        "reliability": bins,
    }


def _short(label: str) -> str:
    return label.replace("_", " ")


def render_confusion_svg(
    matrix: Sequence[Sequence[int]],
    labels: Sequence[str],
    columns: Sequence[str] | None = None,
    *,
    title: str = "Confusion matrix (rows: true, columns: predicted)",
) -> str:
    """A heat map of counts, shaded by share of the true row (so small classes stay visible)."""
    columns = list(columns) if columns is not None else list(labels)
    rows = len(labels)
    cols = len(columns)
    cell = 46
    left = 190
    top = 150
    width = left + cols * cell + 130  # room for the last slanted column label
    height = top + rows * cell + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
    ]
    for c, name in enumerate(columns):
        x = left + c * cell + cell / 2
        parts.append(
            f'<text x="{x:.0f}" y="{top - 8}" transform="rotate(-45 {x:.0f} {top - 8})" '
            f'text-anchor="start">{escape(_short(name))}</text>'
        )
    for r, name in enumerate(labels):
        row = [int(v) for v in matrix[r]]
        total = sum(row)
        y = top + r * cell
        parts.append(
            f'<text x="{left - 8}" y="{y + cell / 2 + 4:.0f}" text-anchor="end">'
            f"{escape(_short(name))}</text>"
        )
        for c, count in enumerate(row):
            share = _safe_div(count, total)
            diagonal = c < cols and r < rows and columns[c] == name
            # Blue on the diagonal (right), red off it (wrong), white for zero.
            hue = "33,102,172" if diagonal else "178,24,43"
            parts.append(
                f'<rect x="{left + c * cell}" y="{y}" width="{cell}" height="{cell}" '
                f'fill="rgba({hue},{0.08 + 0.92 * share:.3f})" stroke="#ddd">'
                f"<title>{escape(name)} -> {escape(columns[c])}: {count}</title></rect>"
            )
            if count:
                ink = "#fff" if share > 0.5 else "#111"
                parts.append(
                    f'<text x="{left + c * cell + cell / 2:.0f}" y="{y + cell / 2 + 4:.0f}" '
                    f'text-anchor="middle" fill="{ink}">{count}</text>'
                )
    parts.append("</svg>")
    return "\n".join(parts)


def render_reliability_svg(
    bins: Sequence[dict[str, Any]], *, title: str = "Reliability diagram"
) -> str:
    """Accuracy against confidence per bin, the diagonal of perfect calibration, and bin counts."""
    size = 300
    left, top, pad = 50, 30, 40
    width = left + size + 20
    height = top + size + pad + 10

    def sx(v: float) -> float:
        return left + v * size

    def sy(v: float) -> float:
        return top + (1.0 - v) * size

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        f'<text x="{left}" y="{top - 12}" font-size="13">{escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{size}" height="{size}" fill="none" stroke="#999"/>',
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<text x="{sx(tick):.0f}" y="{top + size + 15}" text-anchor="middle">{tick:g}</text>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{sy(tick) + 4:.0f}" text-anchor="end">{tick:g}</text>'
        )
    parts.append(
        f'<text x="{left + size / 2:.0f}" y="{top + size + 32}" text-anchor="middle">'
        "confidence</text>"
    )
    parts.append(
        f'<text x="14" y="{top + size / 2:.0f}" transform="rotate(-90 14 {top + size / 2:.0f})" '
        'text-anchor="middle">accuracy</text>'
    )
    total = sum(int(b.get("count", 0)) for b in bins) or 1
    for b in bins:
        count = int(b.get("count", 0))
        if not count:
            continue
        lo, hi = float(b["lower"]), float(b["upper"])
        acc, conf = float(b["accuracy"]), float(b["confidence"])
        x = sx(lo) + 1
        w = max(sx(hi) - sx(lo) - 2, 1)
        parts.append(
            f'<rect x="{x:.1f}" y="{sy(acc):.1f}" width="{w:.1f}" height="{sy(0) - sy(acc):.1f}" '
            f'fill="rgba(33,102,172,{0.35 + 0.65 * count / total:.3f})">'
            f"<title>confidence {lo:.2f}-{hi:.2f}: {count} messages, accuracy {acc:.3f}, "
            f"mean confidence {conf:.3f}</title></rect>"
        )
        # The gap to the diagonal is the bin's calibration error.
        parts.append(
            f'<line x1="{x:.1f}" y1="{sy(conf):.1f}" x2="{x + w:.1f}" y2="{sy(conf):.1f}" '
            'stroke="#b2182b" stroke-width="2"/>'
        )
    parts.append(
        f'<line x1="{sx(0)}" y1="{sy(0)}" x2="{sx(1)}" y2="{sy(1)}" stroke="#555" '
        'stroke-dasharray="4 3"/>'
    )
    parts.append("</svg>")
    return "\n".join(parts)
