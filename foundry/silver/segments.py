"""Long recordings into training items: at the timestamps of their metadata, or at speech pauses
when no transcript is needed; a bad segment is rejected on its own (``bad_segment``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from foundry.silver.quality import QualityReject
from foundry.silver.vad import SpeechDetector


class Segment(NamedTuple):
    """One cut of a long recording; start/end in seconds of the recording."""

    audio: np.ndarray  # a view into the recording's samples
    start: float
    end: float
    text: str
    id: str


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def segment_by_timestamps(
    x: np.ndarray,
    sr: int,
    segments: Sequence[Mapping[str, Any]],
    *,
    tolerance: float = 0.05,
    rejects: list[tuple[str, QualityReject]] | None = None,
) -> list[Segment]:
    """Cut a recording at given {start, end, text, id?} segments after validating them.

    Valid: numbers, 0 <= start < end <= duration (end may overshoot by `tolerance` s and is
    clamped: timestamps are often rounded), at least one sample long, unique ids, and no overlap
    beyond `tolerance` (both overlapping segments are refused: which one owns the shared audio
    is unknown). Ids default to the 5-digit input position. Without `rejects` the first bad
    segment raises QualityReject("bad_segment"); with it, bad ones are listed there as
    (id, reject) and the rest are returned, in time order.
    """
    x = np.asarray(x)
    n = int(x.shape[0])
    if sr <= 0:
        raise ValueError(f"sample rate must be positive, got {sr}")
    ids, spans, bad = _checked_spans(segments, n / sr, sr, tolerance)
    good = sorted((spans[i][0], spans[i][1], i) for i in range(len(spans)) if i not in bad)
    _overlaps(good, ids, spans, bad, tolerance)
    if bad and rejects is None:
        raise bad[min(bad)]
    if rejects is not None:
        rejects.extend((ids[i], bad[i]) for i in sorted(bad))
    out = []
    for s, e, i in good:
        if i in bad:
            continue
        a, b = round(s * sr), min(n, round(e * sr))
        text = segments[i].get("text")
        out.append(Segment(x[a:b], a / sr, b / sr, "" if text is None else str(text), ids[i]))
    return out


def _checked_spans(
    segments: Sequence[Mapping[str, Any]], duration: float, sr: int, tolerance: float
) -> tuple[list[str], list[tuple[float, float]], dict[int, QualityReject]]:
    """Each segment's id and clamped span, or why it is bad (position -> reject)."""
    bad: dict[int, QualityReject] = {}
    ids: list[str] = []
    spans: list[tuple[float, float]] = []
    seen: dict[str, int] = {}
    for i, seg in enumerate(segments):
        sid = str(seg.get("id") if seg.get("id") not in (None, "") else f"{i:05d}")
        ids.append(sid)
        spans.append((math.nan, math.nan))
        start, end = _number(seg.get("start")), _number(seg.get("end"))
        why = None
        if sid in seen:
            why = f"id {sid!r} repeats segment {seen[sid]}"
        elif start is None or end is None:
            why = f"start {seg.get('start')!r} / end {seg.get('end')!r} are not finite numbers"
        elif start < 0 or start >= duration:
            why = f"start {start:.3f} s is outside the recording [0, {duration:.3f}] s"
        elif end > duration + tolerance:
            why = f"end {end:.3f} s is past the recording's end {duration:.3f} s"
        elif round(start * sr) >= round(min(end, duration) * sr):
            why = f"[{start:.3f}, {end:.3f}] s is empty (start must be before end)"
        seen.setdefault(sid, i)
        if why:
            bad[i] = QualityReject("bad_segment", f"segment {sid}: {why}")
        else:
            assert start is not None and end is not None
            spans[i] = (start, min(end, duration))
    return ids, spans, bad


def _overlaps(
    good: list[tuple[float, float, int]],
    ids: list[str],
    spans: list[tuple[float, float]],
    bad: dict[int, QualityReject],
    tolerance: float,
) -> None:
    """Both segments of an overlap beyond tolerance become bad (who owns the audio is unknown)."""
    reach_end, reach = -math.inf, -1  # the segment reaching furthest so far, in start order
    for s, e, i in good:
        if s < reach_end - tolerance:
            for a, b in ((reach, i), (i, reach)):
                bad.setdefault(
                    a,
                    QualityReject(
                        "bad_segment",
                        f"segment {ids[a]} [{spans[a][0]:.3f}, {spans[a][1]:.3f}] s overlaps "
                        f"segment {ids[b]} [{spans[b][0]:.3f}, {spans[b][1]:.3f}] s "
                        f"by {min(e, reach_end) - s:.3f} s",
                    ),
                )
        if e > reach_end:
            reach_end, reach = e, i


def segment_by_pauses(
    x: np.ndarray,
    sr: int,
    detector: SpeechDetector,
    max_seconds: float = 20.0,
    min_seconds: float = 1.0,
    *,
    max_pause: float = 2.0,
) -> list[Segment]:
    """Cut a long untranscribed recording into items of speech, at VAD pauses.

    Consecutive speech segments are grouped while the group fits in max_seconds and no pause
    inside it exceeds max_pause; the silence between groups is dropped. A single speech run
    longer than max_seconds is split at its least speech-like 32 ms window that leaves at least
    min_seconds before the cut. Groups shorter than min_seconds are dropped. Items get text ""
    and ids 00000, 00001, ... in time order.
    """
    if not 0 < min_seconds < max_seconds or max_pause < 0:
        raise ValueError(
            f"need 0 < min_seconds < max_seconds and max_pause >= 0, got {min_seconds}, "
            f"{max_seconds}, {max_pause}"
        )
    x = np.asarray(x)
    n = int(x.shape[0])
    y = detector._prepare(x, sr)
    probs = detector._probs([y])[0]
    win = detector.window / detector.rate_hz  # seconds per window
    segs = detector.segments_from_probs(probs, y.size)

    def split(a: float, b: float) -> list[tuple[float, float]]:
        out = []
        while b - a > max_seconds:
            lo, hi = math.ceil((a + min_seconds) / win), int((a + max_seconds) / win)
            cut = (lo + int(np.argmin(probs[lo:hi]))) * win if hi > lo else a + max_seconds
            out.append((a, cut))
            a = cut
        out.append((a, b))
        return out

    groups: list[tuple[float, float]] = []
    for a, b in (p for seg in segs for p in split(*seg)):
        if groups and b - groups[-1][0] <= max_seconds and a - groups[-1][1] <= max_pause:
            groups[-1] = (groups[-1][0], b)
        else:
            groups.append((a, b))
    out = []
    for a, b in groups:
        if b - a < min_seconds:
            continue
        i, j = round(a * sr), min(n, round(b * sr))
        out.append(Segment(x[i:j], i / sr, j / sr, "", f"{len(out):05d}"))
    return out
