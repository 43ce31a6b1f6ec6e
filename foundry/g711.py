"""G.711 μ-law and A-law (ITU-T Recommendation G.711, 11/1988), exact and table-driven.

What the public telephone network carries: the service decodes callers' audio with it, the
channel simulation encodes training audio with it.
"""

from __future__ import annotations

import numpy as np

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
