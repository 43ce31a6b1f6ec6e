"""Speech detection: the silero-vad v6 ONNX model shipped inside the silero-vad wheel (found
through the wheel's metadata, checked against a pinned SHA-256, never downloaded), run with
onnxruntime on one thread; torch is not imported. Thresholds and measured costs: docs/quality.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soxr

from foundry.config import defaults
from foundry.silver.quality import QualityReject, as_float

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


_VAD = defaults("quality", "vad")  # the schema's: what a caller outside a shard job gets
_STATE = 128


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
        threshold: float = _VAD["threshold"],
        neg_threshold: float | None = None,
        min_speech_ms: float = _VAD["min_speech_ms"],
        min_silence_ms: float = _VAD["min_silence_ms"],
        speech_pad_ms: float = _VAD["speech_pad_ms"],
        rate_hz: int = _VAD["rate_hz"],
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
        y = as_float(x)
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
    stats: SpeechStats,
    min_speech_seconds: float = _VAD["min_speech_seconds"],
    min_speech_ratio: float = _VAD["min_speech_ratio"],
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
