"""foundry.telephony: G.711 against libsndfile, request decoding, the channel simulation.

Everything is synthesised in memory; no network, no files, no timing asserts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import pickle
import struct

import numpy as np
import pytest
import soundfile as sf

from foundry.g711 import alaw_decode, alaw_encode, mulaw_decode, mulaw_encode
from foundry.phone_channel import ChannelSettings, channel_plan, telephone_channel
from foundry.telephony import (
    ENCODINGS,
    TELEPHONY_ERROR_REASONS,
    TelephonyError,
    decode_telephony,
    encode_telephony,
    to_model_rate,
)

SR = 16000
ALL_INT16 = np.arange(-32768, 32768, dtype=np.int32).astype(np.int16)
ALL_CODES = np.arange(256, dtype=np.uint8)
CODECS = {
    "ULAW": (mulaw_encode, mulaw_decode),
    "ALAW": (alaw_encode, alaw_decode),
}


def tone(freq: float, seconds: float = 2.0, amp: float = 0.5, sr: int = SR) -> np.ndarray:
    t = np.arange(int(round(sr * seconds))) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def power(x: np.ndarray) -> float:
    return float(np.mean(np.square(x.astype(np.float64))))


def inner(x: np.ndarray, sr: int = SR) -> np.ndarray:
    """Drop 0.2 s at each end: filter and resampler edges are not what a test measures."""
    return x[sr // 5 : -sr // 5]


def sndfile_raw_decode(codes: np.ndarray, subtype: str) -> np.ndarray:
    return sf.read(
        io.BytesIO(codes.tobytes()),
        format="RAW",
        subtype=subtype,
        samplerate=8000,
        channels=1,
        dtype="int16",
    )[0]


def sndfile_raw_encode(pcm16: np.ndarray, subtype: str) -> np.ndarray:
    buf = io.BytesIO()
    sf.write(buf, pcm16, 8000, format="RAW", subtype=subtype)
    return np.frombuffer(buf.getvalue(), dtype=np.uint8)


def wav_bytes(x: np.ndarray, sr: int, subtype: str, fmt: str = "WAV") -> bytes:
    buf = io.BytesIO()
    sf.write(buf, x, sr, format=fmt, subtype=subtype)
    return buf.getvalue()


def riff_chunks(data: bytes) -> dict[bytes, bytes]:
    chunks, pos = {}, 12
    while pos + 8 <= len(data):
        cid, size = struct.unpack_from("<4sI", data, pos)
        chunks[cid] = data[pos + 8 : pos + 8 + size]
        pos += 8 + size + (size & 1)
    return chunks


# --- G.711 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("subtype", sorted(CODECS))
def test_decode_of_every_code_matches_libsndfile(subtype):
    _, decode = CODECS[subtype]
    ours = decode(ALL_CODES)
    assert ours.dtype == np.int16
    np.testing.assert_array_equal(ours, sndfile_raw_decode(ALL_CODES, subtype))


@pytest.mark.parametrize("subtype", sorted(CODECS))
def test_encode_of_every_int16_matches_libsndfile(subtype):
    encode, _ = CODECS[subtype]
    ours = encode(ALL_INT16)
    assert ours.dtype == np.uint8 and ours.shape == ALL_INT16.shape
    np.testing.assert_array_equal(ours, sndfile_raw_encode(ALL_INT16, subtype))


@pytest.mark.parametrize(("subtype", "tag"), [("ULAW", 7), ("ALAW", 6)])
def test_wav_container_carries_the_g711_format_tag_and_our_bytes(subtype, tag):
    encode, _ = CODECS[subtype]
    x = np.random.default_rng(7).integers(-32768, 32768, 4001).astype(np.int16)
    data = wav_bytes(x, 8000, subtype)
    chunks = riff_chunks(data)
    fmt_tag, channels, rate = struct.unpack_from("<HHI", chunks[b"fmt "])
    assert (fmt_tag, channels, rate) == (tag, 1, 8000)
    assert chunks[b"data"] == encode(x).tobytes()


def test_g711_table_anchors():
    # G.711 tables 2a/1a: top decoder outputs 8031 (14-bit μ-law) and 4032 (13-bit A-law).
    assert int(mulaw_decode(ALL_CODES).max()) == 8031 << 2 == 32124
    assert int(alaw_decode(ALL_CODES).max()) == 4032 << 3 == 32256
    # Smallest levels: μ-law has a zero level and a first step of 2 (14-bit); A-law has no zero.
    assert sorted(set(np.abs(mulaw_decode(ALL_CODES)).tolist()))[:3] == [0, 8, 16]
    assert sorted(set(np.abs(alaw_decode(ALL_CODES)).tolist()))[:2] == [8, 24]
    # The idle codes: μ-law positive zero is 0xFF, A-law's smallest positive level is 0xD5.
    assert mulaw_encode(np.zeros(1, np.int16))[0] == 0xFF
    assert alaw_encode(np.zeros(1, np.int16))[0] == 0xD5
    assert mulaw_decode(np.array([0x7F, 0xFF], np.uint8)).tolist() == [0, 0]


def test_mulaw_round_trip_of_every_code():
    back = mulaw_encode(mulaw_decode(ALL_CODES))
    expected = ALL_CODES.copy()
    expected[0x7F] = 0xFF  # negative zero decodes to 0, which encodes as positive zero
    np.testing.assert_array_equal(back, expected)


def test_alaw_round_trip_of_every_code():
    np.testing.assert_array_equal(alaw_encode(alaw_decode(ALL_CODES)), ALL_CODES)


@pytest.mark.parametrize("subtype", sorted(CODECS))
def test_quantizer_is_monotonic_and_symmetric(subtype):
    encode, decode = CODECS[subtype]
    y = decode(encode(ALL_INT16)).astype(np.int32)
    assert np.all(np.diff(y) >= 0)
    assert np.abs(y - ALL_INT16).max() <= 1024  # half of the top segment's step of 2048
    # sign-magnitude: flipping the sign bit negates the output
    np.testing.assert_array_equal(decode(ALL_CODES ^ 0x80), -decode(ALL_CODES))


@pytest.mark.parametrize("subtype", sorted(CODECS))
def test_each_level_is_the_midpoint_of_its_decision_interval(subtype):
    # G.711 reproduction values are interval midpoints (not nearest levels: at a segment boundary
    # the step doubles, so the input just above it goes up to the wider step's midpoint).
    encode, decode = CODECS[subtype]
    x = ALL_INT16.astype(np.int64)
    y = decode(encode(ALL_INT16)).astype(np.int64)
    levels, first, counts = np.unique(y, return_index=True, return_counts=True)
    assert np.array_equal(np.repeat(levels, counts), y)  # every interval is contiguous
    lo, hi = x[first], x[first] + counts - 1
    off = np.abs(levels - (lo + hi) / 2)
    if subtype == "ULAW":
        # μ-law: 255 levels (±0 share one), and the two top intervals absorb the overload range
        assert levels.size == 255 and off[1:-1].max() == 0.5 and (lo[-1], hi[0]) == (31612, -31612)
    else:
        assert levels.size == 256 and off.max() == 0.5


def test_codecs_keep_shape_and_accept_bytes():
    x = np.array([[0, 1000], [-1000, 32767]], dtype=np.int16)
    assert mulaw_encode(x).shape == (2, 2) and mulaw_decode(mulaw_encode(x)).shape == (2, 2)
    np.testing.assert_array_equal(mulaw_decode(bytes([0, 0x80])), mulaw_decode(ALL_CODES[[0, 128]]))
    np.testing.assert_array_equal(alaw_decode(bytearray([0xD5])), [8])
    with pytest.raises(TypeError, match="int16"):
        mulaw_encode(np.zeros(3, np.float32))
    with pytest.raises(TypeError, match="uint8"):
        alaw_decode(np.zeros(3, np.int16))


# --- request audio -------------------------------------------------------------------------------


@pytest.mark.parametrize(("subtype", "codec"), [("ULAW", "mulaw"), ("ALAW", "alaw")])
def test_wav_g711_decodes_like_headerless(subtype, codec):
    x = (tone(440.0, 0.5, sr=8000) * 32767).astype(np.int16)
    samples, sr = decode_telephony(wav_bytes(x, 8000, subtype))
    raw = encode_telephony(x.astype(np.float32) / 32768, codec)
    again, sr2 = decode_telephony(raw, codec, 8000)
    assert (sr, sr2) == (8000, 8000) and samples.dtype == np.float32
    np.testing.assert_array_equal(samples, again)
    encode, decode = CODECS[subtype]
    np.testing.assert_array_equal(samples, decode(encode(x)).astype(np.float32) / 32768)


def test_wav_pcm_any_rate_and_stereo_downmix():
    x = (tone(300.0, 0.25, sr=11025) * 20000).astype(np.int16)
    samples, sr = decode_telephony(wav_bytes(x, 11025, "PCM_16"), "wav", 11025)
    assert sr == 11025
    np.testing.assert_array_equal(samples, x.astype(np.float32) / 32768)
    stereo = np.stack([x, np.zeros_like(x)], axis=1)
    mono, _ = decode_telephony(wav_bytes(stereo, 11025, "PCM_16"))
    np.testing.assert_allclose(mono, x.astype(np.float32) / 65536, atol=1e-7)


@pytest.mark.parametrize("encoding", ["mulaw", "ulaw", "PCMU", " alaw ", "pcma"])
def test_headerless_g711_round_trip(encoding):
    canonical = ENCODINGS[encoding.strip().lower()]
    x = tone(1000.0, 0.3, amp=0.7, sr=8000)
    body = encode_telephony(x, encoding)
    assert len(body) == x.size
    samples, sr = decode_telephony(body, encoding, 8000)
    encode, decode = CODECS["ULAW" if canonical == "mulaw" else "ALAW"]
    pcm = np.clip(np.rint(x.astype(np.float64) * 32768), -32768, 32767).astype(np.int16)
    assert sr == 8000 and samples.dtype == np.float32
    np.testing.assert_array_equal(samples, decode(encode(pcm)).astype(np.float32) / 32768)


@pytest.mark.parametrize(("encoding", "order"), [("pcm16", "<"), ("pcm_s16le", "<"), ("l16", ">")])
def test_headerless_16_bit_round_trip_and_byte_order(encoding, order):
    pcm = np.array([0, 1, -1, 0x0102, -32768, 32767], dtype=np.int16)
    body = encode_telephony(pcm.astype(np.float32) / 32768, encoding)
    assert body == pcm.astype(f"{order}i2").tobytes()
    samples, sr = decode_telephony(body, encoding, 16000)
    assert sr == 16000
    np.testing.assert_array_equal(samples, pcm.astype(np.float32) / 32768)
    if encoding == "l16":
        assert body[6:8] == b"\x01\x02"  # RFC 3551: network byte order


def test_encode_telephony_saturates_and_rejects_unknown():
    body = encode_telephony(np.array([2.0, -2.0], np.float32), "pcm16")
    assert np.frombuffer(body, "<i2").tolist() == [32767, -32768]
    with pytest.raises(ValueError, match="encoding"):
        encode_telephony(np.zeros(2, np.float32), "opus")


def test_max_duration_is_checked_on_both_paths():
    x = tone(500.0, 2.0, sr=8000)
    with pytest.raises(TelephonyError) as raw:
        decode_telephony(encode_telephony(x, "mulaw"), "mulaw", 8000, max_duration=1.0)
    with pytest.raises(TelephonyError) as wav:
        decode_telephony(wav_bytes(x, 8000, "ULAW"), max_duration=1.0)
    assert raw.value.reason == wav.value.reason == "too_long"
    assert decode_telephony(encode_telephony(x, "alaw"), "alaw", 8000, max_duration=2.0)[1] == 8000


def _wav_with_nan() -> bytes:
    x = tone(500.0, 0.1, sr=8000)
    x[10] = np.nan
    return wav_bytes(x, 8000, "FLOAT")


ERROR_CASES = [
    ("unknown encoding", b"\x00\x01", "opus", 8000, "unsupported_encoding"),
    ("empty encoding", b"\x00\x01", "", 8000, "unsupported_encoding"),
    ("wav sent as mulaw", "wav", "mulaw", 8000, "unsupported_encoding"),
    ("no sample_rate", b"\xff" * 80, "mulaw", None, "bad_sample_rate"),
    ("zero rate", b"\xff" * 80, "alaw", 0, "bad_sample_rate"),
    ("huge rate", b"\xff" * 80, "alaw", 10**6, "bad_sample_rate"),
    ("string rate", b"\xff" * 80, "alaw", "8000", "bad_sample_rate"),
    ("bool rate", b"\xff" * 80, "alaw", True, "bad_sample_rate"),
    ("rate contradicts header", "wav", None, 16000, "bad_sample_rate"),
    ("odd pcm16", b"\x00\x01\x02", "pcm16", 8000, "odd_length"),
    ("odd l16", b"\x00", "l16", 8000, "odd_length"),
    ("empty raw", b"", "mulaw", 8000, "empty_audio"),
    ("empty container", b"", None, None, "empty_audio"),
    ("zero-frame wav", "empty_wav", None, None, "empty_audio"),
    ("headerless without encoding", b"\xff\x7f" * 400, None, None, "undecodable"),
    ("truncated wav", "truncated", "wav", None, "undecodable"),
    ("NaN in float wav", "nan_wav", None, None, "non_finite"),
]


@pytest.mark.parametrize(
    ("body", "encoding", "rate", "reason"),
    [c[1:] for c in ERROR_CASES],
    ids=[c[0] for c in ERROR_CASES],
)
def test_every_error_path_has_its_reason(body, encoding, rate, reason):
    if body == "wav":
        body = wav_bytes(tone(500.0, 0.1, sr=8000), 8000, "ULAW")
    elif body == "empty_wav":
        body = wav_bytes(np.zeros(0, np.int16), 8000, "PCM_16")
    elif body == "truncated":
        body = wav_bytes(tone(500.0, 0.1, sr=8000), 8000, "PCM_16")[:30]
    elif body == "nan_wav":
        body = _wav_with_nan()
    with pytest.raises(TelephonyError) as err:
        decode_telephony(body, encoding, rate)
    exc = err.value
    assert exc.reason == reason
    assert exc.detail.endswith(".") and "0x" not in exc.detail and "BytesIO" not in exc.detail
    assert str(exc).startswith(f"{reason}: ")
    clone = pickle.loads(pickle.dumps(exc))
    assert (clone.reason, clone.detail) == (exc.reason, exc.detail)


def test_reasons_are_fixed_and_covered():
    assert set(TELEPHONY_ERROR_REASONS) == {c[-1] for c in ERROR_CASES} | {"too_long"}
    with pytest.raises(ValueError, match="unknown"):
        TelephonyError("teapot", "no.")
    with pytest.raises(TypeError, match="bytes"):
        decode_telephony("not bytes", "mulaw", 8000)  # type: ignore[arg-type]


def test_to_model_rate():
    x = tone(1000.0, 1.0, sr=8000)
    y = to_model_rate(x, 8000)
    assert y.dtype == np.float32 and y.size == 16000
    assert abs(power(inner(y)) - power(inner(x, 8000))) < 1e-3
    same = to_model_rate(y, 16000)
    assert np.array_equal(same, y) and same is not y
    with pytest.raises(ValueError, match="positive"):
        to_model_rate(x, 0)
    with pytest.raises(ValueError, match="mono"):
        to_model_rate(np.zeros((2, 2), np.float32), 8000)


# --- the channel ---------------------------------------------------------------------------------


def speechlike(seconds: float = 2.0, seed: int = 3) -> np.ndarray:
    """Broadband stand-in for speech: noise with a slow envelope, some energy up to 8 kHz."""
    rng = np.random.default_rng(seed)
    n = int(SR * seconds)
    env = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * np.arange(n) / SR)
    return (0.2 * env * rng.standard_normal(n)).astype(np.float32)


def test_same_item_and_seed_give_byte_identical_output():
    x = speechlike()
    a = telephone_channel(x, "utt-1", 5, snr_db=15.0, codec="random")
    b = telephone_channel(x.copy(), "utt-1", 5, snr_db=15.0, codec="random")
    assert a.tobytes() == b.tobytes()
    assert telephone_channel(x, "utt-2", 5, snr_db=15.0).tobytes() != a.tobytes()
    assert telephone_channel(x, "utt-1", 6, snr_db=15.0).tobytes() != a.tobytes()


def test_plan_is_a_pinned_function_of_sha256():
    # Pinned counts: changing the hashing silently changes every telephone-trained model's data.
    ids = [f"utt-{i:04d}" for i in range(1000)]
    applied = [channel_plan(i, 0, probability=0.5) for i in ids]
    assert sum(a is not None for a in applied) == 504
    codecs = [channel_plan(i, 0, codec="random") for i in ids]
    assert codecs.count("mulaw") == 497 and codecs.count("alaw") == 503
    digest = hashlib.sha256(b"telephone-channel\x000\x00utt-0000").digest()
    u = int.from_bytes(digest[:8], "big") / 2.0**64
    assert (applied[0] is not None) == (u < 0.5)


def test_probability_zero_returns_the_input_unchanged():
    x = speechlike()
    y = telephone_channel(x, "utt-1", 0, probability=0.0, snr_db=5.0)
    assert y is not x and y.dtype == np.float32 and y.tobytes() == x.tobytes()
    x64 = x.astype(np.float64)
    assert telephone_channel(x64, "utt-1", 0, probability=0.0).dtype == np.float32


def test_probability_half_applies_to_about_half():
    x = tone(1000.0, 0.05)
    changed = sum(
        telephone_channel(x, f"item-{i}", 11, probability=0.5).tobytes() != x.tobytes()
        for i in range(1000)
    )
    assert 450 <= changed <= 550


def test_random_codec_matches_the_plan():
    x = speechlike(0.5)
    seen = set()
    for i in range(20):
        plan = channel_plan(f"r{i}", 1, codec="random")
        seen.add(plan)
        got = telephone_channel(x, f"r{i}", 1, codec="random")
        assert got.tobytes() == telephone_channel(x, f"r{i}", 1, codec=plan).tobytes()
    assert seen == {"mulaw", "alaw"}


@pytest.mark.parametrize("codec", ["mulaw", "alaw"])
def test_band_limiting(codec):
    def gain_db(freq: float) -> float:
        x = tone(freq)
        y = telephone_channel(x, "band", 0, codec=codec)
        return 10 * np.log10(max(power(inner(y)), 1e-30) / power(inner(x)))

    assert gain_db(6000.0) < -30.0
    assert gain_db(4500.0) < -30.0
    assert gain_db(3800.0) < -15.0
    assert gain_db(100.0) < -30.0
    assert abs(gain_db(1000.0)) < 0.5
    assert abs(gain_db(2000.0)) < 0.5


def _measured_snr_db(y: np.ndarray, freq: float) -> float:
    t = np.arange(y.size) / SR
    basis = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t)], axis=1)
    ys, bs = inner(y).astype(np.float64), inner(basis)
    coef, *_ = np.linalg.lstsq(bs, ys, rcond=None)
    fit = bs @ coef
    return 10 * np.log10(power(fit) / power(ys - fit))


@pytest.mark.parametrize("codec", ["mulaw", "alaw"])
@pytest.mark.parametrize("snr_db", [0.0, 10.0, 20.0])
def test_snr_on_a_tone(codec, snr_db):
    y = telephone_channel(tone(1000.0, amp=0.3), "snr", 2, codec=codec, snr_db=snr_db)
    assert abs(_measured_snr_db(y, 1000.0) - snr_db) <= 1.0
    clean = telephone_channel(tone(1000.0, amp=0.3), "snr", 2, codec=codec)
    assert _measured_snr_db(clean, 1000.0) > 35.0  # G.711 alone is ~38 dB on a loud tone


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 160, 16001])
def test_length_range_and_finiteness_for_any_length(n):
    x = np.random.default_rng(n).uniform(-1, 1, n).astype(np.float32)
    y = telephone_channel(x, f"len{n}", 0, snr_db=10.0)
    assert y.dtype == np.float32 and y.shape == (n,)
    assert np.isfinite(y).all() and (np.abs(y) <= 1.0).all()


def test_overs_silence_and_8k_input():
    loud = np.sign(tone(440.0)) * 3.0  # far beyond full scale
    y = telephone_channel(loud, "loud", 0, codec="alaw", snr_db=0.0)
    assert np.isfinite(y).all() and np.abs(y).max() <= 1.0
    silent = telephone_channel(np.zeros(SR, np.float32), "quiet", 0, snr_db=10.0)
    assert np.abs(silent).max() < 1e-3  # no noise added to nothing, only codec idle level
    y8 = telephone_channel(tone(1000.0, sr=8000), "eight", 0, sr=8000, low_hz=0.0)
    assert y8.size == 16000 and power(inner(y8, 8000)) > 0.1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"codec": "gsm"}, "codec"),
        ({"probability": 1.5}, "probability"),
        ({"high_hz": 4000.0}, "high_hz"),
        ({"low_hz": 3500.0}, "high_hz"),
        ({"low_hz": -1.0}, "low_hz"),
        ({"snr_db": float("nan")}, "snr_db"),
        ({"sr": 4000}, "sr"),
    ],
)
def test_channel_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        telephone_channel(tone(1000.0, 0.1), "x", 0, **kwargs)


def test_channel_rejects_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        telephone_channel(np.array([0.0, np.nan], np.float32), "x", 0)
    with pytest.raises(ValueError, match="mono"):
        telephone_channel(np.zeros((10, 2), np.float32), "x", 0)
    with pytest.raises(ValueError, match="float"):
        telephone_channel(np.zeros(10, np.int16), "x", 0)
    with pytest.raises(TypeError, match="item_id"):
        telephone_channel(np.zeros(10, np.float32), 7, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="seed"):
        telephone_channel(np.zeros(10, np.float32), "x", "0")  # type: ignore[arg-type]


# --- settings ------------------------------------------------------------------------------------


def test_settings_defaults_round_trip_and_apply():
    assert ChannelSettings.from_config({}) == ChannelSettings.from_config(None) == ChannelSettings()
    s = ChannelSettings.from_config(
        {"probability": 0.3, "codec": "random", "snr_db": 20, "seed": 9, "low_hz": 200}
    )
    d = s.to_dict()
    assert list(d) == sorted(d)
    assert d == {
        "codec": "random",
        "high_hz": 3400.0,
        "low_hz": 200,
        "probability": 0.3,
        "seed": 9,
        "snr_db": 20,
    }
    assert ChannelSettings.from_config(d) == s
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.seed = 1  # type: ignore[misc]
    x = speechlike(0.5)
    for item in ("a", "b", "c", "d"):
        expected = telephone_channel(
            x, item, 9, codec="random", low_hz=200, snr_db=20, probability=0.3
        )
        assert s.apply(x, item).tobytes() == expected.tobytes()
        assert s.plan(item) == channel_plan(item, 9, probability=0.3, codec="random")


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"probability": "half"}, "probability"),
        ({"probability": True}, "probability"),
        ({"probability": -0.1}, "probability"),
        ({"codec": "g729"}, "codec"),
        ({"low_hz": "300"}, "low_hz"),
        ({"low_hz": -5}, "low_hz"),
        ({"high_hz": 8000}, "high_hz"),
        ({"low_hz": 3000, "high_hz": 2000}, "high_hz"),
        ({"snr_db": "loud"}, "snr_db"),
        ({"snr_db": float("inf")}, "snr_db"),
        ({"seed": 1.5}, "seed"),
        ({"seed": False}, "seed"),
    ],
)
def test_settings_errors_name_the_key(config, key):
    with pytest.raises(ValueError, match=rf"config key 'train\.telephone\.{key}': {key} "):
        ChannelSettings.from_config(config, where="train.telephone")


def test_settings_reject_unknown_keys_and_non_mappings():
    with pytest.raises(ValueError, match=r"'telephone'.*unknown key\(s\) snr, zz.*allowed keys"):
        ChannelSettings.from_config({"snr": 10, "zz": 1})
    with pytest.raises(ValueError, match="mapping"):
        ChannelSettings.from_config([1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="codec"):
        ChannelSettings(codec="opus")


# --- bandwidth: the pipeline's one definition (silver.quality) --------------------------------


def test_the_channel_makes_wideband_audio_narrowband_by_the_pipelines_definition():
    from foundry.silver import bandwidth

    wide = speechlike()
    assert not bandwidth.is_narrowband(wide, SR)
    assert bandwidth.is_narrowband(telephone_channel(wide, "nb", 0, snr_db=20.0), SR)
    assert bandwidth.is_narrowband(telephone_channel(wide, "nb", 0), SR)
