"""The telephone channel: G.711 codecs, 8 kHz request audio, and a channel simulation for training.

The IVR hears callers through the public telephone network: 8 kHz G.711 (μ-law or A-law),
band-limited to roughly 300-3400 Hz. This module lets the service accept such audio as it arrives
(headerless G.711/L16 bodies or WAV containers) and lets the trainers and evaluators put clean
16 kHz corpora through the same channel, deterministically per item, so that models learn and are
measured on what production actually hears.

Pure numpy/scipy/soxr/soundfile; no torch, no config or service imports, so any layer can use it.
Float audio is scaled like soundfile's: int16 / 32768.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import soundfile as sf
import soxr
from scipy import signal

from foundry import reasons
from foundry.errors import Reject

MODEL_SR = 16000  # what the stt and dialect models take
TELEPHONE_SR = 8000  # G.711's sampling rate
RESAMPLE_QUALITY = "HQ"  # same soxr recipe as foundry.audio, so channel and corpus resample alike

# Accepted request sample rates (headerless bodies and containers alike).
MIN_SAMPLE_RATE = 4000
MAX_SAMPLE_RATE = 192000

# -------------------------------------------------------------------------------------------------
# G.711 (ITU-T Recommendation G.711, 11/1988), tables 1a/1b (A-law) and 2a/2b (μ-law).
#
# Both laws are 8 segments (chords) of 16 uniform steps; the step doubles from one segment to the
# next. We work on 16-bit linear PCM: the standard's 14-bit μ-law / 13-bit A-law uniform codes are
# the top bits of an int16, so every decoder output below is the standard's value << 2 (μ-law) or
# << 3 (A-law). Encoding quantizes the magnitude with truncation, which makes each decoder output
# the midpoint of its decision interval, and treats the sign separately, so the quantizer is
# symmetric about zero. This is also exactly what libsndfile does (tests compare all 65536 inputs).
# -------------------------------------------------------------------------------------------------

_MULAW_BIAS = 0x84  # 33 << 2: the μ-law bias in 16-bit units (segment s starts at (32 << s) - 33)
_MULAW_CLIP = 32635  # 32767 - _MULAW_BIAS: larger magnitudes all land in the top step
_ALAW_INVERT = 0x55  # A-law transmits even bits inverted (G.711 §3.2.1, "ADI")


def _int16_domain() -> np.ndarray:
    """All 65536 int16 values, indexed by their uint16 bit pattern (for table lookup)."""
    return np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.int16).astype(np.int32)


def _segment(v: np.ndarray) -> np.ndarray:
    """floor(log2(v)) for v >= 1 (int32), i.e. the index of the highest set bit."""
    return np.frexp(v.astype(np.float64))[1].astype(np.int32) - 1


def _build_mulaw_encode() -> np.ndarray:
    x = _int16_domain()
    sign = np.where(x < 0, 0x80, 0x00)
    mag = np.minimum(np.abs(x), _MULAW_CLIP) + _MULAW_BIAS  # in [132, 32767]
    seg = _segment(mag >> 7)  # mag >> 7 in [1, 255] -> segment 0..7
    mantissa = (mag >> (seg + 3)) & 0x0F
    return (~(sign | (seg << 4) | mantissa) & 0xFF).astype(np.uint8)


def _build_mulaw_decode() -> np.ndarray:
    c = ~np.arange(256, dtype=np.int32) & 0xFF  # μ-law transmits all bits inverted
    seg = (c >> 4) & 0x07
    mantissa = c & 0x0F
    mag = (((mantissa << 3) + _MULAW_BIAS) << seg) - _MULAW_BIAS
    return np.where(c & 0x80, -mag, mag).astype(np.int16)


def _build_alaw_encode() -> np.ndarray:
    x = _int16_domain()
    sign = np.where(x >= 0, 0x80, 0x00)  # A-law: sign bit 1 means positive
    mag = np.minimum(np.abs(x), 32767) >> 3  # the 13-bit code's magnitude, 0..4095
    seg = np.where(mag < 32, 0, _segment(np.maximum(mag, 1)) - 4)  # [32 << (s-1), 32 << s)
    mantissa = np.where(seg == 0, mag >> 1, mag >> np.maximum(seg, 1)) & 0x0F
    return ((sign | (seg << 4) | mantissa) ^ _ALAW_INVERT).astype(np.uint8)


def _build_alaw_decode() -> np.ndarray:
    c = np.arange(256, dtype=np.int32) ^ _ALAW_INVERT
    seg = (c >> 4) & 0x07
    mantissa = c & 0x0F
    mag = (mantissa << 4) + 8  # segment 0 (and 1) step is 16 in 16-bit units
    mag = np.where(seg > 0, (mag + 0x100) << np.maximum(seg - 1, 0), mag)
    return np.where(c & 0x80, mag, -mag).astype(np.int16)


_MULAW_ENC = _build_mulaw_encode()
_MULAW_DEC = _build_mulaw_decode()
_ALAW_ENC = _build_alaw_encode()
_ALAW_DEC = _build_alaw_decode()
for _table in (_MULAW_ENC, _MULAW_DEC, _ALAW_ENC, _ALAW_DEC):
    _table.setflags(write=False)


def _as_int16(pcm16: np.ndarray) -> np.ndarray:
    if not isinstance(pcm16, np.ndarray) or pcm16.dtype.kind != "i" or pcm16.dtype.itemsize != 2:
        dtype = getattr(pcm16, "dtype", type(pcm16).__name__)
        raise TypeError(f"G.711 encoding needs an int16 array, got {dtype}")
    return np.asarray(pcm16, dtype=np.int16)


def _as_codes(codes: np.ndarray | bytes) -> np.ndarray:
    if isinstance(codes, bytes | bytearray | memoryview):
        return np.frombuffer(bytes(codes), dtype=np.uint8)
    if not isinstance(codes, np.ndarray) or codes.dtype != np.uint8:
        dtype = getattr(codes, "dtype", type(codes).__name__)
        raise TypeError(f"G.711 decoding needs a uint8 array or bytes, got {dtype}")
    return codes


def mulaw_encode(pcm16: np.ndarray) -> np.ndarray:
    """int16 -> μ-law bytes (uint8, same shape). Zero encodes as 0xFF, the positive zero."""
    return _MULAW_ENC[_as_int16(pcm16).view(np.uint16)]


def mulaw_decode(codes: np.ndarray | bytes) -> np.ndarray:
    """μ-law bytes -> int16 (|x| <= 32124). 0x7F (negative zero) and 0xFF both decode to 0."""
    return _MULAW_DEC[_as_codes(codes)]


def alaw_encode(pcm16: np.ndarray) -> np.ndarray:
    """int16 -> A-law bytes (uint8, same shape); A-law has no zero level, 0 encodes as +8."""
    return _ALAW_ENC[_as_int16(pcm16).view(np.uint16)]


def alaw_decode(codes: np.ndarray | bytes) -> np.ndarray:
    """A-law bytes -> int16 (|x| in [8, 32256])."""
    return _ALAW_DEC[_as_codes(codes)]


# -------------------------------------------------------------------------------------------------
# Request audio
# -------------------------------------------------------------------------------------------------

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


def _check_rate(sample_rate: Any, what: str) -> int:
    ok = isinstance(sample_rate, int | np.integer) and not isinstance(sample_rate, bool)
    if not ok or not MIN_SAMPLE_RATE <= int(sample_rate) <= MAX_SAMPLE_RATE:
        raise TelephonyError(
            "bad_sample_rate",
            f"{what} must be an integer from {MIN_SAMPLE_RATE} to {MAX_SAMPLE_RATE} Hz, "
            f"got {sample_rate!r}.",
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
        accepted = ", ".join(sorted({*ENCODINGS, *CONTAINER_ENCODINGS}))
        raise TelephonyError(
            "unsupported_encoding",
            f"encoding={encoding!r} is not supported; use one of {accepted}, or omit it for WAV.",
        )
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


def _float_to_pcm16(x: np.ndarray) -> np.ndarray:
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
    pcm = _float_to_pcm16(np.ravel(x))
    codec = ENCODINGS[name]
    if codec == "mulaw":
        return mulaw_encode(pcm).tobytes()
    if codec == "alaw":
        return alaw_encode(pcm).tobytes()
    return pcm.astype("<i2" if codec == "pcm_s16le" else ">i2").tobytes()


def to_model_rate(x: np.ndarray, sr: int, target: int = MODEL_SR) -> np.ndarray:
    """Resample mono float audio to the models' rate with soxr HQ (a copy when already there)."""
    if sr <= 0 or target <= 0:
        raise ValueError(f"sample rates must be positive, got {sr} -> {target}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"expected mono (frames,) samples, got shape {x.shape}")
    if sr == target:
        return x.copy()
    return soxr.resample(x, sr, target, quality=RESAMPLE_QUALITY).astype(np.float32, copy=False)


# -------------------------------------------------------------------------------------------------
# Telephone-channel simulation
# -------------------------------------------------------------------------------------------------

CODECS = ("mulaw", "alaw", "random")
_FILTER_ORDER = 6  # Butterworth band-pass, applied forward and backward (zero phase)


def channel_plan(
    item_id: str, seed: int, *, probability: float = 1.0, codec: str = "mulaw"
) -> str | None:
    """The codec the channel applies to this item, or None when it leaves the item clean.

    A pure function of sha256(seed, item_id): independent of process, PYTHONHASHSEED, order and
    sharding, so a rerun, another worker or the evaluation sees exactly the same decision.
    """
    digest = _digest(item_id, seed)
    _check_probability(probability)
    _check_codec(codec)
    u = int.from_bytes(digest[:8], "big") / 2.0**64  # uniform in [0, 1)
    if not u < probability:
        return None
    if codec == "random":
        return "mulaw" if digest[8] & 1 else "alaw"
    return codec


def _digest(item_id: str, seed: int) -> bytes:
    if not isinstance(item_id, str):
        raise TypeError(f"item_id must be a str, got {type(item_id).__name__}")
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    return hashlib.sha256(f"telephone-channel\0{int(seed)}\0{item_id}".encode()).digest()


def _check_probability(p: Any) -> None:
    if not _is_number(p) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"probability must be a number in [0, 1], got {p!r}")


def _check_codec(codec: Any) -> None:
    if codec not in CODECS:
        raise ValueError(f"codec must be one of {', '.join(CODECS)}, got {codec!r}")


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


def _check_low(low_hz: Any) -> None:
    if not _is_number(low_hz) or not 0.0 <= float(low_hz) < TELEPHONE_SR / 2:
        raise ValueError(f"low_hz must be a number >= 0 (0: no high-pass), got {low_hz!r}")


def _check_band(low_hz: Any, high_hz: Any) -> None:
    _check_low(low_hz)
    nyquist = TELEPHONE_SR / 2
    if not _is_number(high_hz) or not low_hz < high_hz < nyquist:
        raise ValueError(
            f"high_hz must be a number above low_hz ({low_hz!r}) and below {nyquist:g} Hz "
            f"(the 8 kHz channel's Nyquist frequency), got {high_hz!r}"
        )


def _check_seed(seed: Any) -> None:
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer, got {seed!r}")


def _check_snr(snr_db: Any) -> None:
    if snr_db is not None and (not _is_number(snr_db) or not math.isfinite(snr_db)):
        raise ValueError(f"snr_db must be a finite number or null (no noise), got {snr_db!r}")


def _bandpass(x: np.ndarray, low_hz: float, high_hz: float, sr: int) -> np.ndarray:
    """Zero-phase Butterworth: keeps the words where they were (alignments, VAD stay valid)."""
    if low_hz > 0:
        sos = signal.butter(_FILTER_ORDER, [low_hz, high_hz], "bandpass", fs=sr, output="sos")
    else:
        sos = signal.butter(_FILTER_ORDER, high_hz, "lowpass", fs=sr, output="sos")
    if x.size < 2:
        return x.astype(np.float64)
    padlen = min(3 * (2 * len(sos) + 1), x.size - 1)
    return signal.sosfiltfilt(sos, x.astype(np.float64), padlen=padlen)


def _fit_length(y: np.ndarray, n: int) -> np.ndarray:
    if y.size >= n:
        return y[:n]
    return np.concatenate([y, np.zeros(n - y.size, dtype=y.dtype)])


def telephone_channel(
    x: np.ndarray,
    item_id: str,
    seed: int,
    *,
    codec: str = "mulaw",
    low_hz: float = 300.0,
    high_hz: float = 3400.0,
    snr_db: float | None = None,
    probability: float = 1.0,
    sr: int = MODEL_SR,
) -> np.ndarray:
    """What a phone call does to clean audio: band-limit, 8 kHz, G.711, optional line noise.

    Deterministic per (item_id, seed) (see channel_plan), so training, reruns and evaluation agree.
    Mono float input at `sr`; returns float32 at `sr`, same length, in [-1, 1]. Items the plan
    leaves clean come back as an unchanged float32 copy. The noise is white Gaussian, limited to
    the channel's band, scaled so that in-band signal power / noise power is exactly snr_db (no
    noise on an all-zero input).
    """
    _check_codec(codec)
    _check_band(low_hz, high_hz)
    _check_snr(snr_db)
    _check_probability(probability)
    if not isinstance(sr, int | np.integer) or sr < TELEPHONE_SR:
        raise ValueError(f"sr must be an int >= {TELEPHONE_SR}, got {sr!r}")
    x = np.asarray(x)
    if x.ndim != 1 or x.dtype.kind != "f":
        raise ValueError(f"expected mono float samples of shape (frames,), got {x.dtype} {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("the input has NaN or Inf samples; standardize the audio first")
    plan = channel_plan(item_id, seed, probability=probability, codec=codec)
    if plan is None or x.size == 0:
        return x.astype(np.float32, copy=True)

    n = x.size
    band = _bandpass(x, low_hz, high_hz, sr)
    narrow = (
        soxr.resample(band, sr, TELEPHONE_SR, quality=RESAMPLE_QUALITY)
        if sr != TELEPHONE_SR
        else band
    )
    if snr_db is not None and narrow.size:
        rng = np.random.default_rng(int.from_bytes(_digest(item_id, seed)[16:], "big"))
        noise = _bandpass(rng.standard_normal(narrow.size), low_hz, high_hz, TELEPHONE_SR)
        p_signal = float(np.mean(np.square(narrow)))
        p_noise = float(np.mean(np.square(noise)))
        if p_signal > 0.0 and p_noise > 0.0:
            narrow = narrow + noise * math.sqrt(p_signal / (p_noise * 10.0 ** (snr_db / 10.0)))
    pcm = _float_to_pcm16(narrow)
    if plan == "mulaw":
        pcm = mulaw_decode(mulaw_encode(pcm))
    else:
        pcm = alaw_decode(alaw_encode(pcm))
    heard = pcm.astype(np.float32) / np.float32(32768.0)
    if sr != TELEPHONE_SR:
        heard = soxr.resample(heard, TELEPHONE_SR, sr, quality=RESAMPLE_QUALITY)
    out = np.clip(_fit_length(np.asarray(heard, dtype=np.float32), n), -1.0, 1.0)
    return np.nan_to_num(out, nan=0.0).astype(np.float32, copy=False)


@dataclass(frozen=True)
class ChannelSettings:
    """The telephone channel as configured for a trainer or evaluator (one config section)."""

    probability: float = 1.0
    codec: str = "mulaw"
    low_hz: float = 300.0
    high_hz: float = 3400.0
    snr_db: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        _check_probability(self.probability)
        _check_codec(self.codec)
        _check_band(self.low_hz, self.high_hz)
        _check_snr(self.snr_db)
        _check_seed(self.seed)

    @classmethod
    def from_config(cls, d: dict[str, Any] | None, where: str = "telephone") -> ChannelSettings:
        """Validate a config mapping; every error names the offending key as `where.key`."""
        if d is None:
            return cls()
        if not isinstance(d, dict):
            raise ValueError(f"config key '{where}': must be a mapping, got {type(d).__name__}")
        allowed = tuple(cls.__dataclass_fields__)
        unknown = sorted(str(k) for k in d if k not in allowed)
        if unknown:
            raise ValueError(
                f"config key '{where}': unknown key(s) {', '.join(unknown)}; "
                f"allowed keys here: {', '.join(sorted(allowed))}"
            )
        defaults = cls()
        values = {k: d.get(k, getattr(defaults, k)) for k in allowed}
        checks = {
            "probability": lambda: _check_probability(values["probability"]),
            "codec": lambda: _check_codec(values["codec"]),
            "low_hz": lambda: _check_low(values["low_hz"]),
            "high_hz": lambda: _check_band(values["low_hz"], values["high_hz"]),
            "snr_db": lambda: _check_snr(values["snr_db"]),
            "seed": lambda: _check_seed(values["seed"]),
        }
        for key, check in checks.items():
            try:
                check()
            except ValueError as exc:
                raise ValueError(f"config key '{where}.{key}': {exc}") from None
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain, key-sorted dict: stable Snakemake params and manifest fields."""
        return dict(sorted(asdict(self).items()))

    def apply(self, x: np.ndarray, item_id: str, sr: int = MODEL_SR) -> np.ndarray:
        """telephone_channel with these settings."""
        return telephone_channel(
            x,
            item_id,
            self.seed,
            codec=self.codec,
            low_hz=self.low_hz,
            high_hz=self.high_hz,
            snr_db=self.snr_db,
            probability=self.probability,
            sr=sr,
        )

    def plan(self, item_id: str) -> str | None:
        """channel_plan with these settings: the codec applied to item_id, or None."""
        return channel_plan(item_id, self.seed, probability=self.probability, codec=self.codec)


def channel_wav(wav: bytes, item_id: str, settings: ChannelSettings) -> bytes:
    """One stored 16 kHz mono PCM16 WAV through the telephone channel, as the same kind of WAV.

    What the evaluators feed a model to score it on the call it will hear (deterministic per
    item id and seed, so a candidate and its champion hear exactly the same degraded audio).
    """
    from foundry import audio

    pcm, sr = audio.read_wav(wav)
    x = pcm.astype(np.float32) / 32768.0
    return audio.encode_wav(audio.to_pcm16(settings.apply(x, item_id, sr)), sr)
