"""Turn arbitrary dataset audio bytes into canonical 16 kHz mono PCM16 WAV, or say exactly why not.

The chain is decode -> source checks -> downmix -> DC removal -> soxr HQ resample -> int16 ->
standard checks -> hand-written WAV. Every step is a pure function of its input so that the same
bytes always produce byte-identical output (the silver/gold layers are content-addressed).
Float32 and whole-array numpy operations throughout: this runs on every clip of every dataset.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import struct
from dataclasses import dataclass

import numpy as np
import soundfile as sf
import soxr

from foundry import reasons
from foundry.engines import SAMPLE_RATE
from foundry.errors import Reject
from foundry.settings import AudioChecks

RESAMPLE_QUALITY = "HQ"

# |x| at or above this counts as a full-scale (clipped) sample of the *source*.
FULL_SCALE = 0.999

# Reject reasons this module can produce (foundry/reasons.py says what each means).
AUDIO_REJECT_REASONS = reasons.names("audio")

# PCM16 <-> float uses 32768 so that a 16 kHz PCM16 source read by soundfile (which divides by
# 32768) comes back bit-exact instead of being rescaled by 32767/32768.
_PCM16_SCALE = 32768.0

_WAV_HEADER = struct.Struct("<4sI4s4sIHHIIHH4sI")
_BYTESIO_REPR = re.compile(r"<_io\.BytesIO object at 0x[0-9a-fA-F]+>")


DEFAULT_CHECKS = AudioChecks()


class AudioReject(Reject):
    """An item that cannot become training audio; reason is one of the fixed reject reasons."""

    REASONS = AUDIO_REJECT_REASONS
    KIND = "audio reject"


@dataclass(frozen=True, eq=False)
class StandardAudio:
    """A standardized clip plus what it was made from (kept for manifests and debugging)."""

    pcm16: np.ndarray  # int16, 1-D, 16 kHz mono, read-only
    sample_rate: int  # always SAMPLE_RATE
    duration: float  # seconds (len / sample_rate)
    source_sample_rate: int
    source_channels: int
    source_format: str  # e.g. "WAV/PCM_16", "FLAC/PCM_24", "OGG/VORBIS", "MP3/MPEG_LAYER_III"


def _libsndfile_message(exc: Exception) -> str:
    """Error text without the BytesIO address soundfile embeds (it would break determinism)."""
    msg = getattr(exc, "error_string", None)
    if not msg:
        msg = _BYTESIO_REPR.sub("<bytes>", str(exc)).strip() or type(exc).__name__
    return msg.strip()


_INV_PCM16 = np.float32(1.0 / 32768.0)


def _undecodable(data: bytes, why: str) -> AudioReject:
    head = bytes(data[:16]).hex()
    return AudioReject(
        "undecodable",
        f"soundfile could not read the bytes: {why} ({len(data)} bytes; first bytes: 0x{head})",
    )


def decode(data: bytes, max_duration: float | None = None) -> tuple[np.ndarray, int, str]:
    """Decode any soundfile-readable container from bytes, sniffing the format from the content.

    Returns float32 samples shaped (frames, channels), the sample rate and "FORMAT/SUBTYPE".
    With max_duration, a file whose header already announces a longer duration is rejected as
    too_long before its samples are decoded, so an hour-long recording costs nothing.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"decode() needs bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise AudioReject("empty_audio", "0 bytes of input (empty file)")
    try:
        f = sf.SoundFile(io.BytesIO(data))
    except (sf.SoundFileError, RuntimeError, ValueError, EOFError, OSError) as exc:
        raise _undecodable(data, _libsndfile_message(exc)) from exc
    with f:
        sr, channels, frames = int(f.samplerate), int(f.channels), int(f.frames)
        fmt = f"{f.format}/{f.subtype}"
        if sr <= 0 or channels <= 0:
            raise _undecodable(data, f"header has {sr} Hz and {channels} channels")
        declared = frames
        if f.format in ("WAV", "WAVEX"):  # libsndfile trims a cut data chunk to what is there
            declared = max(frames, _wav_declared_frames(data) or 0)
        if frames <= 0:
            raise AudioReject(
                "empty_audio",
                f"the {fmt} header ({sr} Hz, {channels} ch) reports 0 frames "
                "(empty or truncated file)",
            )
        if max_duration is not None and frames / sr > max_duration:
            raise AudioReject(
                "too_long",
                f"duration {frames / sr:.3f} s (from the {fmt} header) > max "
                f"{max_duration:g} s (config audio.max_duration)",
            )
        try:
            if f.subtype == "PCM_16":
                # libsndfile turns 16-bit samples into floats by this exact power-of-two
                # scaling; reading the integers skips its conversion loop (a WAV decodes ~8x
                # cheaper) and gives bit-identical samples (tests/test_audio.py)
                x = np.multiply(f.read(dtype="int16", always_2d=True), _INV_PCM16, dtype=np.float32)
            else:
                x = f.read(dtype="float32", always_2d=True)
        except (sf.SoundFileError, RuntimeError, ValueError, EOFError, OSError) as exc:
            raise _truncated(fmt, declared, 0, sr, _libsndfile_message(exc)) from exc
    if declared - x.shape[0] > max(declared // 100, TRUNCATION_SLACK_FRAMES):
        raise _truncated(fmt, declared, x.shape[0], sr)
    return x, sr, fmt


# Decoded may fall short of the header by an MP3 frame of encoder padding; a cut file by more.
TRUNCATION_SLACK_FRAMES = 1152


def _truncated(fmt: str, declared: int, decoded: int, sr: int, why: str = "") -> AudioReject:
    stop = f" ({why})" if why else ""
    return AudioReject(
        "truncated",
        f"the {fmt} header declares {declared / sr:.3f} s but decoding stopped at "
        f"{decoded / sr:.3f} s{stop}: the file is cut short or damaged (a transcript of the "
        "whole clip would not match it); fetch it again",
    )


def _wav_declared_frames(data: bytes) -> int | None:
    """Frames the RIFF data chunk declares (None: no usable header, or a streaming size)."""
    pos, block = 12, 0
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        if cid == b"fmt " and pos + 22 <= len(data):
            block = struct.unpack_from("<H", data, pos + 20)[0]
        if cid == b"data":
            if not block or size in (0, 0xFFFFFFFF):
                return None
            return size // block
        pos += 8 + size + (size & 1)
    return None


def to_mono(x: np.ndarray) -> np.ndarray:
    """Average the channels: the IVR hears mono, and averaging keeps a dual-mono file's level."""
    if x.ndim == 1:
        return np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"expected (frames,) or (frames, channels) samples, got shape {x.shape}")
    channels = x.shape[1]
    if channels == 1:
        return np.array(x[:, 0], dtype=np.float32)  # contiguous copy, never a view of the input
    # Column-wise adds: x.mean(axis=1) is ~40x slower on (frames, 2) arrays.
    mono = np.add(x[:, 0], x[:, 1], dtype=np.float32)
    for c in range(2, channels):
        mono += x[:, c]
    mono *= np.float32(1.0 / channels)
    return mono


def remove_dc(x: np.ndarray, *, inplace: bool = False) -> np.ndarray:
    """Subtract the mean so a DC offset is not mistaken for loudness or pushed into clipping.

    inplace=True reuses a float32 buffer the caller owns: one large allocation less per clip.
    """
    mean = np.float32(np.mean(x, dtype=np.float64)) if x.size else np.float32(0.0)
    if inplace:
        if x.dtype != np.float32:
            raise ValueError(f"in-place DC removal needs float32 samples, got {x.dtype}")
        x -= mean
        return x
    return np.subtract(x, mean, dtype=np.float32)


def resample(x: np.ndarray, sr: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited soxr HQ resampling; no filtering at all when the rate already matches."""
    if sr <= 0 or target <= 0:
        raise ValueError(f"sample rates must be positive, got {sr} -> {target}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    if sr == target:
        return x
    return soxr.resample(x, sr, target, quality=RESAMPLE_QUALITY).astype(np.float32, copy=False)


def to_pcm16(y: np.ndarray) -> np.ndarray:
    """Round (half to even) and saturate, so overs clip instead of wrapping around."""
    z = np.multiply(y, np.float32(_PCM16_SCALE), dtype=np.float32)
    np.rint(z, out=z)
    np.clip(z, -32768.0, 32767.0, out=z)
    return z.astype(np.int16)


def check_source(x: np.ndarray, sr: int, checks: AudioChecks) -> None:
    """Reject on the decoded source before any arithmetic can hide NaN/Inf or waste resampling."""
    n = int(x.size)
    if n == 0:
        raise AudioReject("empty_audio", "0 samples decoded")
    lo, hi = float(np.min(x)), float(np.max(x))  # NaN propagates; cheap vs. a full mask
    if not (math.isfinite(lo) and math.isfinite(hi)):
        bad = ~np.isfinite(x)
        n_bad = int(np.count_nonzero(bad))
        n_nan = int(np.count_nonzero(np.isnan(x)))
        first = int(np.argmax(bad.reshape(x.shape[0], -1).any(axis=1)))
        raise AudioReject(
            "non_finite",
            f"{n_bad} of {n} samples are NaN/Inf ({n_nan} NaN, {n_bad - n_nan} Inf; "
            f"first at frame {first}, {first / sr:.3f} s)",
        )
    duration = x.shape[0] / sr
    if duration > checks.max_duration:
        raise AudioReject(
            "too_long",
            f"duration {duration:.3f} s > max {checks.max_duration:g} s "
            "(config audio.max_duration)",
        )
    if hi >= FULL_SCALE or lo <= -FULL_SCALE:
        n_clip = int(np.count_nonzero(np.abs(x) >= FULL_SCALE))
        share = n_clip / n
        if share > checks.clip_fraction:
            raise AudioReject(
                "clipping",
                f"{share:.2%} of samples ({n_clip} of {n}) at full scale (|x| >= {FULL_SCALE}) "
                f"> {checks.clip_fraction:.2%} (config audio.clip_fraction)",
            )


def rms_dbfs(y: np.ndarray) -> float:
    """RMS level relative to full scale 1.0 (int16 input is scaled by 1/32768); -inf for zeros."""
    if y.size == 0:
        return -math.inf
    if np.issubdtype(y.dtype, np.integer):
        v = y.astype(np.int64, copy=False).ravel()
        energy = float(np.dot(v, v)) / (_PCM16_SCALE * _PCM16_SCALE)  # exact integer sum
    else:
        v = y.astype(np.float64, copy=False).ravel()
        energy = float(np.sum(np.square(v)))  # not np.dot: BLAS may thread and reorder sums
    if energy <= 0.0:
        return -math.inf
    return 10.0 * math.log10(energy / y.size)


def check_standard(y: np.ndarray, checks: AudioChecks) -> None:
    """Checks that only make sense on the final 16 kHz mono signal (int16 or float accepted)."""
    n = int(y.size)
    if n == 0:
        raise AudioReject("empty_audio", "0 samples after resampling to 16 kHz")
    duration = n / SAMPLE_RATE
    if duration < checks.min_duration:
        raise AudioReject(
            "too_short",
            f"duration {duration:.3f} s < min {checks.min_duration:g} s "
            "(config audio.min_duration)",
        )
    if duration > checks.max_duration:
        raise AudioReject(
            "too_long",
            f"duration {duration:.3f} s > max {checks.max_duration:g} s "
            "(config audio.max_duration)",
        )
    level = rms_dbfs(y)
    if level < checks.silence_dbfs:
        shown = "-inf dBFS (all samples are zero)" if level == -math.inf else f"{level:.2f} dBFS"
        raise AudioReject(
            "silence",
            f"RMS {shown} < {checks.silence_dbfs:g} dBFS (config audio.silence_dbfs)",
        )


def standardize(data: bytes, checks: AudioChecks = DEFAULT_CHECKS) -> StandardAudio:
    """Bytes in, training-ready 16 kHz mono PCM16 out; raises AudioReject with a reason."""
    x, sr, fmt = decode(data, max_duration=checks.max_duration)
    check_source(x, sr, checks)
    channels = int(x.shape[1])
    mono = to_mono(x)  # always a fresh array, so DC can be removed in place
    del x
    y = resample(remove_dc(mono, inplace=True), sr, SAMPLE_RATE)
    pcm = to_pcm16(y)
    check_standard(pcm, checks)
    pcm.setflags(write=False)
    return StandardAudio(
        pcm16=pcm,
        sample_rate=SAMPLE_RATE,
        duration=pcm.size / SAMPLE_RATE,
        source_sample_rate=sr,
        source_channels=channels,
        source_format=fmt,
    )


def _as_pcm16(pcm16: np.ndarray) -> np.ndarray:
    ok = isinstance(pcm16, np.ndarray) and pcm16.dtype.kind == "i" and pcm16.dtype.itemsize == 2
    if not ok or pcm16.ndim != 1:
        shape = getattr(pcm16, "shape", None)
        dtype = getattr(pcm16, "dtype", type(pcm16).__name__)
        raise ValueError(f"expected a 1-D int16 array, got dtype {dtype} shape {shape}")
    return np.ascontiguousarray(pcm16, dtype="<i2")


def encode_wav(pcm16: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """Canonical 44-byte-header WAV by hand: no library version can add chunks or padding."""
    samples = _as_pcm16(pcm16)
    if not isinstance(sample_rate, int | np.integer) or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive int, got {sample_rate!r}")
    size = samples.size * 2
    if size > 0xFFFFFFFF - 36:
        raise ValueError(f"{samples.size} samples do not fit in a RIFF/WAVE file")
    sr = int(sample_rate)
    header = _WAV_HEADER.pack(
        b"RIFF", 36 + size, b"WAVE", b"fmt ", 16, 1, 1, sr, sr * 2, 2, 16, b"data", size
    )
    return header + samples.tobytes()


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Strict RIFF/WAVE reader for validation: anything but plain mono PCM16 is a ValueError."""
    data = bytes(data)
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"not a RIFF/WAVE file (first bytes: 0x{data[:12].hex()})")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    if riff_size + 8 != len(data):
        raise ValueError(f"RIFF size {riff_size} + 8 != file size {len(data)}")
    fmt: tuple[int, int, int, int, int, int] | None = None
    pcm: np.ndarray | None = None
    pos = 12
    while pos < len(data):
        if pos + 8 > len(data):
            raise ValueError(f"truncated chunk header at byte {pos}")
        cid, csize = struct.unpack_from("<4sI", data, pos)
        body = pos + 8
        if body + csize > len(data):
            raise ValueError(f"chunk {cid!r} at byte {pos} runs past the end of the file")
        if cid == b"fmt ":
            if fmt is not None:
                raise ValueError("more than one fmt chunk")
            if csize < 16:
                raise ValueError(f"fmt chunk is {csize} bytes, need >= 16")
            fmt = struct.unpack_from("<HHIIHH", data, body)
            tag, channels, sr, byte_rate, block_align, bits = fmt
            if tag != 1:
                raise ValueError(f"format tag {tag:#06x} is not plain PCM (1)")
            if channels != 1:
                raise ValueError(f"{channels} channels, expected mono")
            if bits != 16 or block_align != 2:
                raise ValueError(f"{bits}-bit samples (block align {block_align}), expected 16-bit")
            if sr <= 0 or byte_rate != sr * 2:
                raise ValueError(f"inconsistent rates: {sr} Hz with byte rate {byte_rate}")
        elif cid == b"data":
            if fmt is None:
                raise ValueError("data chunk before fmt chunk")
            if pcm is not None:
                raise ValueError("more than one data chunk")
            if csize % 2:
                raise ValueError(f"data chunk of {csize} bytes is not a whole number of samples")
            pcm = np.frombuffer(data, dtype="<i2", count=csize // 2, offset=body)
        pos = body + csize + (csize & 1)  # RIFF chunks are word aligned
    if fmt is None or pcm is None:
        raise ValueError("missing fmt or data chunk")
    return pcm.astype(np.int16), int(fmt[2])


def audio_sha256(pcm16: np.ndarray) -> str:
    """Hash of the little-endian samples only, so identical audio matches whatever the container."""
    return hashlib.sha256(_as_pcm16(pcm16).tobytes()).hexdigest()
