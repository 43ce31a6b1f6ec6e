"""Hostile input corpus through the real workflow (phase 2) as one dataset: every item is either
standardized correctly or rejected with a specific reason; one bad item never aborts the run."""

from __future__ import annotations

import io
import os
import unicodedata

import numpy as np
import pyarrow.parquet as pq
import pytest
import soundfile as sf
from factory import encode, make_project, tone, write_dataset
from hubserver import run_snakemake

from foundry import audio
from foundry.silver import shards

pytestmark = pytest.mark.slow

GOOD = "എനിക്ക് ഒരു പരാതി നൽകണം"
KOCHI = "കൊച്ചി മെട്രോ സമയം എന്താണ്"  # ൊ decomposes under NFD


def _wav(x: np.ndarray, sr: int, subtype: str = "PCM_16", fmt: str = "WAV") -> bytes:
    buf = io.BytesIO()
    sf.write(buf, x, sr, format=fmt, subtype=subtype)
    return buf.getvalue()


def _ok(i: int, sr: int = 16000) -> bytes:
    """A distinct, clean 1.2 s tone per item (distinct so no item is a duplicate of another)."""
    return encode(tone(1.2, sr, freq=300 + 37 * i), sr)


def corpus() -> list[tuple[str, bytes, str, str, str]]:
    """(case, audio bytes, audio path, text, expected outcome: 'kept' or a reject reason)."""
    sr = 16000
    t = np.arange(int(1.5 * sr)) / sr
    sine = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    nan = sine.copy()
    nan[100:110] = np.nan
    nan[200] = np.inf
    square = np.sign(np.sin(2 * np.pi * 50 * t)).astype(np.float32)  # all at full scale
    t48 = np.arange(int(1.3 * 48000)) / 48000
    stereo = np.stack([0.3 * np.sin(2 * np.pi * 500 * t48), 0.2 * np.sin(2 * np.pi * 700 * t48)], 1)
    ten_min = np.zeros(600 * 8000, dtype=np.int16)
    ten_min[::7] = 1000
    good_wav = _ok(99)
    return [
        ("zero_length", b"", "empty.wav", GOOD, "missing_audio"),
        ("truncated_header", good_wav[:20], "cut.wav", GOOD, "undecodable"),
        (
            "garbage_bytes",
            b"RIFF\x00\x00garbage" * 50,
            "junk.wav",
            GOOD,
            "undecodable",
        ),
        ("wrong_extension", _wav(sine * 0.9, sr, fmt="FLAC"), "really_flac.mp3", GOOD, "kept"),
        ("nan_inf", _wav(nan, sr, subtype="FLOAT"), "nan.wav", GOOD, "non_finite"),
        (
            "dc_offset",
            _wav((0.2 * np.sin(2 * np.pi * 330 * t) + 0.4).astype(np.float32), sr),
            "dc.wav",
            GOOD,
            "kept",
        ),
        ("all_silence", _wav(np.zeros_like(sine), sr), "silence.wav", GOOD, "silence"),
        ("clipped", _wav(square, sr, subtype="FLOAT"), "clip.wav", GOOD, "clipping"),
        ("rate_8k", _ok(1, 8000), "8k.wav", GOOD, "kept"),
        ("stereo_48k", _wav(stereo, 48000), "stereo.wav", GOOD, "kept"),
        ("pcm_24", _wav(sine * 0.5, sr, subtype="PCM_24"), "24.wav", GOOD, "kept"),
        ("float_wav", _wav(sine * 0.7, sr, subtype="FLOAT"), "float.wav", GOOD, "kept"),
        ("ten_minutes", _wav(ten_min, 8000), "long.wav", GOOD, "too_long"),
        ("path_escape", b"", "../../../../etc/passwd", GOOD, "missing_audio"),
        (
            "mixed_mostly_latin",
            _ok(2),
            "a.wav",
            "hello this is mostly english നമസ്കാരം",
            "non_malayalam_text",
        ),
        ("mixed_mostly_ml", _ok(3), "b.wav", GOOD + " OTP", "kept"),
        ("html_entities", _ok(4), "c.wav", "നമസ്കാരം&nbsp;സുഖമാണോ &amp; &#3364;", "kept"),
        ("control_chars", _ok(5), "d.wav", "നമസ്\x00കാരം\x07 സുഖ\u200bമാണോ\ufeff", "kept"),
        ("nfd", _ok(6), "e.wav", unicodedata.normalize("NFD", KOCHI), "kept"),
        ("only_punctuation", _ok(7), "f.wav", "!!! ... ??? ।", "empty_text"),
        ("empty_text", _ok(8), "g.wav", "   ", "empty_text"),
        ("clean_control", _ok(9), "h.wav", GOOD, "kept"),
    ]


def test_hostile_corpus_is_standardized_or_rejected_with_reason(tmp_path):
    cases = corpus()
    rows = [
        {"audio": {"bytes": b, "path": p}, "sentence": txt, "spk": f"s{i % 4}"}
        for i, (_, b, p, txt, _) in enumerate(cases)
    ]
    spec = {
        "path": "upstream/hostile",
        "columns": {"audio": "audio", "text": "sentence", "speaker": "spk"},
        "engines": ["stt"],
        "license": "cc0-1.0",
        "shards": 2,
    }
    project = make_project(tmp_path, {"hostile": spec})
    write_dataset(project / "upstream/hostile", rows)
    run_snakemake(project, "silver/hostile/manifest.parquet", env=dict(os.environ), timeout=300)

    kept = pq.read_table(project / "silver/hostile/manifest.parquet").to_pylist()
    rejected = pq.read_table(project / "silver/hostile/rejects.parquet").to_pylist()
    by_row = {r["source_row"]: ("kept", r) for r in kept}
    by_row.update({r["source_row"]: (r["reason"], r) for r in rejected})
    got = {cases[i][0]: by_row[i][0] for i in range(len(cases))}
    want = {c[0]: c[4] for c in cases}
    assert got == want
    assert len(kept) + len(rejected) == len(cases)
    for r in rejected:
        assert r["detail"], r  # every reject says why

    row = {cases[r["source_row"]][0]: r for r in kept}
    assert row["wrong_extension"]["source_format"].startswith("FLAC/")
    assert (row["rate_8k"]["source_sample_rate"], row["rate_8k"]["sample_rate"]) == (8000, 16000)
    assert (row["stereo_48k"]["source_channels"], row["stereo_48k"]["source_sample_rate"]) == (
        2,
        48000,
    )
    assert row["pcm_24"]["source_format"] == "WAV/PCM_24"
    assert row["float_wav"]["source_format"] == "WAV/FLOAT"
    assert row["html_entities"]["text"] == "നമസ്കാരം സുഖമാണോ & ത"
    # NUL/BEL/BOM dropped; a zero-width space counts as a word break (foundry.text design).
    assert row["control_chars"]["text"] == "നമസ്കാരം സുഖ മാണോ"
    assert row["nfd"]["text"] == unicodedata.normalize("NFC", KOCHI)
    assert row["nfd"]["raw_text"] == unicodedata.normalize("NFD", KOCHI)

    # Every kept item's audio in the shard tars is canonical 16 kHz mono PCM16 of its duration.
    members = {}
    for tar in sorted((project / "silver/hostile/shards").glob("shard-*.tar")):
        members.update(shards.read_shard(tar))
    assert sorted(members) == sorted(r["id"] for r in kept)
    for r in kept:
        pcm, sr = audio.read_wav(members[r["id"]]["wav"])
        assert sr == 16000 and pcm.ndim == 1 and pcm.dtype == np.int16
        assert abs(len(pcm) / sr - r["duration"]) < 1e-3
    dc, _ = audio.read_wav(members[row["dc_offset"]["id"]]["wav"])
    assert abs(float(dc.astype(np.float64).mean())) < 0.01 * 32768  # DC removed
