"""The telephone channel as a simulation: band-pass, 8 kHz, G.711, optional noise, applied to
clean 16 kHz corpora deterministically per item, so that models learn and are measured on what
production actually hears (training's engines.<engine>.telephone, the gate's telephone channel).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import soxr
from scipy import signal

from foundry.config import defaults
from foundry.engines import SAMPLE_RATE
from foundry.g711 import alaw_decode, alaw_encode, mulaw_decode, mulaw_encode
from foundry.telephony import RESAMPLE_QUALITY, TELEPHONE_SR, float_to_pcm16

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
    sr: int = SAMPLE_RATE,
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
    pcm = float_to_pcm16(narrow)
    if plan == "mulaw":
        pcm = mulaw_decode(mulaw_encode(pcm))
    else:
        pcm = alaw_decode(alaw_encode(pcm))
    heard = pcm.astype(np.float32) / np.float32(32768.0)
    if sr != TELEPHONE_SR:
        heard = soxr.resample(heard, TELEPHONE_SR, sr, quality=RESAMPLE_QUALITY)
    out = np.clip(_fit_length(np.asarray(heard, dtype=np.float32), n), -1.0, 1.0)
    return np.nan_to_num(out, nan=0.0).astype(np.float32, copy=False)


_DEFAULT = defaults("deploy", "channel")


@dataclass(frozen=True)
class ChannelSettings:
    """The telephone channel as configured for a trainer or evaluator (one config section)."""

    # the schema's deploy.channel defaults: every item, mu-law, the telephone band, no noise
    probability: float = _DEFAULT["probability"]
    codec: str = _DEFAULT["codec"]
    low_hz: float = _DEFAULT["low_hz"]
    high_hz: float = _DEFAULT["high_hz"]
    snr_db: float | None = _DEFAULT["snr_db"]
    seed: int = _DEFAULT["seed"]

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

    def apply(self, x: np.ndarray, item_id: str, sr: int = SAMPLE_RATE) -> np.ndarray:
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
