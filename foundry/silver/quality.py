"""Speech quality gates for silver items: the QualityReject every gate raises, and the speaking
rate (does the transcript fit the speech). The other gates have their own modules: speech
detection (``silver.vad``), long recordings (``silver.segments``), telephone bandwidth
(``silver.bandwidth``), language identification (``silver.language``).

Same contract as foundry.audio: pure functions of the samples, deterministic, and a failing item
raises QualityReject with one of QUALITY_REJECT_REASONS and a one-line detail naming the config
key. Thresholds and measured costs: docs/quality.md.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence

import numpy as np

from foundry import reasons
from foundry.errors import Reject
from foundry.text import grapheme_clusters

# Every reason this module can give, with what it means; rejects reports can list these.
QUALITY_REJECT_REASONS: dict[str, str] = reasons.meanings("quality")


class QualityReject(Reject):
    """An item failing a quality gate; ``reason`` is one of QUALITY_REJECT_REASONS."""

    REASONS = QUALITY_REJECT_REASONS
    KIND = "quality reject"


_PCM16_SCALE = 32768.0


def as_float(x: np.ndarray) -> np.ndarray:
    """1-D float32 view of mono samples; int16 PCM is scaled to [-1, 1)."""
    a = np.asarray(x)
    if a.ndim != 1:
        raise ValueError(f"expected mono 1-D samples, got shape {a.shape}")
    if a.dtype == np.int16:
        return a.astype(np.float32) * np.float32(1.0 / _PCM16_SCALE)
    if not np.issubdtype(a.dtype, np.floating):
        raise ValueError(f"expected float or int16 PCM samples, got {a.dtype}")
    return np.ascontiguousarray(a, dtype=np.float32)


# ---------------------------------------------------------------------------------------------
# Speaking rate
# ---------------------------------------------------------------------------------------------


def count_graphemes(text: str) -> int:
    """Spoken clusters: those starting with a letter or digit (spaces, punctuation excluded)."""
    return sum(unicodedata.category(g[0])[0] in "LN" for g in grapheme_clusters(text))


def graphemes_per_second(text: str, speech_seconds: float) -> float:
    """Speaking rate over VAD speech time (pauses do not dilute it); inf if no speech."""
    n = count_graphemes(text)
    if n == 0:
        return 0.0
    if not speech_seconds > 0:
        return math.inf
    return n / speech_seconds


# Absolute bounds apply even when a dataset is too small for robust statistics.
RATE_MIN = 1.0
RATE_MAX = 25.0
RATE_MIN_ITEMS = 20
# The robust spread never drops below this share of the median (near-constant TTS data).
RATE_MIN_SPREAD = 0.1


def rate_bounds(
    rates: Sequence[float],
    k: float = 3.0,
    *,
    min_rate: float = RATE_MIN,
    max_rate: float = RATE_MAX,
    min_items: int = RATE_MIN_ITEMS,
) -> tuple[float, float]:
    """Dataset bounds: median +- k * 1.4826 * MAD, inside the absolute [min_rate, max_rate].

    MAD, not mean/std, so the outliers being hunted cannot widen the bounds. With fewer than
    min_items finite rates only the absolute bounds apply.
    """
    if not min_rate < max_rate or k <= 0:
        raise ValueError(f"rate bounds need min < max and k > 0, got {min_rate}, {max_rate}, {k}")
    r = np.asarray([v for v in rates if math.isfinite(v) and v > 0], dtype=np.float64)
    if r.size < max(min_items, 1):
        return (float(min_rate), float(max_rate))
    med = float(np.median(r))
    spread = max(1.4826 * float(np.median(np.abs(r - med))), RATE_MIN_SPREAD * med)
    lo, hi = max(min_rate, med - k * spread), min(max_rate, med + k * spread)
    if lo >= hi:  # the dataset lives entirely outside the absolute bounds: those win
        return (float(min_rate), float(max_rate))
    return (lo, hi)


def check_speaking_rate(
    rate: float, bounds: tuple[float, float], source: str = "dataset robust bounds"
) -> None:
    """Reject a transcript too long or short for its speech (another clip's, or truncated)."""
    lo, hi = bounds
    if not lo <= rate <= hi:
        raise QualityReject(
            "speaking_rate",
            f"{rate:.1f} graphemes/s outside [{lo:.1f}, {hi:.1f}] ({source}; "
            "config quality.speaking_rate)",
        )


# ---------------------------------------------------------------------------------------------
# Long recordings
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Bandwidth
# ---------------------------------------------------------------------------------------------
