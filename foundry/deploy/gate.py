"""Offline gate: candidate vs champion on the same labelled test items, paired.

Why paired bootstrap: both models answer the *same* items, so resampling items (not models) keeps
the item difficulty shared and the confidence interval of the *difference* tight. The seed is
fixed, so the same predictions always give the same interval and the same decision.

Rules (thresholds from config ``deploy:``, settings from ``foundry.steps.deploy``):
- stt: the CI upper bound of CER(candidate) - CER(champion), in points, must not exceed
  ``max_cer_increase`` (0.5).
- classifiers: the CI lower bound of macroF1(candidate) - macroF1(champion) must not be below
  ``-max_macro_f1_drop`` (0.01), and no class's recall may drop by more than
  ``max_recall_drop`` (0.05).
- fewer than ``min_test_samples`` items is a failure, never a pass.
- no champion yet: the sample-count rule plus the optional absolute floors ``max_cer`` /
  ``min_macro_f1``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from foundry import engines
from foundry.settings import Deploy
from foundry.train import metrics


def _resample_weights(n: int, resamples: int, seed: int) -> np.ndarray:
    """(resamples, n) counts: how often each item appears in each bootstrap resample."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(resamples, n))
    w = np.zeros((resamples, n), dtype=np.float64)
    np.add.at(w, (np.repeat(np.arange(resamples), n), idx.ravel()), 1.0)
    return w


def _ci(values: np.ndarray, confidence: float) -> tuple[float, float]:
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(values, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def classifier_metrics(refs: list[str], hyps: list[str], labels: list[str]) -> dict[str, Any]:
    """Point metrics of a classifier (the training definition), with ``recall`` for the checks."""
    m = metrics.classification_metrics(refs, hyps, labels)
    m["recall"] = {lab: r for lab, r in m["per_class_recall"].items() if lab in set(refs)}
    return m


def _check(name: str, passed: bool, detail: str) -> dict[str, Any]:
    return {"name": name, "passed": bool(passed), "detail": detail}


def evaluate(
    engine: str,
    refs: list[str],
    cand_hyps: list[str],
    champ_hyps: list[str] | None,
    opts: Deploy,
    labels: list[str] | None = None,
) -> dict[str, Any]:
    """The gate's verdict as a JSON-ready dict: metrics, paired CI, named checks, pass/fail."""
    n = len(refs)
    boot, thr, kind = opts.bootstrap, opts.gate, opts.kind
    labels = sorted(set(labels or []) | set(refs))
    transcript = kind == engines.GATE_TRANSCRIPT
    checks = [
        _check(
            "min_test_samples",
            n >= opts.min_test_samples,
            f"{n} labelled test items, need at least {opts.min_test_samples}",
        )
    ]
    out: dict[str, Any] = {"engine": engine, "n": n, "kind": kind}
    if transcript:
        out["candidate_metrics"] = metrics.stt_metrics(refs, cand_hyps) if n else {}
    else:
        out["candidate_metrics"] = classifier_metrics(refs, cand_hyps, labels) if n else {}
    out["champion_metrics"], out["difference"] = None, None
    if champ_hyps is None:
        checks += _floors(transcript, out["candidate_metrics"], thr) if n else []
    elif n:
        w = _resample_weights(n, int(boot["resamples"]), int(boot["seed"]))
        versus = _stt_versus if transcript else _classifier_versus
        checks += versus(
            out, refs, cand_hyps, champ_hyps, labels, w, float(boot["confidence"]), thr
        )
    out["bootstrap"] = dict(boot)
    out["thresholds"] = dict(thr)
    out["checks"] = checks
    out["passed"] = all(c["passed"] for c in checks)
    out["reasons"] = [f"{c['name']}: {c['detail']}" for c in checks if not c["passed"]]
    return out


def _floors(transcript: bool, cm: dict[str, Any], thr: dict[str, Any]) -> list[dict[str, Any]]:
    """No champion yet: the optional absolute floors (max_cer, min_macro_f1)."""
    if transcript and thr.get("max_cer") is not None:
        return [
            _check(
                "max_cer",
                100 * cm["cer"] <= thr["max_cer"],
                f"CER {100 * cm['cer']:.2f} points, ceiling {thr['max_cer']} points",
            )
        ]
    if not transcript and thr.get("min_macro_f1") is not None:
        return [
            _check(
                "min_macro_f1",
                cm["macro_f1"] >= thr["min_macro_f1"],
                f"macro-F1 {cm['macro_f1']:.4f}, floor {thr['min_macro_f1']}",
            )
        ]
    return []


def _stt_versus(
    out: dict[str, Any],
    refs: list[str],
    cand: list[str],
    champ: list[str],
    labels: list[str],
    w: np.ndarray,
    conf: float,
    thr: dict[str, Any],
) -> list[dict[str, Any]]:
    """CER(candidate) - CER(champion) in points, paired bootstrap; WER's interval beside it."""
    out["champion_metrics"] = metrics.stt_metrics(refs, champ)
    a, b = metrics.stt_counts(refs, cand), metrics.stt_counts(refs, champ)
    diffs = 100 * (w @ a["char_edits"] - w @ b["char_edits"]) / (w @ a["chars"])
    point = 100 * (out["candidate_metrics"]["cer"] - out["champion_metrics"]["cer"])
    lo, hi = _ci(diffs, conf)
    words = w @ a["words"]
    wlo, whi = _ci(100 * (w @ a["word_edits"] - w @ b["word_edits"]) / words, conf)
    out["difference"] = {
        "metric": "cer_points(candidate - champion)",
        "point": point,
        "ci_low": lo,
        "ci_high": hi,
        "wer_points_ci": [wlo, whi],
    }
    return [
        _check(
            "cer_increase",
            hi <= thr["max_cer_increase"],
            f"CER difference {point:+.2f} points, {conf:.0%} CI [{lo:+.2f}, {hi:+.2f}]; "
            f"upper bound must be <= +{thr['max_cer_increase']}",
        )
    ]


def _classifier_versus(
    out: dict[str, Any],
    refs: list[str],
    cand: list[str],
    champ: list[str],
    labels: list[str],
    w: np.ndarray,
    conf: float,
    thr: dict[str, Any],
) -> list[dict[str, Any]]:
    """macro-F1(candidate) - macro-F1(champion), paired bootstrap, and each class's recall."""
    n = len(refs)
    out["champion_metrics"] = classifier_metrics(refs, champ, labels)
    y = metrics.onehot(refs, labels)
    pa, pb = metrics.onehot(cand, labels), metrics.onehot(champ, labels)
    diffs = metrics.macro_f1(w, y, pa) - metrics.macro_f1(w, y, pb)
    acc_diffs = (w @ ((y * pa).sum(axis=1) - (y * pb).sum(axis=1))) / n
    point = out["candidate_metrics"]["macro_f1"] - out["champion_metrics"]["macro_f1"]
    lo, hi = _ci(diffs, conf)
    out["difference"] = {
        "metric": "macro_f1(candidate - champion)",
        "point": point,
        "ci_low": lo,
        "ci_high": hi,
        "accuracy_ci": list(_ci(acc_diffs, conf)),
    }
    rc, rb = out["candidate_metrics"]["recall"], out["champion_metrics"]["recall"]
    drops = {lab: rc[lab] - rb[lab] for lab in sorted(rc)}
    out["difference"]["recall"] = drops
    worst = [f"{lab} {d:+.3f}" for lab, d in drops.items() if d < -thr["max_recall_drop"]]
    return [
        _check(
            "macro_f1_drop",
            lo >= -thr["max_macro_f1_drop"],
            f"macro-F1 difference {point:+.4f}, {conf:.0%} CI [{lo:+.4f}, {hi:+.4f}]; "
            f"lower bound must be >= -{thr['max_macro_f1_drop']}",
        ),
        _check(
            "class_recall_drop",
            not worst,
            f"recall drops beyond -{thr['max_recall_drop']}: {', '.join(worst) or 'none'}",
        ),
    ]
