"""Evaluation metrics shared by training (metrics.json) and deployment (the offline gate).

The one metrics module: training (metrics.json), the offline gate (point metrics and its paired
bootstrap), the shadow report and the HTML report all read these definitions.
STT: WER and CER after ``foundry.text.normalize``; code-point CER is primary, CER over extended
grapheme clusters (``foundry.text.grapheme_clusters``: UAX #29 with the Unicode 15.1 conjunct rule,
the one counter the speaking-rate gate uses too) secondary, since a Malayalam conjunct
is several code points. Classifiers: accuracy, macro-F1 over the classes present in the
references, per-class recall, confusion matrix (``evaluate.load`` needs the network).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from foundry import engines
from foundry.text import grapheme_clusters, malayalam_ratio, normalize

GRAPHEME_SEGMENTER = "foundry.text.grapheme_clusters (UAX #29 with Unicode 15.1 conjuncts)"


def edit_distance(a: list[str] | str, b: list[str] | str) -> int:
    """Levenshtein distance (insert/delete/substitute all cost 1), over characters or words."""
    from rapidfuzz.distance import Levenshtein

    return int(Levenshtein.distance(a, b))


def _graphemes(s: str) -> list[str]:
    return grapheme_clusters(s)


def stt_counts(refs: list[str], hyps: list[str]) -> dict[str, np.ndarray]:
    """Per-item edit counts after normalization, aligned with ``refs``.

    The one definition of CER/WER (training, the offline gate's bootstrap, the shadow report):
    an item with an empty reference counts nothing (0 edits of 0 characters).
    """
    r = [normalize(x) for x in refs]
    h = [normalize(x) for x in hyps]
    keep = np.array([bool(x.strip()) for x in r], dtype=np.float64)

    def per_item(fn: Any) -> np.ndarray:
        return np.array([fn(a, b) for a, b in zip(r, h, strict=True)], dtype=np.float64) * keep

    return {
        "char_edits": per_item(edit_distance),
        "chars": np.array([len(x) for x in r], dtype=np.float64) * keep,
        "word_edits": per_item(lambda a, b: edit_distance(a.split(), b.split())),
        "words": np.array([len(x.split()) for x in r], dtype=np.float64) * keep,
        "grapheme_edits": per_item(lambda a, b: edit_distance(_graphemes(a), _graphemes(b))),
        "graphemes": np.array([len(_graphemes(x)) for x in r], dtype=np.float64) * keep,
    }


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else float("nan")


def stt_metrics(refs: list[str], hyps: list[str]) -> dict[str, Any]:
    """Corpus CER (code points, primary), WER and grapheme CER as fractions."""
    c = stt_counts(refs, hyps)
    return {
        "cer": round(_ratio(c["char_edits"].sum(), c["chars"].sum()), 6),
        "wer": round(_ratio(c["word_edits"].sum(), c["words"].sum()), 6),
        "cer_grapheme": round(_ratio(c["grapheme_edits"].sum(), c["graphemes"].sum()), 6),
        "grapheme_segmenter": GRAPHEME_SEGMENTER,
        # share of the output's letters and marks in the Malayalam block (wrong-script output)
        "script_fidelity": round(malayalam_ratio("".join(hyps)), 6),
        "items": len(refs),
    }


def onehot(values: list[str], labels: list[str]) -> np.ndarray:
    """(items, labels + 1) indicator matrix; the last column holds labels outside ``labels``."""
    index = {lab: i for i, lab in enumerate(labels)}
    out = np.zeros((len(values), len(labels) + 1), dtype=np.float64)
    for i, v in enumerate(values):
        out[i, index.get(v, len(labels))] = 1.0
    return out


def macro_f1(w: np.ndarray, y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Macro-F1 per row of item weights ``w``, over the classes present in that row's references.

    The one definition: rows of bootstrap counts in the gate, a row of ones everywhere else.
    """
    k = y.shape[1] - 1
    tp = w @ (y * p)[:, :k]
    support = w @ y[:, :k]
    predicted = w @ p[:, :k]
    denom = support + predicted
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    present = support > 0
    return (f1 * present).sum(axis=1) / np.maximum(present.sum(axis=1), 1)


def classification_metrics(
    refs: list[str], hyps: list[str], labels: list[str] | None = None
) -> dict[str, Any]:
    """Accuracy, macro-F1 (classes present in the references), per-class recall, confusion."""
    labels = sorted(set(labels or []) | set(refs) | set(hyps))
    if not refs:
        return {"items": 0, "labels": labels}
    y, p = onehot(refs, labels), onehot(hyps, labels)
    ones = np.ones((1, len(refs)))
    support = (ones @ y)[0, :-1]
    tp = (ones @ (y * p))[0, :-1]
    cm = (y[:, :-1].T @ p[:, :-1]).astype(int)
    return {
        "accuracy": round(float(np.mean([r == h for r, h in zip(refs, hyps, strict=True)])), 6),
        "macro_f1": round(float(macro_f1(ones, y, p)[0]), 6),
        "per_class_recall": {
            lab: round(float(tp[i] / support[i]), 6) if support[i] > 0 else 0.0
            for i, lab in enumerate(labels)
        },
        "confusion_matrix": {"labels": labels, "rows_true_cols_pred": cm.tolist()},
        "items": len(refs),
    }


def evaluate_predictions(
    engine: str, refs: list[str], hyps: list[str], labels: list[str] | None = None
) -> dict[str, Any]:
    """The metrics of metrics.json: cer/wer for stt, accuracy/macro_f1/... for classifiers."""
    if len(refs) != len(hyps):
        raise ValueError(f"engine '{engine}': {len(refs)} references but {len(hyps)} predictions")
    if engines.get(engine).transcribes:
        return stt_metrics(refs, hyps)
    if engines.get(engine).classifier:
        return classification_metrics(refs, hyps, labels)
    raise ValueError(
        f"engine '{engine}' has no prediction metrics (text is scored by held-out MLM loss); "
        f"use one of {engines.TRANSCRIBER}, {', '.join(engines.CLASSIFIERS)}"
    )


def majority_baseline(train_labels: list[str], test_labels: list[str], labels: list[str]) -> dict:
    """Always answer the most frequent training class (ties: alphabetically first)."""
    counts = Counter(train_labels)
    top = min(counts, key=lambda k: (-counts[k], k))
    out = classification_metrics(test_labels, [top] * len(test_labels), labels)
    out["predicts"] = top
    return out
