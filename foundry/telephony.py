"""Request audio as a telephony platform sends it: headerless G.711/L16 bodies or WAV containers
at 8 kHz (any rate), decoded to float and resampled to the models' 16 kHz.

The IVR hears callers through the public telephone network: 8 kHz G.711 (μ-law or A-law),
band-limited to roughly 300-3400 Hz. The codecs are ``foundry.g711``; the same channel as a
simulation for training and evaluation is ``foundry.phone_channel``.

Pure numpy/soxr/soundfile; no torch, no config or service imports, so any layer can use it.
Float audio is scaled like soundfile's: int16 / 32768.
"""

from __future__ import annotations

import io
import re
from typing import Any

import numpy as np
import soundfile as sf
import soxr

from foundry import reasons
from foundry.engines import SAMPLE_RATE
from foundry.errors import Reject
from foundry.g711 import alaw_decode, alaw_encode, mulaw_decode, mulaw_encode

TELEPHONE_SR = 8000  # G.711's sampling rate
RESAMPLE_QUALITY = "HQ"  # same soxr recipe as foundry.audio, so channel and corpus resample alike

# Accepted request sample rates (headerless bodies and containers alike).
MIN_SAMPLE_RATE = 4000
MAX_SAMPLE_RATE = 192000


# Why a request's audio could not be used (HTTP 400): its own reasons, and the audio reasons that
# mean the same for headerless samples (no bytes, an unreadable container, NaN, too long).
TELEPHONY_ERROR_REASONS = (
    *reasons.names("telephony"),
    *(
        n
        for n in reasons.names("audio")
        if n in ("empty_audio", "undecodable", "non_finite", "too_long")
    ),
)

# Accepted `encoding` names (case-insensitive) -> canonical name. None or "wav" means a container.
ENCODINGS = {
    "mulaw": "mulaw",
    "ulaw": "mulaw",
    "pcmu": "mulaw",
    "alaw": "alaw",
    "pcma": "alaw",
    "pcm16": "pcm_s16le",
    "pcm_s16le": "pcm_s16le",
    "s16le": "pcm_s16le",
    "l16": "l16",  # RFC 3551 L16: 16-bit *big-endian* (network byte order)
}
CONTAINER_ENCODINGS = ("wav",)

_BYTES_PER_SAMPLE = {"mulaw": 1, "alaw": 1, "pcm_s16le": 2, "l16": 2}
_BYTESIO_REPR = re.compile(r"<_io\.BytesIO object at 0x[0-9a-fA-F]+>")


class TelephonyError(Reject):
    """Request audio that cannot be decoded; reason is one of TELEPHONY_ERROR_REASONS."""

    REASONS = TELEPHONY_ERROR_REASONS
    KIND = "telephony error"


def _shown(value: Any, limit: int = 24) -> str:
    """A caller's value quoted short and on one line, so the advice after it always survives."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unsupported(encoding: Any) -> TelephonyError:
    accepted = ", ".join(sorted({*ENCODINGS, *CONTAINER_ENCODINGS}))
    return TelephonyError(
        "unsupported_encoding",
        f"encoding={_shown(encoding)} is not supported; use one of {accepted}, or omit it for WAV.",
    )


def _check_rate(sample_rate: Any, what: str) -> int:
    ok = isinstance(sample_rate, int | np.integer) and not isinstance(sample_rate, bool)
    if not ok or not MIN_SAMPLE_RATE <= int(sample_rate) <= MAX_SAMPLE_RATE:
        raise TelephonyError(
            "bad_sample_rate",
            f"{what} must be an integer from {MIN_SAMPLE_RATE} to {MAX_SAMPLE_RATE} Hz, "
            f"got {_shown(sample_rate)}.",
        )
    return int(sample_rate)


def _check_duration(frames: int, sr: int, max_duration: float | None, where: str) -> None:
    if max_duration is not None and frames / sr > max_duration:
        raise TelephonyError(
            "too_long",
            f"the audio lasts {frames / sr:.3f} s ({where}), more than the {max_duration:g} s "
            "allowed.",
        )


def _looks_like_container(data: bytes) -> str | None:
    if data[:4] in (b"RIFF", b"RIFX") and data[8:12] == b"WAVE":
        return "WAV"
    if data[:4] == b".snd":
        return "AU"
    if data[:4] == b"fLaC":
        return "FLAC"
    return None


def _decode_container(
    data: bytes, sample_rate: int | None, max_duration: float | None
) -> tuple[np.ndarray, int]:
    try:
        with sf.SoundFile(io.BytesIO(data)) as f:
            sr, frames, fmt = int(f.samplerate), int(f.frames), f"{f.format}/{f.subtype}"
            sr = _check_rate(sr, f"the {fmt} header's sample rate")
            if sample_rate is not None and int(sample_rate) != sr:
                raise TelephonyError(
                    "bad_sample_rate",
                    f"sample_rate={sample_rate} contradicts the {fmt} header's {sr} Hz; "
                    "omit it for files.",
                )
            if frames <= 0:
                raise TelephonyError("empty_audio", f"the {fmt} header reports 0 frames.")
            _check_duration(frames, sr, max_duration, f"per the {fmt} header")
            x = f.read(dtype="float32", always_2d=True)
    except (sf.SoundFileError, RuntimeError, ValueError, EOFError, OSError) as exc:
        msg = getattr(exc, "error_string", None) or _BYTESIO_REPR.sub("<bytes>", str(exc))
        raise TelephonyError(
            "undecodable",
            f"the body is not audio libsndfile can read ({msg.strip() or type(exc).__name__}); "
            "send a WAV file, or headerless samples with encoding= and sample_rate=.",
        ) from exc
    if x.shape[0] == 0:
        raise TelephonyError("empty_audio", f"the {fmt} header promises frames but none decoded.")
    mono = x.mean(axis=1, dtype=np.float32) if x.shape[1] > 1 else np.array(x[:, 0])
    if not np.isfinite(mono).all():
        raise TelephonyError("non_finite", f"the {fmt} audio contains NaN or Inf samples.")
    return mono, sr


def decode_telephony(
    data: bytes,
    encoding: str | None = None,
    sample_rate: int | None = None,
    *,
    max_duration: float | None = None,
) -> tuple[np.ndarray, int]:
    """Request body -> (mono float32 samples, sample rate), or TelephonyError for an HTTP 400.

    encoding None or "wav": a container libsndfile reads (WAV with μ-law tag 7, A-law tag 6 or
    PCM, also AU/FLAC/...); sample_rate, if given, must agree with the header. Otherwise the body
    is headerless mono samples in `encoding` (see ENCODINGS) and sample_rate is required.
    max_duration is checked before any sample is decoded, so a huge body costs nothing.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"decode_telephony() needs bytes, got {type(data).__name__}")
    data = bytes(data)
    if sample_rate is not None:
        _check_rate(sample_rate, "sample_rate")
    name = None if encoding is None else str(encoding).strip().lower()
    if name is not None and name not in ENCODINGS and name not in CONTAINER_ENCODINGS:
        raise _unsupported(encoding)
    if not data:
        raise TelephonyError("empty_audio", "the request body has 0 bytes of audio.")
    if name is None or name in CONTAINER_ENCODINGS:
        return _decode_container(data, sample_rate, max_duration)

    codec = ENCODINGS[name]
    container = _looks_like_container(data)
    if container is not None:
        raise TelephonyError(
            "unsupported_encoding",
            f"the body is a {container} file but encoding={encoding} declares headerless "
            "samples; omit encoding= to send a file.",
        )
    if sample_rate is None:
        raise TelephonyError(
            "bad_sample_rate", f"headerless {codec} audio needs a sample_rate (e.g. 8000)."
        )
    sr = int(sample_rate)
    width = _BYTES_PER_SAMPLE[codec]
    if len(data) % width:
        raise TelephonyError(
            "odd_length",
            f"{codec} has 2 bytes per sample but the body has an odd {len(data)} bytes.",
        )
    _check_duration(len(data) // width, sr, max_duration, f"{len(data)} bytes of {codec}")
    if codec == "mulaw":
        pcm = mulaw_decode(data)
    elif codec == "alaw":
        pcm = alaw_decode(data)
    elif codec == "pcm_s16le":
        pcm = np.frombuffer(data, dtype="<i2")
    else:
        pcm = np.frombuffer(data, dtype=">i2")
    return pcm.astype(np.float32) / np.float32(32768.0), sr


def float_to_pcm16(x: np.ndarray) -> np.ndarray:
    """Round half to even and saturate (as foundry.audio does), so overs clip and never wrap."""
    z = np.rint(np.asarray(x, dtype=np.float64) * 32768.0)
    return np.clip(z, -32768, 32767).astype(np.int16)


def encode_telephony(x: np.ndarray, encoding: str) -> bytes:
    """Float samples -> the headerless body decode_telephony(body, encoding, sr) reads back.

    For test clients, demos and the channel simulation; values beyond [-1, 1) saturate.
    """
    name = str(encoding).strip().lower()
    if name not in ENCODINGS:
        raise ValueError(
            f"encoding must be one of {', '.join(sorted(ENCODINGS))}, got {encoding!r}"
        )
    pcm = float_to_pcm16(np.ravel(x))
    codec = ENCODINGS[name]
    if codec == "mulaw":
        return mulaw_encode(pcm).tobytes()
    if codec == "alaw":
        return alaw_encode(pcm).tobytes()
    return pcm.astype("<i2" if codec == "pcm_s16le" else ">i2").tobytes()


def to_model_rate(x: np.ndarray, sr: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Resample mono float audio to the models' rate with soxr HQ (a copy when already there)."""
    if sr <= 0 or target <= 0:
        raise ValueError(f"sample rates must be positive, got {sr} -> {target}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"expected mono (frames,) samples, got shape {x.shape}")
    if sr == target:
        return x.copy()
    return soxr.resample(x, sr, target, quality=RESAMPLE_QUALITY).astype(np.float32, copy=False)
