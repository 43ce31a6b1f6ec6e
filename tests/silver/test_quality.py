"""Speech quality gates (foundry.silver.quality) on real synthetic speech and known non-speech.

Speech comes from espeak-ng's Malayalam voice (22.05 kHz, soxr HQ to 16 kHz); noise, tone,
chords and silence are generated with a fixed seed. Everything is deterministic and offline.
"""

from __future__ import annotations

import io
import math
import pickle
import subprocess
import sys
from functools import cache
from pathlib import Path

import grapheme  # pinned in the dev extras (setup.sh installs them): a missing one fails
import numpy as np
import pytest
import soundfile as sf
import soxr

from foundry import text as text_mod
from foundry.silver import bandwidth, segments, vad
from foundry.silver import quality as q

SR = 16000
TEXTS = (
    "നമസ്കാരം, ഇത് ഒരു പരീക്ഷണമാണ്.",
    "കേരളത്തിലെ ഏറ്റവും വലിയ നഗരം കൊച്ചിയാണ്.",
    "ഞാൻ നാളെ രാവിലെ സ്കൂളിൽ പോകും.",
    "മഴ പെയ്യുമ്പോൾ കുട്ടികൾ വീട്ടിൽ ഇരുന്ന് കളിക്കുന്നു.",
    "ഈ പുസ്തകം വളരെ നല്ലതാണ്, നീ വായിക്കണം.",
)


@cache
def speech(text: str, speed: int = 175) -> np.ndarray:
    """espeak-ng Malayalam at 16 kHz float32 (read-only, cached per text and speed)."""
    wav = subprocess.run(
        ["espeak-ng", "-v", "ml", "-s", str(speed), "--stdout", text],
        capture_output=True,
        check=True,
    ).stdout
    x, sr = sf.read(io.BytesIO(wav), dtype="float32")
    y = soxr.resample(x, sr, SR, quality="HQ").astype(np.float32)
    y.setflags(write=False)
    return y


def non_speech() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    t = np.arange(4 * SR) / SR
    chord = sum(np.sin(2 * np.pi * f * t) for f in (261.6, 329.6, 392.0, 523.3))
    # A chord progression with note onsets, like a simple accompaniment.
    prog = np.concatenate(
        [
            0.08 * sum(np.sin(2 * np.pi * f * t[: SR // 2]) for f in c) * np.exp(-2 * t[: SR // 2])
            for c in [(220.0, 277.2, 329.6), (246.9, 311.1, 370.0), (196.0, 246.9, 293.7)] * 3
        ]
    )
    return {
        "white_noise": (0.1 * rng.standard_normal(4 * SR)).astype(np.float32),
        "loud_noise": (0.5 * rng.standard_normal(4 * SR)).astype(np.float32),
        "tone_440": (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32),
        "chords": (0.1 * chord).astype(np.float32),
        "progression": prog.astype(np.float32),
        "silence": np.zeros(4 * SR, dtype=np.float32),
    }


@pytest.fixture(scope="module")
def det16() -> vad.SpeechDetector:
    return vad.SpeechDetector()


@pytest.fixture(scope="module")
def det8() -> vad.SpeechDetector:
    return vad.SpeechDetector(rate_hz=8000)


# --- reasons, model files, determinism -------------------------------------------------------


def test_reject_reasons_registry_and_exception():
    assert set(q.QUALITY_REJECT_REASONS) == {
        "no_speech",
        "speaking_rate",
        "bad_segment",
        "wrong_language",
    }
    assert all(q.QUALITY_REJECT_REASONS.values())
    exc = q.QualityReject("no_speech", "nothing heard")
    assert str(exc) == "no_speech: nothing heard"
    back = pickle.loads(pickle.dumps(exc))
    assert (back.reason, back.detail) == ("no_speech", "nothing heard")
    with pytest.raises(ValueError, match="unknown quality reject reason"):
        q.QualityReject("too_quiet", "x")


def test_shipped_models_are_pinned_and_have_the_expected_inputs():
    import onnxruntime as ort

    shapes = {}
    for kind in ("stream", "sequence"):
        path = vad.vad_model_path(kind)
        assert path.is_file() and "silero_vad" in path.parts
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        shapes[kind] = {i.name: i.shape for i in sess.get_inputs()}
    assert set(shapes["stream"]) == {"input", "state", "sr"}
    assert shapes["stream"]["state"][0] == 2 and shapes["stream"]["state"][2] == 128
    assert shapes["sequence"]["input"][1] == 64 + 512  # context + window, 16 kHz
    with pytest.raises(ValueError, match="unknown VAD model"):
        vad.vad_model_path("jit")


def test_wrong_model_file_is_refused(tmp_path):
    (tmp_path / "silero_vad.onnx").write_bytes(b"not the pinned model")
    with pytest.raises(ValueError, match="SHA-256"):
        vad.vad_model_path("stream", tmp_path)


def test_detection_needs_no_torch():
    code = (
        "import sys, numpy as np\n"
        "from foundry.silver.vad import SpeechDetector\n"
        "for rate in (16000, 8000):\n"
        "    SpeechDetector(rate_hz=rate).speech_segments(np.zeros(16000, np.float32), 16000)\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    root = Path(__file__).resolve().parents[2]
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert r.returncode == 0, r.stderr


def test_sequence_model_equals_the_streaming_loop_bit_for_bit():
    x = np.concatenate([speech(t) for t in TEXTS] + [non_speech()["white_noise"]])
    stream = vad.SpeechDetector(backend="stream").speech_probs(x, SR)
    seq = vad.SpeechDetector(max_frames=64).speech_probs(x, SR)  # several blocks, state carried
    assert vad.SpeechDetector().kind == "sequence"
    assert stream.shape == seq.shape == (math.ceil(x.size / 512),)
    assert np.array_equal(stream, seq)


@pytest.mark.parametrize("rate", [16000, 8000])
def test_batched_items_get_exactly_their_single_item_probabilities(rate):
    det = vad.SpeechDetector(rate_hz=rate, backend="stream")
    xs = [speech(TEXTS[0]), np.zeros(0, np.float32), speech(TEXTS[3]), speech(TEXTS[1])[:700]]
    batched = det.speech_probs_batch(xs, SR)
    for x, p in zip(xs, batched, strict=True):
        assert np.array_equal(p, det.speech_probs(x, SR))
    assert batched[1].size == 0 and det.speech_segments(xs[1], SR) == []
    assert det.speech_probs_batch([], SR) == []


def test_repeatable_and_picklable(det16):
    x = speech(TEXTS[2])
    first = det16.speech_probs(x, SR)
    clone = pickle.loads(pickle.dumps(det16))
    assert clone._session is None
    assert np.array_equal(first, clone.speech_probs(x, SR))
    assert np.array_equal(first, det16.speech_probs(x, SR))
    assert det16.speech_probs(x, SR).dtype == np.float32
    # int16 PCM as stored in silver shards gives the same decision.
    pcm = np.round(x * 32767).astype(np.int16)
    assert det16.speech_segments(pcm, SR) == det16.speech_segments(x, SR)


@pytest.mark.parametrize("rate", [16000, 8000])
def test_hysteresis_matches_silero_reference(rate):
    """Same segments as silero's own state machine (max_speech_duration_s = inf)."""
    from silero_vad import utils_vad as ref  # a pinned dependency; imports torch, so here only

    rng = np.random.default_rng(rate)
    w = 512 if rate == 16000 else 256
    det_args = [(0.5, 250, 100, 30), (0.35, 100, 300, 0), (0.6, 0, 50, 200)]
    for trial in range(30):
        # Smoothed random walk: runs of speech and pauses of varying length.
        walk = np.convolve(rng.standard_normal(400), np.ones(8) / 8, mode="same")
        probs = (1 / (1 + np.exp(-3 * walk))).astype(np.float32)
        n = probs.size * w - int(rng.integers(0, w))
        thr, ms, sil, pad = det_args[trial % 3]
        det = vad.SpeechDetector(
            threshold=thr, min_speech_ms=ms, min_silence_ms=sil, speech_pad_ms=pad, rate_hz=rate
        )
        want = ref.get_speech_timestamps_from_probs(
            probs.tolist(),
            sampling_rate=rate,
            threshold=thr,
            min_speech_duration_ms=ms,
            min_silence_duration_ms=sil,
            speech_pad_ms=pad,
            audio_length_samples=n,
        )
        got = det.segments_from_probs(probs, n)
        assert [(round(a * rate), round(b * rate)) for a, b in got] == [
            (s["start"], s["end"]) for s in want
        ]


# --- speech / no speech, trimming, 8 vs 16 kHz -------------------------------------------------


def test_speech_passes_and_non_speech_is_rejected_as_no_speech(det16, det8):
    for text in TEXTS:
        for det in (det16, det8):
            st = det.stats(speech(text), SR)
            assert st.speech_ratio >= 0.8, (text, st)
            vad.check_speech(st)  # defaults: 0.3 s and 15 %
    for name, x in non_speech().items():
        for det in (det16, det8):
            st = det.stats(x, SR)
            assert st.speech_seconds == 0.0, (name, st)
            with pytest.raises(q.QualityReject) as info:
                vad.check_speech(st)
            assert info.value.reason == "no_speech"
            assert "quality.vad.min_speech_seconds" in info.value.detail
            assert "\n" not in info.value.detail


def test_check_speech_ratio_gate():
    st = vad.speech_stats([(1.0, 2.0)], duration=20.0)
    vad.check_speech(st, min_speech_seconds=0.5, min_speech_ratio=0.05)
    with pytest.raises(q.QualityReject, match="quality.vad.min_speech_ratio"):
        vad.check_speech(st, min_speech_seconds=0.5, min_speech_ratio=0.1)


def test_trimming_removes_leading_and_trailing_silence(det16):
    lead, tail, pad, win = 1.5, 2.0, 0.2, 0.032
    x = speech(TEXTS[1])
    loud = np.flatnonzero(np.abs(x) > 0.02)  # ground truth: where the voice is audible
    first, last = lead + loud[0] / SR, lead + loud[-1] / SR
    rng = np.random.default_rng(1)
    padded = np.concatenate(
        [
            (1e-4 * rng.standard_normal(int(lead * SR))).astype(np.float32),
            x,
            (1e-4 * rng.standard_normal(int(tail * SR))).astype(np.float32),
        ]
    )
    st = det16.stats(padded, SR, trim_pad_ms=pad * 1000)
    assert lead - pad - win <= st.trim_start <= first - pad + win  # all speech kept
    assert last + pad - win <= st.trim_end <= lead + x.size / SR + pad + win
    assert st.trimmed_duration < st.duration - (lead + tail) + 2 * (pad + win)
    assert st.trimmed_duration == pytest.approx(st.trim_end - st.trim_start)
    tight = det16.stats(padded, SR, trim_pad_ms=0)
    assert tight.trim_start == pytest.approx(st.trim_start + pad)
    assert tight.segments == st.segments and tight.speech_seconds == st.speech_seconds
    fields = st.manifest_fields()
    assert set(fields) == {"speech_seconds", "speech_ratio", "trim_start", "trim_end"}
    none = vad.speech_stats([], 3.0)
    assert (none.trim_start, none.trim_end, none.speech_ratio) == (0.0, 0.0, 0.0)


def test_8k_and_16k_agree_on_test_clips(det16, det8):
    """8 kHz bridges some short pauses 16 kHz splits at; the decisions and trims agree."""
    agreement = []
    for text in TEXTS:
        for speed in (140, 175, 220):
            x = np.concatenate([np.zeros(SR // 2, np.float32), speech(text, speed)])
            a, b = det16.stats(x, SR), det8.stats(x, SR)
            agreement.append(vad.speech_agreement(a.segments, b.segments, a.duration))
            assert agreement[-1] >= 0.9, (text, speed)
            assert abs(a.speech_ratio - b.speech_ratio) <= 0.1
            assert abs(a.trim_start - b.trim_start) <= 0.1
            assert abs(a.trim_end - b.trim_end) <= 0.15
    assert np.mean(agreement) >= 0.95


# --- speaking rate --------------------------------------------------------------------------


def test_grapheme_clusters_join_malayalam_conjuncts():
    assert text_mod.grapheme_clusters("സ്കൂൾ") == ["സ്കൂ", "ൾ"]
    assert text_mod.grapheme_clusters("ക്ഷേത്രം") == ["ക്ഷേ", "ത്രം"]
    assert text_mod.grapheme_clusters("സ്ത്രീ") == ["സ്ത്രീ"]  # three consonants, one akshara
    assert text_mod.grapheme_clusters("ക്\u200cക") == ["ക്\u200c", "ക"]  # ZWNJ: explicit virama
    assert text_mod.grapheme_clusters("കാർ") == ["കാ", "ർ"]  # chillu stands alone
    assert q.count_graphemes("ഞാൻ, 2 പേർ!") == 5  # ഞാ ൻ 2 പേ ർ: letters and digits only
    assert q.count_graphemes("  ...") == 0


def test_grapheme_clusters_agree_with_unicode13_where_no_conjunct():
    for word in ("മലയാളം", "കേരളം", "പേർ", "ഞാൻ വരാം", "abc, def"):
        assert text_mod.grapheme_clusters(word) == list(grapheme.graphemes(word))
    # Unicode 13 splits the conjunct; Unicode 15.1 (and this module) does not.
    assert len(list(grapheme.graphemes("സ്കൂൾ"))) == 3 and q.count_graphemes("സ്കൂൾ") == 2


def test_graphemes_per_second_edges():
    assert q.graphemes_per_second("മലയാളം", 2.0) == pytest.approx(2.0)
    assert q.graphemes_per_second("", 2.0) == 0.0
    assert q.graphemes_per_second("മലയാളം", 0.0) == math.inf


def test_rate_bounds_are_robust_to_the_outliers_they_hunt():
    base = [5.0, 5.5, 6.0, 6.5, 7.0] * 6
    lo, hi = q.rate_bounds(base)
    assert 1.0 < lo < 5.0 and 7.0 < hi < 25.0
    assert q.rate_bounds(base + [60.0, 0.2, math.inf, math.nan]) == pytest.approx((lo, hi), 0.02)
    assert q.rate_bounds([5.0, 6.0]) == (q.RATE_MIN, q.RATE_MAX)  # too few items
    flat_lo, flat_hi = q.rate_bounds([6.0] * 40)  # TTS-like: spread floor, not a point
    assert flat_lo < 6.0 < flat_hi and flat_hi - flat_lo == pytest.approx(2 * 3 * 0.6)
    assert q.rate_bounds([1.5] * 40, min_rate=2.0) == (2.0, 25.0)
    with pytest.raises(ValueError):
        q.rate_bounds(base, min_rate=5, max_rate=5)


def test_speaking_rate_catches_the_transcript_of_a_much_longer_clip(det16):
    items = [(t, speech(t, s)) for t in TEXTS for s in (140, 175, 210)]
    rates = [q.graphemes_per_second(t, det16.stats(x, SR).speech_seconds) for t, x in items]
    bounds = q.rate_bounds(rates, k=3.0, min_items=10)
    for r in rates:
        q.check_speaking_rate(r, bounds)
    # Item 0 carrying the transcript of all five sentences (about five times longer).
    wrong = q.graphemes_per_second(" ".join(TEXTS), det16.stats(items[0][1], SR).speech_seconds)
    with pytest.raises(q.QualityReject) as info:
        q.check_speaking_rate(wrong, bounds)
    assert info.value.reason == "speaking_rate"
    assert "graphemes/s outside [" in info.value.detail
    assert "(dataset robust bounds" in info.value.detail
    # A transcript cut to one word is caught from below.
    short = q.graphemes_per_second("ഇത്", det16.stats(items[-1][1], SR).speech_seconds)
    with pytest.raises(q.QualityReject, match="speaking_rate|graphemes"):
        q.check_speaking_rate(short, bounds)


# --- long recordings --------------------------------------------------------------------------


def _recording() -> np.ndarray:
    return np.arange(10 * SR, dtype=np.float32) / (10 * SR)  # 10 s, sample i = i / 160000


def test_segment_by_timestamps_cuts_exact_samples():
    x = _recording()
    segs = segments.segment_by_timestamps(
        x,
        SR,
        [
            {"start": 4.0, "end": 6.5, "text": "രണ്ട്", "id": "b"},
            {"start": 0.5, "end": 2.0, "text": "ഒന്ന്"},
            {"start": 9.0, "end": 10.03, "text": "മൂന്ന്"},  # rounding overshoot: clamped
        ],
    )
    assert [s.id for s in segs] == ["00001", "b", "00002"]  # time order
    audio, start, end, text, sid = segs[0]
    assert (start, end, text, sid) == (0.5, 2.0, "ഒന്ന്", "00001")
    assert audio.size == int(1.5 * SR) and audio[0] == x[int(0.5 * SR)]
    assert segs[2].end == 10.0 and segs[2].audio.size == SR


@pytest.mark.parametrize(
    ("seg", "says"),
    [
        ({"start": -1.0, "end": 1.0}, "outside the recording"),
        ({"start": 10.0, "end": 11.0}, "outside the recording"),
        ({"start": 2.0, "end": 2.0}, "empty"),
        ({"start": 3.0, "end": 2.0}, "empty"),
        ({"start": 8.0, "end": 10.5}, "past the recording's end"),
        ({"start": "1.0", "end": 2.0}, "not finite numbers"),
        ({"start": float("nan"), "end": 2.0}, "not finite numbers"),
        ({"end": 2.0}, "not finite numbers"),
    ],
)
def test_bad_timestamps_are_rejected(seg, says):
    with pytest.raises(q.QualityReject) as info:
        segments.segment_by_timestamps(_recording(), SR, [{"start": 0.0, "end": 1.0}, seg])
    assert info.value.reason == "bad_segment"
    assert says in info.value.detail and info.value.detail.startswith("segment 00001:")


def test_overlapping_and_duplicate_segments_are_listed_and_the_rest_kept():
    rejects: list[tuple[str, q.QualityReject]] = []
    segs = segments.segment_by_timestamps(
        _recording(),
        SR,
        [
            {"start": 0.0, "end": 5.0, "id": "long"},
            {"start": 1.0, "end": 2.0, "id": "inside"},
            {"start": 3.0, "end": 4.0, "id": "also_inside"},
            {"start": 5.02, "end": 6.0, "id": "touching"},  # within tolerance: fine
            {"start": 7.0, "end": 8.0, "id": "ok"},
            {"start": 8.5, "end": 9.0, "id": "ok"},
        ],
        rejects=rejects,
    )
    assert [s.id for s in segs] == ["touching", "ok"]
    assert [sid for sid, _ in rejects] == ["long", "inside", "also_inside", "ok"]
    assert all(r.reason == "bad_segment" for _, r in rejects)
    assert "overlaps segment" in rejects[0][1].detail
    assert "repeats segment 4" in rejects[3][1].detail


def test_segment_by_pauses_cuts_at_silences(det16):
    gap = np.zeros(int(1.5 * SR), np.float32)
    parts = [speech(t) for t in TEXTS]
    rec = np.concatenate([p for s in parts for p in (gap, s)] + [gap])
    segs = segments.segment_by_pauses(
        rec, SR, det16, max_seconds=20.0, min_seconds=1.0, max_pause=1.0
    )
    assert len(segs) == len(TEXTS)
    for s, p in zip(segs, parts, strict=True):
        assert s.text == "" and s.audio.size == round((s.end - s.start) * SR)
        assert abs((s.end - s.start) - p.size / SR) < 0.6
    # Bridging the pauses, groups grow up to max_seconds.
    merged = segments.segment_by_pauses(
        rec, SR, det16, max_seconds=8.0, min_seconds=1.0, max_pause=2.0
    )
    assert 1 < len(merged) < len(TEXTS)
    assert all(s.end - s.start <= 8.0 for s in merged)
    assert [s.id for s in merged] == [f"{i:05d}" for i in range(len(merged))]


def test_segment_by_pauses_splits_continuous_speech(det16):
    rec = np.concatenate([speech(t, 200) for t in TEXTS * 2])  # ~25 s, no long pauses
    segs = segments.segment_by_pauses(rec, SR, det16, max_seconds=6.0, min_seconds=1.0)
    assert len(segs) >= 4
    assert all(1.0 <= s.end - s.start <= 6.0 for s in segs)
    assert all(a.end <= b.start for a, b in zip(segs, segs[1:], strict=False))
    with pytest.raises(ValueError):
        segments.segment_by_pauses(rec, SR, det16, max_seconds=1.0, min_seconds=2.0)


# --- bandwidth --------------------------------------------------------------------------------


def test_bandwidth_tells_wideband_from_upsampled_telephone_audio():
    hiss = (1e-4 * np.random.default_rng(0).standard_normal(10 * SR)).astype(np.float32)
    for text in TEXTS:
        x = speech(text)
        tel = soxr.resample(soxr.resample(x, SR, 8000, quality="HQ"), 8000, SR, quality="HQ")
        tel_pcm = np.round(tel * 32767).astype(np.int16)  # as stored in a 16 kHz corpus
        assert bandwidth.effective_bandwidth_hz(x, SR) > 7000 and not bandwidth.is_narrowband(x, SR)
        assert 3500 < bandwidth.effective_bandwidth_hz(tel, SR) < 4000 and bandwidth.is_narrowband(
            tel, SR
        )
        assert bandwidth.is_narrowband(tel_pcm, SR)
        assert bandwidth.is_narrowband(tel + hiss[: tel.size], SR)  # -80 dBFS hiss after upsampling
        assert bandwidth.is_narrowband(x, SR, sr_original=8000)  # the source rate alone says so
        assert not bandwidth.is_narrowband(x, SR, sr_original=22050)
    assert bandwidth.effective_bandwidth_hz(np.zeros(SR, np.float32), SR) == 0.0
    assert bandwidth.effective_bandwidth_hz(np.zeros(1, np.float32), SR) == 0.0
    assert bandwidth.effective_bandwidth_hz(non_speech()["white_noise"], SR) > 7500


def test_bandwidth_from_a_bounded_number_of_segments_tells_the_same_bands_apart():
    """A long recording is judged on at most MAX_FRAMES evenly spread segments: wide and
    telephone-band (espeak-ng speech through 8 kHz) come out as they do from every segment."""
    x = np.concatenate([speech(t, s) for t in TEXTS for s in (140, 200)])  # ~40 s
    tel = soxr.resample(soxr.resample(x, SR, 8000, quality="HQ"), 8000, SR, quality="HQ")
    for clip, narrow in ((x, False), (tel, True)):
        every = bandwidth.effective_bandwidth_hz(clip, SR, max_frames=None)
        some = bandwidth.effective_bandwidth_hz(clip, SR)
        assert bandwidth.is_narrowband(clip, SR, bandwidth_hz=some) is narrow
        assert bandwidth.is_narrowband(clip, SR, bandwidth_hz=every) is narrow
        assert abs(some - every) < 500, (some, every)
    # the estimate averages exactly the evenly spaced segments it says it does
    y = np.random.default_rng(3).standard_normal(SR * 3)
    f, p = bandwidth.welch_psd(y, SR, 512, max_frames=8)
    step = 256
    count = (y.size - 256) // step
    picks = np.linspace(0, count - 1, 8).round().astype(int)
    parts = [bandwidth.welch_psd(y[k * step : k * step + 512], SR, 512)[1] for k in picks]
    np.testing.assert_allclose(p, np.mean(parts, axis=0), rtol=1e-12)


@pytest.mark.parametrize("n", [2, 17, 512, 513, 16000, 33333])
@pytest.mark.parametrize("sr", [8000, 16000, 22050])
def test_numpy_welch_matches_scipy(n, sr):
    """The bandwidth gate's PSD is scipy.signal.welch's, without importing scipy per job."""
    from scipy.signal import welch

    y = np.random.default_rng(n + sr).standard_normal(n)
    nperseg = min(n, 1 << max(4, math.ceil(math.log2(0.032 * sr))))
    f_ref, p_ref = welch(y, fs=sr, window="hann", nperseg=nperseg, detrend="constant")
    f, p = bandwidth.welch_psd(y, sr, nperseg)
    assert np.array_equal(f, f_ref)
    np.testing.assert_allclose(p, p_ref, rtol=1e-10, atol=0)
