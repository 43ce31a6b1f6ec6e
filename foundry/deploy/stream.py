"""Live calls: 8 kHz call audio in, endpointed utterances out, partial and final answers.

A phone platform streams the call (Twilio Media Streams over WebSocket, Asterisk AudioSocket
over TCP: foundry.deploy.callio). Each call is a :class:`CallSession`: silero-vad runs over the
stream one 32 ms window at a time (its recurrent state kept between frames), an utterance starts
when speech does and ends after ``endpoint_ms`` of non-speech, at ``max_utterance_s``, or when
the caller hangs up. While it lasts, a partial transcript is made every ``partial_interval_ms``
of new audio; when it ends, the final transcript comes from exactly the HTTP path
(``Service.answer`` on the utterance's PCM16, so it equals ``POST /v1/stt`` on the same audio),
then intent and sentiment on that text and dialect on that audio, each where served.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from foundry import engines
from foundry.config import defaults
from foundry.deploy.limits import ClientError
from foundry.engines import TRANSCRIBER
from foundry.silver.vad import _STATE, VAD_WINDOW, SpeechDetector

log = logging.getLogger("foundry.stream")
RATE = 8000  # what both platforms send: G.711 (Twilio) or 16-bit linear (AudioSocket) at 8 kHz
WINDOW, CONTEXT = VAD_WINDOW[RATE]
WINDOW_MS = 1000 * WINDOW / RATE
END_REASONS = ("silence", "max_length", "hangup")


_STREAM = defaults("serve", "stream")


@dataclass(frozen=True)
class StreamSettings:
    """``serve.stream`` config: endpointing, partials and the bounds of one call."""

    # the defaults, and what each means: the schema's serve.stream
    endpoint_ms: float = _STREAM["endpoint_ms"]
    max_utterance_s: float = _STREAM["max_utterance_s"]
    min_speech_ms: float = _STREAM["min_speech_ms"]
    speech_pad_ms: float = _STREAM["speech_pad_ms"]
    partial_interval_ms: float = _STREAM["partial_interval_ms"]
    vad_threshold: float = _STREAM["vad_threshold"]
    idle_timeout_s: float = _STREAM["idle_timeout_s"]
    max_call_s: float = _STREAM["max_call_s"]
    max_message_bytes: int = _STREAM["max_message_bytes"]
    max_streams: int = _STREAM["max_streams"]

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            low = 0 if f.name == "partial_interval_ms" else 1e-9
            if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
                raise ValueError(f"serve.stream.{f.name} must be a positive number, got {value!r}")
        if not 0 < self.vad_threshold < 1:
            raise ValueError(
                f"serve.stream.vad_threshold must be in (0, 1), got {self.vad_threshold}"
            )

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> StreamSettings:
        spec = dict(cfg["serve"]["stream"])
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(spec) - known)
        if unknown:
            raise ValueError(f"unknown serve.stream key(s) {unknown}; known: {sorted(known)}")
        return cls(**spec)


class StreamingVAD:
    """silero-vad over a live stream: each 32 ms window once, state carried across frames.

    Gives the probabilities the streaming model gives window by window on the whole recording
    at 8 kHz (:meth:`SpeechDetector.speech_probs`), without keeping the recording.
    """

    def __init__(self, detector: SpeechDetector) -> None:
        self.session = detector.session
        self.state = np.zeros((2, 1, _STATE), dtype=np.float32)
        self.context = np.zeros(CONTEXT, dtype=np.float32)
        self.pending = np.zeros(0, dtype=np.float32)
        self.done = 0  # samples already in a window
        self._sr = np.array(RATE, dtype=np.int64)

    def feed(self, x: np.ndarray) -> list[tuple[int, float]]:
        """(first sample, speech probability) of each window ``x`` completes (floats in ±1)."""
        buf = np.concatenate([self.pending, x.astype(np.float32, copy=False)])
        n = buf.size // WINDOW
        out = []
        for i in range(n):
            win = buf[i * WINDOW : (i + 1) * WINDOW]
            inp = np.concatenate([self.context, win])[None, :]
            p, self.state = self.session.run(
                None, {"input": inp, "state": self.state, "sr": self._sr}
            )
            self.context = win[-CONTEXT:]
            out.append((self.done, float(np.asarray(p).reshape(-1)[0])))
            self.done += WINDOW
        self.pending = buf[n * WINDOW :].copy()
        return out


# What a session asks of the service: (engine, PCM16 8 kHz bytes, request id) -> answer dict,
# raising ClientError for audio the engine refuses.
Answer = Callable[[str, bytes, str], dict[str, Any]]


class CallSession:
    """One call: feed it 16-bit 8 kHz samples; it returns the events to send back.

    Sample indices count from the start of the call; only the audio an utterance (or the
    ``speech_pad_ms`` before the next one) still needs is kept, so memory stays flat however
    long the call.
    """

    def __init__(
        self,
        call_id: str,
        settings: StreamSettings,
        detector: SpeechDetector,
        answer: Answer,
        engines: tuple[str, ...],
    ) -> None:
        self.call_id = call_id
        self.settings = settings
        self.vad = StreamingVAD(detector)
        self.answer = answer
        self.engines = engines
        self.neg_threshold = max(settings.vad_threshold - 0.15, 0.01)
        self.pad = int(settings.speech_pad_ms * RATE / 1000)
        self.samples = 0  # received so far
        self.buf = np.zeros(0, dtype=np.int16)  # audio from sample index `base` on
        self.base = 0
        self.in_speech = False
        self.utt_start = 0
        self.speech_ms = 0.0
        self.silence_ms = 0.0
        self.next_partial = 0.0
        self.count = 0

    @property
    def seconds(self) -> float:
        return self.samples / RATE

    def _slice(self, start: int, end: int) -> np.ndarray:
        return self.buf[start - self.base : end - self.base]

    def feed(self, pcm16: np.ndarray) -> list[dict[str, Any]]:
        """Events for the next stretch of call audio (int16 samples at 8 kHz)."""
        self.buf = np.concatenate([self.buf, pcm16.astype(np.int16, copy=False)])
        self.samples += pcm16.size
        events: list[dict[str, Any]] = []
        for at, p in self.vad.feed(pcm16.astype(np.float32) / 32768.0):
            events += self._window(p, at)
        if self.in_speech:
            events += self._partial()
        keep = self.utt_start if self.in_speech else max(self.vad.done - self.pad, 0)
        if keep > self.base:
            self.buf = self.buf[keep - self.base :]
            self.base = keep
        return events

    def _window(self, p: float, at: int) -> list[dict[str, Any]]:
        s = self.settings
        if not self.in_speech:
            if p < s.vad_threshold:
                return []
            self.in_speech = True
            self.utt_start = max(at - self.pad, self.base)
            self.speech_ms, self.silence_ms = WINDOW_MS, 0.0
            self.next_partial = s.partial_interval_ms
            return [{"event": "speech_started", "start": round(self.utt_start / RATE, 3)}]
        if p >= self.neg_threshold:
            self.speech_ms += WINDOW_MS + self.silence_ms
            self.silence_ms = 0.0
        else:
            self.silence_ms += WINDOW_MS
        end = at + WINDOW
        if self.silence_ms >= s.endpoint_ms:
            trim = int(max(self.silence_ms - s.speech_pad_ms, 0.0) * RATE / 1000)
            return self._end("silence", end - trim, end)
        if (end - self.utt_start) / RATE >= s.max_utterance_s:
            return self._end("max_length", end, end)
        return []

    def _partial(self) -> list[dict[str, Any]]:
        s = self.settings
        heard_ms = 1000 * (self.samples - self.utt_start) / RATE
        if TRANSCRIBER not in self.engines or not s.partial_interval_ms:
            return []
        if heard_ms < self.next_partial:
            return []
        self.next_partial = heard_ms + s.partial_interval_ms
        audio = self._slice(self.utt_start, self.samples)
        try:
            out = self.answer(TRANSCRIBER, audio.tobytes(), f"{self.call_id}-{self.count}-partial")
        except ClientError:  # too short yet: the final will say what is wrong
            return []
        return [self._timed("partial", self.utt_start, self.samples, text=out.get("output"))]

    def _timed(self, event: str, start: int, end: int, **extra: Any) -> dict[str, Any]:
        return {
            "event": event,
            "utterance": self.count,
            "start": round(start / RATE, 3),
            "end": round(end / RATE, 3),
            **extra,
        }

    def _end(self, reason: str, end: int, decided: int) -> list[dict[str, Any]]:
        """The utterance [utt_start, end) is over; ``decided`` is the sample that decided it."""
        start = self.utt_start
        audio = self._slice(start, end)
        self.in_speech = False
        if self.speech_ms < self.settings.min_speech_ms and reason != "max_length":
            return [self._timed("noise", start, end, detail="shorter than min_speech_ms")]
        t0 = time.perf_counter()
        event = self._timed("final", start, end, reason=reason, **self._results(audio))
        event["decided"] = round(decided / RATE, 3)
        event["latency_ms"] = round(1000 * (time.perf_counter() - t0), 1)
        self.count += 1
        return [event]

    def _results(self, audio: np.ndarray) -> dict[str, Any]:
        """stt on the utterance, the text engines on its transcript, dialect on its audio; the
        engines of one stage run at once (each model has its own lock and threads)."""
        rid = f"{self.call_id}-{self.count}"
        raw = audio.tobytes()
        out = self._ask_all([(e, raw) for e in self.engines if engines.get(e).is_audio], rid)
        text = out.get(TRANSCRIBER, {}).get("output")
        if text:
            out["text"] = text
            data = text.encode("utf-8")
            asks = [(e, data) for e in self.engines if not engines.get(e).is_audio]
            out.update(self._ask_all(asks, rid))
        return out

    def _ask_all(self, asks: list[tuple[str, bytes]], rid: str) -> dict[str, Any]:
        if len(asks) < 2:
            return {e: self._ask(e, data, rid) for e, data in asks}
        with ThreadPoolExecutor(len(asks), thread_name_prefix="stream-final") as pool:
            futures = {e: pool.submit(self._ask, e, data, rid) for e, data in asks}
            return {e: f.result() for e, f in futures.items()}

    def _ask(self, engine: str, data: bytes, rid: str) -> dict[str, Any]:
        try:
            return self.answer(engine, data, rid)
        except ClientError as exc:
            return {"error": exc.payload()}

    def hangup(self) -> list[dict[str, Any]]:
        """The call ended: an utterance in progress is final (reason hangup)."""
        return self._end("hangup", self.samples, self.samples) if self.in_speech else []
