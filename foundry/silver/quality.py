"""Speech quality gates for silver items: is there speech, does the transcript fit it, is it
telephone audio, and how to cut long recordings into training items.

Same contract as foundry.audio: pure functions of the samples, deterministic, and a failing item
raises QualityReject with one of QUALITY_REJECT_REASONS and a one-line detail naming the config
key. Speech detection runs the silero-vad v6 ONNX model shipped inside the silero-vad wheel
(found through the wheel's metadata, checked against a pinned SHA-256, never downloaded) with
onnxruntime on one thread; torch is not imported. Thresholds and measured costs: docs/quality.md.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import soxr

from foundry import reasons
from foundry.errors import Reject
from foundry.text import grapheme_clusters

# Every reason this module can give, with what it means; rejects reports can list these.
QUALITY_REJECT_REASONS: dict[str, str] = reasons.meanings("quality")


class QualityReject(Reject):
    """An item failing a quality gate; ``reason`` is one of QUALITY_REJECT_REASONS."""

    REASONS = QUALITY_REJECT_REASONS
    KIND = "quality reject"


# ---------------------------------------------------------------------------------------------
# Speech detection (silero-vad ONNX)
# ---------------------------------------------------------------------------------------------

SILERO_DIST = "silero-vad"
SILERO_VERSION = "6.2.3"
# Files inside the wheel and their SHA-256: thresholds in docs/quality.md were measured with
# exactly these weights, so another silero-vad version must be a conscious change.
VAD_MODELS: dict[str, tuple[str, str]] = {
    # streaming model: input (batch, context + window), state (2, batch, 128), sr; 8 and 16 kHz
    "stream": (
        "silero_vad/data/silero_vad.onnx",
        "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3",
    ),
    # same weights unrolled over time: input (frames, 64 + 512), h and c (1, 1, 128); 16 kHz only
    "sequence": (
        "silero_vad/data/silero_vad_16k_sequence.onnx",
        "9ccdacc4719d8aa7e45a77536bfabec45a03ba1f2fad5e241ab4060b24238a85",
    ),
}
# rate -> (window samples, context samples the v5/v6 model prepends to each window)
VAD_WINDOW: dict[int, tuple[int, int]] = {16000: (512, 64), 8000: (256, 32)}
_STATE = 128
_PCM16_SCALE = 32768.0


def vad_model_path(kind: str = "stream", model_dir: str | Path | None = None) -> Path:
    """Path of a shipped silero-vad ONNX file, verified against its pinned SHA-256.

    Found via importlib.metadata, not importlib.resources: resolving the ``silero_vad.data``
    package imports ``silero_vad/__init__.py``, which imports torch (about a second per process).
    """
    if kind not in VAD_MODELS:
        raise ValueError(f"unknown VAD model {kind!r}; one of {sorted(VAD_MODELS)}")
    rel, sha = VAD_MODELS[kind]
    if model_dir is not None:
        path = Path(model_dir) / Path(rel).name
    else:
        from importlib import metadata

        try:
            dist = metadata.distribution(SILERO_DIST)
        except metadata.PackageNotFoundError as exc:
            raise ModuleNotFoundError(
                f"quality.vad needs the {SILERO_DIST} wheel for its model files: "
                f"pip install --no-deps {SILERO_DIST}=={SILERO_VERSION} onnxruntime"
            ) from exc
        path = Path(str(dist.locate_file(rel)))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileNotFoundError(f"silero-vad model file missing: {path} ({exc})") from exc
    got = hashlib.sha256(data).hexdigest()
    if got != sha:
        raise ValueError(
            f"{path} has SHA-256 {got[:12]}…, expected {sha[:12]}… (silero-vad {SILERO_VERSION}); "
            "another model version needs its thresholds re-measured (docs/quality.md)"
        )
    return path


def _as_float(x: np.ndarray) -> np.ndarray:
    """1-D float32 view of mono samples; int16 PCM is scaled to [-1, 1)."""
    a = np.asarray(x)
    if a.ndim != 1:
        raise ValueError(f"expected mono 1-D samples, got shape {a.shape}")
    if a.dtype == np.int16:
        return a.astype(np.float32) * np.float32(1.0 / _PCM16_SCALE)
    if not np.issubdtype(a.dtype, np.floating):
        raise ValueError(f"expected float or int16 PCM samples, got {a.dtype}")
    return np.ascontiguousarray(a, dtype=np.float32)


class SpeechDetector:
    """silero-vad speech segments with the standard hysteresis, cheap and deterministic.

    One onnxruntime session per detector, created on first use (a detector pickles without it,
    so it can be sent to worker processes), on one thread with deterministic kernels.
    rate_hz=16000 runs the "sequence" export (one ONNX call per 512 windows, probabilities
    bit-identical to the streaming loop); rate_hz=8000 resamples with soxr and runs the
    streaming model, which also batches several items per call. backend="stream" forces the
    streaming loop at 16 kHz too (the reference; used by the tests).
    """

    def __init__(
        self,
        *,
        threshold: float = 0.5,
        neg_threshold: float | None = None,
        min_speech_ms: float = 250.0,
        min_silence_ms: float = 100.0,
        speech_pad_ms: float = 30.0,
        rate_hz: int = 16000,
        backend: str = "auto",
        max_frames: int = 512,
        model_dir: str | Path | None = None,
    ) -> None:
        if rate_hz not in VAD_WINDOW:
            raise ValueError(f"quality.vad.rate_hz must be 8000 or 16000, got {rate_hz}")
        if backend not in ("auto", "stream", "sequence"):
            raise ValueError(f"VAD backend must be auto, stream or sequence, got {backend!r}")
        if backend == "sequence" and rate_hz != 16000:
            raise ValueError("the sequence VAD model exists for 16 kHz only")
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"quality.vad.threshold must be in (0, 1), got {threshold}")
        neg = max(threshold - 0.15, 0.01) if neg_threshold is None else neg_threshold
        if not 0.0 <= neg <= threshold:
            raise ValueError(f"VAD neg_threshold must be in [0, threshold], got {neg}")
        if min(min_speech_ms, min_silence_ms, speech_pad_ms) < 0 or max_frames < 1:
            raise ValueError("VAD durations must be >= 0 and max_frames >= 1")
        self.threshold = float(threshold)
        self.neg_threshold = float(neg)
        self.min_speech_ms = float(min_speech_ms)
        self.min_silence_ms = float(min_silence_ms)
        self.speech_pad_ms = float(speech_pad_ms)
        self.rate_hz = int(rate_hz)
        self.kind = "sequence" if backend == "auto" and rate_hz == 16000 else backend
        if self.kind == "auto":
            self.kind = "stream"
        self.max_frames = int(max_frames)
        self.model_dir = model_dir
        self._session: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_session"] = None  # sessions do not pickle; the worker makes its own
        return state

    @property
    def window(self) -> int:
        """Samples per VAD window at rate_hz (32 ms)."""
        return VAD_WINDOW[self.rate_hz][0]

    @property
    def session(self) -> Any:
        """The onnxruntime session, created once on first use."""
        if self._session is None:
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 1
            opts.inter_op_num_threads = 1
            opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            opts.use_deterministic_compute = True
            opts.log_severity_level = 3  # the shipped files log harmless initializer warnings
            path = vad_model_path(self.kind, self.model_dir)
            self._session = ort.InferenceSession(
                str(path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        return self._session

    def _prepare(self, x: np.ndarray, sr: int) -> np.ndarray:
        y = _as_float(x)
        if sr <= 0:
            raise ValueError(f"sample rate must be positive, got {sr}")
        if sr != self.rate_hz and y.size:
            y = soxr.resample(y, sr, self.rate_hz, quality="HQ").astype(np.float32, copy=False)
        return y

    def speech_probs(self, x: np.ndarray, sr: int) -> np.ndarray:
        """Speech probability per 32 ms window of x (resampled to rate_hz), float32."""
        return self.speech_probs_batch([x], sr)[0]

    def speech_probs_batch(self, xs: Sequence[np.ndarray], sr: int) -> list[np.ndarray]:
        """Probabilities for several items; the streaming model runs them in one batch.

        Each item's result is the same as speech_probs on it alone (rows of the batch never
        mix); items are run longest first and finished rows leave the batch, so no padding.
        """
        return self._probs([self._prepare(x, sr) for x in xs])

    def _probs(self, ys: list[np.ndarray]) -> list[np.ndarray]:
        if self.kind == "sequence":
            return [self._probs_sequence(y) for y in ys]
        return self._probs_stream(ys)

    def _framed(self, y: np.ndarray) -> tuple[np.ndarray, int]:
        """Zero context in front, zero padding to whole windows behind; and the window count."""
        w, c = VAD_WINDOW[self.rate_hz]
        n = -(-y.size // w)
        buf = np.zeros(c + n * w, dtype=np.float32)
        buf[c : c + y.size] = y
        return buf, n

    def _probs_sequence(self, y: np.ndarray) -> np.ndarray:
        w, c = VAD_WINDOW[self.rate_hz]
        buf, n = self._framed(y)
        # Row i = the c samples before window i, then window i: what the streaming loop feeds.
        rows = np.lib.stride_tricks.sliding_window_view(buf, c + w)[::w][:n]
        h = np.zeros((1, 1, _STATE), dtype=np.float32)
        cell = np.zeros((1, 1, _STATE), dtype=np.float32)
        out = []
        for b in range(0, n, self.max_frames):
            block = np.ascontiguousarray(rows[b : b + self.max_frames])
            p, h, cell = self.session.run(None, {"input": block, "h": h, "c": cell})
            out.append(np.asarray(p, dtype=np.float32).reshape(-1))
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)

    def _probs_stream(self, ys: list[np.ndarray]) -> list[np.ndarray]:
        w, c = VAD_WINDOW[self.rate_hz]
        order = sorted(range(len(ys)), key=lambda i: (-ys[i].size, i))
        framed = [self._framed(ys[i]) for i in order]
        counts = [n for _, n in framed]
        total = counts[0] if counts else 0
        batch = np.zeros((len(ys), c + total * w), dtype=np.float32)
        for row, (buf, _) in enumerate(framed):
            batch[row, : buf.size] = buf
        probs = np.zeros((len(ys), total), dtype=np.float32)
        state = np.zeros((2, len(ys), _STATE), dtype=np.float32)
        sr = np.array(self.rate_hz, dtype=np.int64)
        active = len(ys)
        sess = self.session
        for i in range(total):
            while active and counts[active - 1] <= i:
                active -= 1  # sorted longest first: finished items are the last rows
            s = i * w
            inp = np.ascontiguousarray(batch[:active, s : s + c + w])
            p, new = sess.run(None, {"input": inp, "state": state[:, :active], "sr": sr})
            probs[:active, i] = np.asarray(p).reshape(-1)
            state = np.ascontiguousarray(new)
        result: list[np.ndarray] = [np.zeros(0, np.float32)] * len(ys)
        for row, i in enumerate(order):
            result[i] = probs[row, : counts[row]].copy()
        return result

    def segments_from_probs(self, probs: np.ndarray, n_samples: int) -> list[tuple[float, float]]:
        """silero's hysteresis on window probabilities (no max-duration split), in seconds.

        Speech starts at a window >= threshold and ends once probabilities stay below
        neg_threshold for min_silence_ms; segments of min_speech_ms or less are dropped; each
        side is padded by speech_pad_ms, or a shorter gap is split half and half.
        """
        rate, w = self.rate_hz, self.window
        min_speech = rate * self.min_speech_ms / 1000
        min_silence = rate * self.min_silence_ms / 1000
        pad = rate * self.speech_pad_ms / 1000
        raw: list[list[int]] = []
        start: int | None = None
        quiet_from: int | None = None
        for i, p in enumerate(np.asarray(probs, dtype=np.float32).tolist()):
            pos = i * w
            if p >= self.threshold:
                quiet_from = None
                if start is None:
                    start = pos
                continue
            if start is not None and p < self.neg_threshold:
                if quiet_from is None:
                    quiet_from = pos
                if pos - quiet_from >= min_silence:
                    if quiet_from - start > min_speech:
                        raw.append([start, quiet_from])
                    start = quiet_from = None
        if start is not None and n_samples - start > min_speech:
            raw.append([start, n_samples])
        for k, seg in enumerate(raw):
            if k == 0:
                seg[0] = int(max(0, seg[0] - pad))
            if k + 1 < len(raw):
                gap = raw[k + 1][0] - seg[1]
                if gap < 2 * pad:
                    seg[1] += int(gap // 2)
                    raw[k + 1][0] = int(max(0, raw[k + 1][0] - gap // 2))
                else:
                    seg[1] = int(min(n_samples, seg[1] + pad))
                    raw[k + 1][0] = int(max(0, raw[k + 1][0] - pad))
            else:
                seg[1] = int(min(n_samples, seg[1] + pad))
        return [(a / rate, b / rate) for a, b in raw]

    def speech_segments(self, x: np.ndarray, sr: int) -> list[tuple[float, float]]:
        """Speech (start, end) in seconds from the start of x, padded by speech_pad_ms."""
        return self.speech_segments_batch([x], sr)[0]

    def speech_segments_batch(
        self, xs: Sequence[np.ndarray], sr: int
    ) -> list[list[tuple[float, float]]]:
        """speech_segments for several items at once (batched on the streaming model)."""
        ys = [self._prepare(x, sr) for x in xs]
        return [
            self.segments_from_probs(p, y.size) for y, p in zip(ys, self._probs(ys), strict=True)
        ]

    def stats(self, x: np.ndarray, sr: int, trim_pad_ms: float = 200.0) -> SpeechStats:
        """SpeechStats of one item (duration from x itself, at its own rate)."""
        return speech_stats(self.speech_segments(x, sr), np.asarray(x).shape[0] / sr, trim_pad_ms)

    def stats_batch(
        self, xs: Sequence[np.ndarray], sr: int, trim_pad_ms: float = 200.0
    ) -> list[SpeechStats]:
        """SpeechStats for several items, batched where the model allows it."""
        segs = self.speech_segments_batch(xs, sr)
        return [
            speech_stats(s, np.asarray(x).shape[0] / sr, trim_pad_ms)
            for x, s in zip(xs, segs, strict=True)
        ]


@dataclass(frozen=True)
class SpeechStats:
    """What the VAD says about one item; times in seconds from the item's start."""

    duration: float
    speech_seconds: float  # sum of the (padded) speech segments
    speech_ratio: float  # speech_seconds / duration
    trim_start: float  # keep [trim_start, trim_end): first/last speech +- trim padding
    trim_end: float
    segments: tuple[tuple[float, float], ...]

    @property
    def trimmed_duration(self) -> float:
        """Duration after cutting leading and trailing non-speech."""
        return max(0.0, self.trim_end - self.trim_start)

    def manifest_fields(self) -> dict[str, float]:
        """Rounded to the millisecond: manifests should not carry float noise."""
        return {
            "speech_seconds": round(self.speech_seconds, 3),
            "speech_ratio": round(self.speech_ratio, 4),
            "trim_start": round(self.trim_start, 3),
            "trim_end": round(self.trim_end, 3),
        }


def speech_stats(
    segments: Sequence[tuple[float, float]], duration: float, trim_pad_ms: float = 200.0
) -> SpeechStats:
    """Summarize speech segments; trimming keeps trim_pad_ms of context on each side."""
    if duration < 0 or trim_pad_ms < 0:
        raise ValueError("duration and trim_pad_ms must be >= 0")
    segs = tuple((float(a), float(b)) for a, b in segments)
    speech = float(sum(b - a for a, b in segs))
    if segs:
        pad = trim_pad_ms / 1000
        t0, t1 = max(0.0, segs[0][0] - pad), min(duration, segs[-1][1] + pad)
    else:
        t0 = t1 = 0.0
    ratio = speech / duration if duration > 0 else 0.0
    return SpeechStats(duration, speech, ratio, t0, t1, segs)


def check_speech(
    stats: SpeechStats, min_speech_seconds: float = 0.3, min_speech_ratio: float = 0.15
) -> None:
    """Reject items where the VAD hears too little speech: noise, music, tones, empty takes."""
    found = (
        f"VAD found {stats.speech_seconds:.2f} s of speech in {stats.duration:.2f} s "
        f"({stats.speech_ratio:.1%})"
    )
    if stats.speech_seconds < min_speech_seconds:
        raise QualityReject(
            "no_speech",
            f"{found} < min {min_speech_seconds:g} s (config quality.vad.min_speech_seconds)",
        )
    if stats.speech_ratio < min_speech_ratio:
        raise QualityReject(
            "no_speech",
            f"{found}: ratio < min {min_speech_ratio:g} (config quality.vad.min_speech_ratio)",
        )


def speech_agreement(
    a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]], duration: float
) -> float:
    """Share of [0, duration] on which two segmentations agree (speech or not), 1 ms grid.

    For checking that quality.vad.rate_hz: 8000 decides like 16 kHz on a dataset's own audio.
    """
    n = max(1, round(duration * 1000))
    masks = []
    for segs in (a, b):
        m = np.zeros(n, dtype=bool)
        for s, e in segs:
            m[max(0, round(s * 1000)) : min(n, round(e * 1000))] = True
        masks.append(m)
    return float(np.mean(masks[0] == masks[1]))


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
    duration = n / sr
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
    good = sorted((spans[i][0], spans[i][1], i) for i in range(len(spans)) if i not in bad)
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


# ---------------------------------------------------------------------------------------------
# Bandwidth
# ---------------------------------------------------------------------------------------------

# Relative level below which a frequency counts as empty, and the telephone-band verdict.
BANDWIDTH_FLOOR_DB = 50.0
NARROWBAND_HZ = 4500.0
_REF_BAND = (300.0, 3400.0)  # the telephone band: present in any speech recording


def welch_psd(y: np.ndarray, sr: int, nperseg: int) -> tuple[np.ndarray, np.ndarray]:
    """One-sided Welch power spectral density, as ``scipy.signal.welch`` computes it with a
    periodic Hann window, 50% overlap, per-segment mean removed and density scaling.

    Written in numpy because importing scipy.signal costs a shard job more CPU (~1.2 s) than
    measuring a few hundred clips; tests/test_quality.py checks it against scipy.
    """
    step = nperseg - nperseg // 2
    count = (y.size - nperseg // 2) // step
    win = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(nperseg) / nperseg)
    frames = np.lib.stride_tricks.sliding_window_view(y, nperseg)[::step][:count]
    frames = (frames - frames.mean(axis=1, keepdims=True)) * win
    spec = np.fft.rfft(frames, n=nperseg, axis=1)
    p = (spec.real**2 + spec.imag**2) / (sr * float(np.sum(win * win)))
    if nperseg % 2:
        p[:, 1:] *= 2
    else:
        p[:, 1:-1] *= 2
    return np.fft.rfftfreq(nperseg, 1.0 / sr), p.mean(axis=0)


def effective_bandwidth_hz(x: np.ndarray, sr: int, floor_db: float = BANDWIDTH_FLOOR_DB) -> float:
    """Highest frequency whose power density is within floor_db of the 300-3400 Hz average.

    Welch PSD (Hann, ~32 ms segments, 50% overlap). Not "where 99% of the energy lies": speech
    keeps 99% of its energy below 4 kHz even on a wideband microphone, and 99.9% still put a
    quarter of the demo's wideband clips under 4.5 kHz, while the relative floor separates them
    from upsampled 8 kHz audio by more than 3 kHz (docs/quality.md). Returns 0.0 for silence.
    """
    y = _as_float(x).astype(np.float64)
    if y.size < 2:
        return 0.0
    nperseg = min(y.size, 1 << max(4, math.ceil(math.log2(0.032 * sr))))
    f, p = welch_psd(y, sr, nperseg)
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
