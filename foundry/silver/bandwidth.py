"""Is a clip telephone audio? Its effective bandwidth from a Welch spectrum (docs/quality.md):
the one narrow-band test of the pipeline (training channels, stats and the report read it)."""

from __future__ import annotations

import math

import numpy as np

from foundry.config import defaults
from foundry.silver.quality import as_float

# Relative level below which a frequency counts as empty, and the telephone-band verdict: the
# schema's quality.bandwidth defaults (what a caller outside a shard job gets).
BANDWIDTH_FLOOR_DB = float(defaults("quality", "bandwidth", "floor_db"))
NARROWBAND_HZ = float(defaults("quality", "bandwidth", "narrowband_hz"))


_REF_BAND = (300.0, 3400.0)  # the telephone band: present in any speech recording


# Welch segments the estimate averages, at most: spread evenly over the clip (all of them for a
# clip up to ~1 s). The mean spectrum of 64 segments tells a telephone band from a wide one as
# the mean of all does (tests/silver/test_quality.py, docs/quality.md), and the cost per clip
# stops growing with its length (bench/endtoend.py: the spectrum was the shard jobs' largest cost
# after decoding).
MAX_FRAMES = 64


def welch_psd(
    y: np.ndarray, sr: int, nperseg: int, max_frames: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One-sided Welch power spectral density, as ``scipy.signal.welch`` computes it with a
    periodic Hann window, 50% overlap, per-segment mean removed and density scaling.
    ``max_frames``: average that many of the segments, evenly spaced (None: all of them).

    Written in numpy because importing scipy.signal costs a shard job more CPU (~1.2 s) than
    measuring a few hundred clips; tests/silver/test_quality.py checks it against scipy.
    """
    step = nperseg - nperseg // 2
    count = (y.size - nperseg // 2) // step
    win = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(nperseg) / nperseg)
    frames = np.lib.stride_tricks.sliding_window_view(y, nperseg)[::step][:count]
    if max_frames is not None and count > max_frames:
        frames = frames[np.linspace(0, count - 1, max_frames).round().astype(np.intp)]
    frames = np.asarray(frames, dtype=np.float64)  # the selected segments only
    frames = (frames - frames.mean(axis=1, keepdims=True)) * win
    spec = np.fft.rfft(frames, n=nperseg, axis=1)
    p = (spec.real**2 + spec.imag**2) / (sr * float(np.sum(win * win)))
    if nperseg % 2:
        p[:, 1:] *= 2
    else:
        p[:, 1:-1] *= 2
    return np.fft.rfftfreq(nperseg, 1.0 / sr), p.mean(axis=0)


def effective_bandwidth_hz(
    x: np.ndarray, sr: int, floor_db: float = BANDWIDTH_FLOOR_DB, max_frames: int = MAX_FRAMES
) -> float:
    """Highest frequency whose power density is within floor_db of the 300-3400 Hz average.

    Welch PSD (Hann, ~32 ms segments, 50% overlap, at most ``max_frames`` of them). Not "where
    99% of the energy lies": speech keeps 99% of its energy below 4 kHz even on a wideband
    microphone, and 99.9% still put a quarter of the demo's wideband clips under 4.5 kHz, while
    the relative floor separates them from upsampled 8 kHz audio by more than 3 kHz
    (docs/quality.md). Returns 0.0 for silence.
    """
    y = as_float(x)
    if y.size < 2:
        return 0.0
    nperseg = min(y.size, 1 << max(4, math.ceil(math.log2(0.032 * sr))))
    f, p = welch_psd(y, sr, nperseg, max_frames)
    ref_bins = p[(f >= _REF_BAND[0]) & (f < _REF_BAND[1])]
    ref = float(np.mean(ref_bins)) if ref_bins.size else 0.0
    if not ref > 0:
        return 0.0
    above = np.flatnonzero(p >= ref * 10.0 ** (-floor_db / 10.0))
    return float(f[above[-1]]) if above.size else 0.0


def is_narrowband(
    x: np.ndarray,
    sr: int,
    sr_original: int | None = None,
    cutoff_hz: float = NARROWBAND_HZ,
    floor_db: float = BANDWIDTH_FLOOR_DB,
    bandwidth_hz: float | None = None,
) -> bool:
    """Telephone-band audio: the source rate's Nyquist is <= cutoff_hz, or (a 16 kHz+ file)
    nothing above cutoff_hz comes within floor_db of the voice band (upsampled 8 kHz audio).
    ``bandwidth_hz``: effective_bandwidth_hz(x, sr, floor_db) when the caller has it already.
    """
    if sr_original is not None and sr_original / 2 <= cutoff_hz:
        return True
    if bandwidth_hz is None:
        bandwidth_hz = effective_bandwidth_hz(x, sr, floor_db)
    return bandwidth_hz < cutoff_hz
