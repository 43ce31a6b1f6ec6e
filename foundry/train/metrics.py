"""Evaluation metrics shared by training (metrics.json) and deployment (the offline gate).

STT: WER and CER after ``foundry.text.normalize``; code-point CER is primary, CER over extended
grapheme clusters (``grapheme`` package, Unicode UAX #29) secondary, since a Malayalam conjunct
is several code points. Classifiers: accuracy, macro-F1, per-class recall, confusion matrix.
jiwer and scikit-learn directly (``evaluate.load`` needs the network).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from foundry.text import normalize

GRAPHEME_SEGMENTER = "grapheme==0.6.0 (Unicode extended grapheme clusters, UAX #29)"
CLASSIFIERS = ("dialect", "intent", "sentiment")


def _graphemes_as_chars(refs: list[str], hyps: list[str]) -> tuple[list[str], list[str]]:
    """Map each grapheme cluster to one private-use code point so jiwer.cer counts clusters."""
    import grapheme

    table: dict[str, str] = {}

    def enc(s: str) -> str:
        out = []
        for g in grapheme.graphemes(s):
            if g not in table:
                table[g] = chr(0xF0000 + len(table))
            out.append(table[g])
        return "".join(out)

    return [enc(r) for r in refs], [enc(h) for h in hyps]


def _rate(fn: Any, refs: list[str], hyps: list[str]) -> float:
    """jiwer rate over the items with a non-empty reference (jiwer rejects empty references)."""
    pairs = [(r, h) for r, h in zip(refs, hyps, strict=True) if r.strip()]
    if not pairs:
        return float("nan")
    return float(fn([p[0] for p in pairs], [p[1] for p in pairs]))


def stt_metrics(refs: list[str], hyps: list[str]) -> dict[str, Any]:
    import jiwer

    r = [normalize(x) for x in refs]
    h = [normalize(x) for x in hyps]
    gr, gh = _graphemes_as_chars(r, h)
    return {
        "cer": round(_rate(jiwer.cer, r, h), 6),
        "wer": round(_rate(jiwer.wer, r, h), 6),
        "cer_grapheme": round(_rate(jiwer.cer, gr, gh), 6),
        "grapheme_segmenter": GRAPHEME_SEGMENTER,
        "items": len(r),
    }


def classification_metrics(
    refs: list[str], hyps: list[str], labels: list[str] | None = None
) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, recall_score

    labels = sorted(labels or set(refs) | set(hyps))
    if not refs:
        return {"items": 0, "labels": labels}
    recall = recall_score(refs, hyps, labels=labels, average=None, zero_division=0)
    cm = confusion_matrix(refs, hyps, labels=labels)
    return {
        "accuracy": round(float(accuracy_score(refs, hyps)), 6),
        "macro_f1": round(
            float(f1_score(refs, hyps, labels=labels, average="macro", zero_division=0)), 6
        ),
        "per_class_recall": {
            lab: round(float(x), 6) for lab, x in zip(labels, recall, strict=True)
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
    if engine == "stt":
        return stt_metrics(refs, hyps)
    if engine in CLASSIFIERS:
        return classification_metrics(refs, hyps, labels)
    raise ValueError(
        f"engine '{engine}' has no prediction metrics (text is scored by held-out MLM loss); "
        f"use one of stt, {', '.join(CLASSIFIERS)}"
    )


def majority_baseline(train_labels: list[str], test_labels: list[str], labels: list[str]) -> dict:
    """Always answer the most frequent training class (ties: alphabetically first)."""
    counts = Counter(train_labels)
    top = min(counts, key=lambda k: (-counts[k], k))
    out = classification_metrics(test_labels, [top] * len(test_labels), labels)
    out["predicts"] = top
    return out
