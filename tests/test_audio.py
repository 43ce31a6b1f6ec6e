"""foundry.audio: every input is synthesised here with numpy + soundfile, nothing is on disk."""

from __future__ import annotations

import hashlib
import io
import math
import pickle
import struct

import numpy as np
import pytest
import soundfile as sf

from foundry import audio
from foundry.audio import (
    AudioChecks,
    AudioReject,
    StandardAudio,
    audio_sha256,
    check_source,
    check_standard,
    decode,
    encode_wav,
    read_wav,
    resample,
    standardize,
    to_mono,
)
from foundry.engines import SAMPLE_RATE

ONE_FRAME = 1.0 / SAMPLE_RATE


def tone(
    sr: int, seconds: float, freq: float = 440.0, amp: float = 0.5, channels: int = 1
) -> np.ndarray:
    n = int(round(sr * seconds))
    x = (amp * np.sin(2 * np.pi * freq * np.arange(n) / sr)).astype(np.float32)
    if channels == 1:
        return x
    # Slightly different channels so a broken downmix would show.
    return np.stack([x * (1.0 - 0.1 * c) for c in range(channels)], axis=1)


def encode(x: np.ndarray, sr: int, fmt: str = "WAV", subtype: str = "PCM_16") -> bytes:
    buf = io.BytesIO()
    sf.write(buf, x, sr, format=fmt, subtype=subtype)
    return buf.getvalue()


def can_write(fmt: str, subtype: str) -> bool:
    """False only where this libsndfile lacks the encoder; a misspelt name or a bug fails."""
    try:
        encode(tone(16000, 0.1), 16000, fmt, subtype)
    except sf.LibsndfileError:  # the format is known but this build cannot open it for writing
        return False
    except ValueError as exc:  # sf_format_check: this libsndfile does not know the combination
        if str(exc) != "Invalid combination of format, subtype and endian":
            raise  # "Unknown format" / "Unknown subtype": a typo in the test, not the library
        return False
    return True


def rejected(data: bytes, checks: AudioChecks = audio.DEFAULT_CHECKS) -> AudioReject:
    with pytest.raises(AudioReject) as info:
        standardize(data, checks)
    return info.value


def sine_dbfs(amp: float) -> float:
    return 20 * math.log10(amp / math.sqrt(2))


# --------------------------------------------------------------------------- round trips

ROUND_TRIPS = [
    # sr, channels, container, subtype, expected source_format, lossy
    (22050, 1, "WAV", "PCM_16", "WAV/PCM_16", False),
    (8000, 1, "WAV", "PCM_16", "WAV/PCM_16", False),
    (8000, 1, "WAV", "PCM_U8", "WAV/PCM_U8", False),
    (44100, 1, "WAV", "PCM_24", "WAV/PCM_24", False),
    (48000, 1, "WAV", "PCM_32", "WAV/PCM_32", False),
    (44100, 1, "WAV", "FLOAT", "WAV/FLOAT", False),
    (32000, 1, "WAV", "DOUBLE", "WAV/DOUBLE", False),
    (16000, 1, "WAV", "PCM_16", "WAV/PCM_16", False),
    (44100, 2, "FLAC", "PCM_16", "FLAC/PCM_16", False),
    (48000, 2, "FLAC", "PCM_24", "FLAC/PCM_24", False),
    (44100, 1, "OGG", "VORBIS", "OGG/VORBIS", True),
    (48000, 2, "OGG", "OPUS", "OGG/OPUS", True),
    (16000, 1, "OGG", "OPUS", "OGG/OPUS", True),
    (44100, 1, "MP3", "MPEG_LAYER_III", "MP3/MPEG_LAYER_III", True),
    (22050, 2, "MP3", "MPEG_LAYER_III", "MP3/MPEG_LAYER_III", True),
]


@pytest.mark.parametrize(
    ("sr", "channels", "container", "subtype", "source_format", "lossy"),
    ROUND_TRIPS,
    ids=[f"{r[2]}-{r[3]}-{r[0]}Hz-{r[1]}ch" for r in ROUND_TRIPS],
)
def test_source_format_round_trips_to_16k_mono_pcm16(
    sr: int, channels: int, container: str, subtype: str, source_format: str, lossy: bool
) -> None:
    if not can_write(container, subtype):
        pytest.skip(f"this libsndfile cannot write {container}/{subtype}")
    seconds = 2.0
    data = encode(tone(sr, seconds, channels=channels), sr, container, subtype)

    out = standardize(data)

    assert isinstance(out, StandardAudio)
    assert out.pcm16.dtype == np.int16 and out.pcm16.ndim == 1
    assert out.sample_rate == SAMPLE_RATE
    assert out.duration == out.pcm16.size / SAMPLE_RATE
    assert abs(out.duration - seconds) <= 2 * ONE_FRAME
    assert out.source_sample_rate == sr
    assert out.source_channels == channels
    assert out.source_format == source_format
    # Level survives: channel 0 has amp 0.5, channel 1 (if any) 0.45, the mean 0.475.
    amp = 0.5 if channels == 1 else 0.475
    level = audio.rms_dbfs(out.pcm16)
    assert abs(level - sine_dbfs(amp)) < (1.0 if lossy else 0.1)
    # And it is a valid canonical WAV.
    wav = encode_wav(out.pcm16)
    samples, rate = read_wav(wav)
    assert rate == SAMPLE_RATE and np.array_equal(samples, out.pcm16)


def test_16k_pcm16_mono_passes_through_bit_exact() -> None:
    half = np.round(tone(SAMPLE_RATE, 0.5, amp=0.6) * 32767).astype(np.int16)
    pcm = np.concatenate([half, -half])  # mean exactly zero: DC removal must change nothing
    out = standardize(encode(pcm, SAMPLE_RATE))
    assert np.array_equal(out.pcm16, pcm)


@pytest.mark.parametrize(
    ("container", "subtype", "misleading_name"),
    [
        ("FLAC", "PCM_16", "clip.wav"),
        ("MP3", "MPEG_LAYER_III", "clip.flac"),
        ("WAV", "PCM_16", "x.mp3"),
    ],
)
def test_format_comes_from_content_not_file_name(
    tmp_path, container: str, subtype: str, misleading_name: str
) -> None:
    if not can_write(container, subtype):
        pytest.skip(f"this libsndfile cannot write {container}/{subtype}")
    path = tmp_path / misleading_name
    path.write_bytes(encode(tone(44100, 1.0), 44100, container, subtype))
    out = standardize(path.read_bytes())
    assert out.source_format.startswith(container + "/")
    assert abs(out.duration - 1.0) <= 2 * ONE_FRAME


def test_accepts_bytearray_and_memoryview() -> None:
    data = encode(tone(22050, 1.0), 22050)
    ref = standardize(data).pcm16
    assert np.array_equal(standardize(bytearray(data)).pcm16, ref)
    assert np.array_equal(standardize(memoryview(data)).pcm16, ref)


# --------------------------------------------------------------------------- signal path


def test_sine_keeps_its_frequency_after_44k1_to_16k() -> None:
    out = standardize(encode(tone(44100, 2.0, freq=1000.0), 44100))
    spectrum = np.abs(np.fft.rfft(out.pcm16.astype(np.float64) * np.hanning(out.pcm16.size)))
    freqs = np.fft.rfftfreq(out.pcm16.size, 1.0 / SAMPLE_RATE)
    assert abs(freqs[int(np.argmax(spectrum))] - 1000.0) <= 1.0


def test_tone_above_new_nyquist_is_filtered_not_aliased() -> None:
    # 10 kHz cannot exist at 16 kHz; a naive decimator would fold it to 6 kHz at full level.
    reject = rejected(encode(tone(44100, 1.0, freq=10000.0), 44100))
    assert reject.reason == "silence"


def test_dc_offset_tone_is_standardized_not_rejected() -> None:
    x = tone(44100, 1.0, amp=0.3) + np.float32(0.5)  # peaks at 0.8, mean 0.5
    out = standardize(encode(x, 44100))
    assert abs(float(np.mean(out.pcm16))) < 5.0  # offset gone (int16 units)
    assert abs(audio.rms_dbfs(out.pcm16) - sine_dbfs(0.3)) < 0.1  # DC did not count as signal


def test_pure_dc_is_silence() -> None:
    reject = rejected(encode(np.full(16000, 0.4, np.float32), 16000))
    assert reject.reason == "silence"


def test_downmix_averages_channels() -> None:
    x = np.stack([np.full(8, 0.5), np.full(8, -0.1), np.full(8, 0.2)], axis=1).astype(np.float32)
    mono = to_mono(x)
    assert mono.dtype == np.float32 and mono.shape == (8,)
    assert np.allclose(mono, 0.2)
    assert to_mono(x[:, :1]).flags.c_contiguous


def test_resample_is_float32_and_skips_same_rate() -> None:
    x = tone(44100, 1.0)
    y = resample(x, 44100)
    assert y.dtype == np.float32 and abs(y.size - SAMPLE_RATE) <= 1
    z = tone(SAMPLE_RATE, 1.0)
    assert np.array_equal(resample(z, SAMPLE_RATE), z)


def test_pcm16_conversion_rounds_and_saturates() -> None:
    y = np.array([1.0, -1.0, 1.7, -3.0, 0.5 / 32768, 1.5 / 32768, -0.6 / 32768], np.float32)
    assert audio.to_pcm16(y).tolist() == [32767, -32768, 32767, -32768, 0, 2, -1]


def test_standardize_is_deterministic_and_output_read_only() -> None:
    for data in (
        encode(tone(44100, 1.5, channels=2), 44100, "FLAC", "PCM_24"),
        encode(tone(48000, 1.5), 48000, "OGG", "VORBIS"),
    ):
        a, b = standardize(data), standardize(data)
        assert encode_wav(a.pcm16) == encode_wav(b.pcm16)
        assert audio_sha256(a.pcm16) == audio_sha256(b.pcm16)
        assert not a.pcm16.flags.writeable


# --------------------------------------------------------------------------- rejects


def test_zero_length_bytes_are_empty_audio() -> None:
    reject = rejected(b"")
    assert reject.reason == "empty_audio"
    assert "0 bytes" in reject.detail


def test_truncated_header_is_undecodable() -> None:
    reject = rejected(encode(tone(16000, 1.0), 16000)[:20])
    assert reject.reason == "undecodable"
    assert reject.detail.startswith("soundfile could not read the bytes: ")
    assert "first bytes: 0x52494646" in reject.detail  # "RIFF"
    assert "BytesIO" not in reject.detail  # an object address would make details irreproducible


def test_random_bytes_are_undecodable_with_stable_detail() -> None:
    data = np.random.default_rng(1234).bytes(4096)
    first, second = rejected(data), rejected(data)
    assert first.reason == "undecodable"
    assert first.detail == second.detail  # rejects.parquet must be reproducible
    assert f"first bytes: 0x{data[:16].hex()}" in first.detail


def test_valid_header_without_frames_is_empty_audio() -> None:
    data = encode(np.zeros(0, np.float32), 16000)
    assert len(data) == 44
    reject = rejected(data)
    assert reject.reason == "empty_audio"
    assert "0 frames" in reject.detail


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_float_wav_is_rejected_first(bad: float) -> None:
    x = tone(44100, 1.0, amp=1.0)  # also heavily "clipped": non_finite must win
    x[[10, 20, 30]] = bad
    reject = rejected(encode(x, 44100, "WAV", "FLOAT"))
    assert reject.reason == "non_finite"
    assert reject.detail.startswith("3 of 44100 samples are NaN/Inf")
    assert "first at frame 10" in reject.detail


def test_all_zero_audio_is_silence() -> None:
    reject = rejected(encode(np.zeros(16000, np.float32), 16000))
    assert reject.reason == "silence"
    assert (
        reject.detail
        == "RMS -inf dBFS (all samples are zero) < -50 dBFS (config audio.silence_dbfs)"
    )


def test_quiet_noise_is_silence_with_level_in_detail() -> None:
    noise = np.random.default_rng(0).standard_normal(32000).astype(np.float32)
    noise *= np.float32(10 ** (-70 / 20))  # RMS -70 dBFS
    reject = rejected(encode(noise, 16000))
    assert reject.reason == "silence"
    assert reject.detail.startswith("RMS -70.")
    assert reject.detail.endswith("< -50 dBFS (config audio.silence_dbfs)")


def test_clipped_audio_is_rejected_with_share() -> None:
    x = np.clip(tone(44100, 1.0, amp=2.0), -1.0, 1.0)
    reject = rejected(encode(x, 44100))
    assert reject.reason == "clipping"
    share = float(reject.detail.split("%")[0])
    assert 60.0 < share < 70.0  # |2 sin| >= 1 for two thirds of the time
    assert "> 1.00% (config audio.clip_fraction)" in reject.detail


def test_a_few_full_scale_samples_are_not_clipping() -> None:
    x = tone(44100, 1.0)
    x[:200] = 1.0  # 0.45% of samples
    assert standardize(encode(x, 44100, "WAV", "FLOAT")).duration == pytest.approx(1.0)


def test_too_short() -> None:
    reject = rejected(encode(tone(22050, 0.1), 22050))
    assert reject.reason == "too_short"
    assert reject.detail == "duration 0.100 s < min 0.3 s (config audio.min_duration)"


def test_ten_minute_file_is_too_long_from_the_header(monkeypatch: pytest.MonkeyPatch) -> None:
    data = encode(tone(16000, 600.0), 16000)

    def fail(*args, **kwargs):
        raise AssertionError("a too-long file must not be decoded or resampled")

    monkeypatch.setattr(sf.SoundFile, "read", fail)
    monkeypatch.setattr(audio.soxr, "resample", fail)
    reject = rejected(data)
    assert reject.reason == "too_long"
    assert reject.detail == (
        "duration 600.000 s (from the WAV/PCM_16 header) > max 30 s (config audio.max_duration)"
    )


def test_too_long_on_decoded_samples_and_config_threshold() -> None:
    checks = AudioChecks(max_duration=5.0)
    with pytest.raises(AudioReject, match=r"^too_long: duration 6.000 s > max 5 s"):
        check_source(tone(44100, 6.0)[:, None], 44100, checks)
    assert rejected(encode(tone(8000, 6.0), 8000), checks).reason == "too_long"
    assert standardize(encode(tone(8000, 4.0), 8000), checks).duration == pytest.approx(4.0)


def test_check_standard_direct() -> None:
    checks = AudioChecks()
    with pytest.raises(AudioReject, match="^empty_audio: "):
        check_standard(np.zeros(0, np.int16), checks)
    with pytest.raises(AudioReject, match="^too_long: duration 31.000 s"):
        check_standard(np.full(31 * SAMPLE_RATE, 1000, np.int16), checks)
    check_standard(tone(SAMPLE_RATE, 1.0), checks)  # float input is accepted too


def test_audio_reject_contract() -> None:
    err = AudioReject("silence", "RMS -71.3 dBFS < -50 dBFS")
    assert (err.reason, err.detail) == ("silence", "RMS -71.3 dBFS < -50 dBFS")
    assert str(err) == "silence: RMS -71.3 dBFS < -50 dBFS"
    copy = pickle.loads(pickle.dumps(err))  # crosses process pools
    assert (copy.reason, copy.detail, str(copy)) == (err.reason, err.detail, str(err))
    with pytest.raises(ValueError):
        AudioReject("too_loud", "not a reason")
    assert set(audio.AUDIO_REJECT_REASONS) == {
        "undecodable",
        "empty_audio",
        "non_finite",
        "too_short",
        "too_long",
        "silence",
        "clipping",
        "truncated",
    }


@pytest.mark.parametrize(
    ("fmt", "subtype"), [("WAV", "PCM_16"), ("MP3", "MPEG_LAYER_III"), ("FLAC", "PCM_16")]
)
def test_a_file_cut_to_a_third_is_truncated_not_a_shorter_clip(fmt: str, subtype: str) -> None:
    whole = encode(tone(16000, 3.0), 16000, fmt=fmt, subtype=subtype)
    x, _, _ = audio.decode(whole)
    assert x.shape[0] == 48000  # intact files decode to what their header declares
    reject = rejected(whole[: len(whole) // 3])
    assert reject.reason == "truncated", reject
    assert reject.detail.startswith(f"the {fmt}/") and "declares 3.000 s" in reject.detail


def test_audio_checks_validate_themselves() -> None:
    with pytest.raises(ValueError):
        AudioChecks(min_duration=5.0, max_duration=1.0)
    with pytest.raises(ValueError):
        AudioChecks(clip_fraction=1.5)


def test_decode_returns_float32_frames_by_channels() -> None:
    x, sr, fmt = decode(encode(tone(48000, 0.5, channels=2), 48000, "FLAC", "PCM_24"))
    assert x.dtype == np.float32 and x.shape == (24000, 2)
    assert (sr, fmt) == (48000, "FLAC/PCM_24")


@pytest.mark.parametrize("container", ["WAV", "FLAC"])
def test_pcm16_decode_is_bit_identical_to_libsndfiles_float_read(container: str) -> None:
    """16-bit sources are read as integers and scaled here: the samples must equal libsndfile's
    own float conversion exactly, extremes included, or every silver WAV would change."""
    rng = np.random.default_rng(3)
    pcm = rng.integers(-32768, 32768, size=(4000, 2), dtype=np.int16)
    pcm[:2] = [[-32768, 32767], [0, -1]]
    data = encode(pcm, 22050, container, "PCM_16")
    x, sr, fmt = decode(data)
    want, _ = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    assert fmt == f"{container}/PCM_16" and x.dtype == np.float32
    assert x.tobytes() == want.tobytes()


# --------------------------------------------------------------------------- WAV encode / read


def test_encode_wav_is_canonical_and_deterministic() -> None:
    pcm = (np.arange(-500, 500, dtype=np.int16) * 37).astype(np.int16)
    wav = encode_wav(pcm)
    assert len(wav) == 44 + 2 * pcm.size
    assert wav == encode_wav(pcm.copy())
    assert wav[:44] == struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + 2 * pcm.size,
        b"WAVE",
        b"fmt ",
        16,
        1,
        1,
        16000,
        32000,
        2,
        16,
        b"data",
        2 * pcm.size,
    )
    info = sf.info(io.BytesIO(wav))
    assert (info.format, info.subtype, info.channels, info.samplerate) == (
        "WAV",
        "PCM_16",
        1,
        16000,
    )
    back, _ = sf.read(io.BytesIO(wav), dtype="int16")
    assert np.array_equal(back, pcm)
    samples, rate = read_wav(wav)
    assert rate == 16000 and samples.dtype == np.int16 and np.array_equal(samples, pcm)


def test_encode_wav_edge_cases() -> None:
    assert len(encode_wav(np.zeros(0, np.int16))) == 44
    assert read_wav(encode_wav(np.zeros(0, np.int16)))[0].size == 0
    assert read_wav(encode_wav(np.ones(3, np.int16), 8000))[1] == 8000
    native = np.array([1, -2, 300], dtype=np.int16)
    assert encode_wav(native.astype(">i2")) == encode_wav(native)
    with pytest.raises(ValueError):
        encode_wav(native.astype(np.int32))
    with pytest.raises(ValueError):
        encode_wav(np.zeros((4, 2), np.int16))
    with pytest.raises(ValueError):
        encode_wav(np.zeros(4, np.float32))


def test_read_wav_accepts_soundfile_mono_pcm16_and_extra_chunks() -> None:
    pcm = np.array([0, 1, -1, 32767, -32768], np.int16)
    assert np.array_equal(read_wav(encode(pcm, 16000))[0], pcm)
    wav = encode_wav(pcm)
    extra = b"LIST" + struct.pack("<I", 3) + b"abc\x00"  # odd size + pad byte
    spliced = wav[:12] + extra + wav[12:]
    spliced = spliced[:4] + struct.pack("<I", len(spliced) - 8) + spliced[8:]
    assert np.array_equal(read_wav(spliced)[0], pcm)


@pytest.mark.parametrize(
    "make",
    [
        lambda: encode(tone(16000, 0.1, channels=2), 16000),
        lambda: encode(tone(16000, 0.1), 16000, "WAV", "PCM_24"),
        lambda: encode(tone(16000, 0.1), 16000, "WAV", "FLOAT"),
        lambda: encode(tone(16000, 0.1), 16000, "WAVEX", "PCM_16"),
        lambda: encode(tone(16000, 0.1), 16000, "FLAC", "PCM_16"),
        lambda: encode_wav(np.ones(10, np.int16))[:-2],
        lambda: encode_wav(np.ones(10, np.int16)) + b"\x00\x00",
        lambda: b"",
    ],
    ids=["stereo", "pcm24", "float", "wavex", "flac", "truncated", "trailing", "empty"],
)
def test_read_wav_rejects_anything_but_mono_pcm16(make) -> None:
    with pytest.raises(ValueError):
        read_wav(make())


def test_audio_sha256_hashes_little_endian_samples() -> None:
    pcm = np.array([1, -2, 300], np.int16)
    expected = hashlib.sha256(struct.pack("<3h", 1, -2, 300)).hexdigest()
    assert audio_sha256(pcm) == expected
    assert audio_sha256(pcm.astype(">i2")) == expected
    assert audio_sha256(pcm[::-1].copy()) != expected
    with pytest.raises(ValueError):
        audio_sha256(pcm.astype(np.int32))
