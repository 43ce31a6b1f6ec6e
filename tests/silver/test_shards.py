"""Phase 2 without Snakemake: plan, shard, merge; every item kept or rejected with a reason."""

import dataclasses
import io
import json
import tarfile

import numpy as np
import pyarrow.parquet as pq
import pytest
import soundfile as sf
from factory import SENTENCES, encode, tone, write_dataset

from foundry import config, paths
from foundry.ingest import hub
from foundry.ingest.sources import DatasetError
from foundry.silver import shards


def settings(tmp_path, rows, columns, engines, n_shards=2, **audio):
    write_dataset(tmp_path / "src", rows)
    cfg = config.validate(
        {
            "datasets": {
                "ds": {
                    "path": str(tmp_path / "src"),
                    "columns": columns,
                    "engines": engines,
                    "license": "cc0",
                    "shards": n_shards,
                }
            },
            "audio": audio,
            "dialect_map": {"Travancore": ["Kollam"]},
            # test tones are not speech: the VAD gate has its own tests (test_quality.py)
            "quality": {"vad": {"enabled": False}},
        }
    )
    _ingest(tmp_path, cfg)
    return shards.Settings.from_config(cfg, "ds")


def _ingest(tmp_path, cfg):
    """Phase 1 of dataset 'ds' into tmp_path/raw (ingest works in the current directory)."""
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        hub.ingest("ds", cfg["datasets"]["ds"], cfg["hub"])
    finally:
        os.chdir(cwd)


def run_all(tmp_path, s):
    shards.write_plan(s, tmp_path)
    for k in range(s.shards):
        shards.standardize_shard(s, k, tmp_path)
    shards.merge("ds", s.shards, tmp_path)
    kept = pq.read_table(tmp_path / paths.silver_manifest("ds")).to_pylist()
    rej = pq.read_table(tmp_path / paths.silver_rejects("ds")).to_pylist()
    return kept, {r["id"]: r for r in rej}


def wav(x, sr=22050, **kw):
    return {"bytes": encode(x, sr, **kw), "path": "a.wav"}


def test_every_reject_reason_and_nothing_lost(tmp_path):
    sr = 22050
    good = tone(1.0, sr)
    nan = good.copy()
    nan[100] = np.nan
    mp3 = encode(tone(3.0, sr, 500), sr, fmt="MP3", subtype="MPEG_LAYER_III")
    cut_mp3 = {"bytes": mp3[: len(mp3) // 3], "path": "cut.mp3"}
    rows = [
        {"audio": wav(good), "text": SENTENCES[0], "spk": "s1"},
        {
            "audio": {"bytes": b"\x00garbage" * 10, "path": "x.wav"},
            "text": SENTENCES[1],
            "spk": "s1",
        },
        {"audio": wav(np.zeros(sr, np.float32)), "text": SENTENCES[2], "spk": "s2"},
        {"audio": wav(tone(25.0, 8000), 8000), "text": SENTENCES[3], "spk": "s2"},
        {"audio": wav(tone(0.1, sr)), "text": SENTENCES[4], "spk": "s3"},
        {"audio": wav(np.clip(good * 20, -1, 1)), "text": SENTENCES[5], "spk": "s3"},
        {"audio": wav(nan, subtype="FLOAT"), "text": SENTENCES[6], "spk": "s4"},
        {"audio": wav(good), "text": SENTENCES[7], "spk": "s4"},  # duplicate of row 0
        {"audio": wav(tone(1.0, sr, 300)), "text": "", "spk": "s5"},
        {"audio": wav(tone(1.0, sr, 350)), "text": "please check my balance", "spk": "s5"},
        {"audio": None, "text": SENTENCES[8], "spk": "s6"},
        {"audio": {"bytes": b"", "path": ""}, "text": SENTENCES[9], "spk": "s6"},
        {"audio": cut_mp3, "text": SENTENCES[10], "spk": "s7"},  # a third, full transcript
    ]
    s = settings(
        tmp_path,
        rows,
        {"audio": "audio", "text": "text", "speaker": "spk"},
        ["stt"],
        max_duration=20.0,
    )
    kept, rej = run_all(tmp_path, s)
    reasons = sorted(r["reason"] for r in rej.values())
    assert reasons == sorted(
        [
            "undecodable",
            "silence",
            "too_long",
            "too_short",
            "clipping",
            "non_finite",
            "duplicate_audio",
            "empty_text",
            "non_malayalam_text",
            "missing_audio",
            "missing_audio",
            "truncated",
        ]
    )
    assert len(kept) == 1 and kept[0]["source_row"] == 0
    assert len(kept) + len(rej) == len(rows)
    dup = next(r for r in rej.values() if r["reason"] == "duplicate_audio")
    assert kept[0]["id"] in dup["detail"]
    assert all(r["detail"] for r in rej.values())


def test_shard_tar_is_deterministic_and_consistent(tmp_path):
    rows = [
        {
            "audio": wav(tone(1.0 + i / 10, 44100, 200 + 30 * i, channels=2), 44100, fmt="FLAC"),
            "text": SENTENCES[i],
            "spk": f"s{i % 3}",
        }
        for i in range(6)
    ]
    s = settings(tmp_path, rows, {"audio": "audio", "text": "text", "speaker": "spk"}, ["stt"])
    kept, rej = run_all(tmp_path, s)
    assert len(kept) == 6 and not rej
    tar_path = tmp_path / paths.shard_tar("ds", 0)
    first = tar_path.read_bytes()
    shards.standardize_shard(s, 0, tmp_path)
    assert tar_path.read_bytes() == first, "rerun must be byte-identical"
    with tarfile.open(tar_path) as tar:
        names = tar.getnames()
        stems = [n.rsplit(".", 1)[0] for n in names]
        assert stems == sorted(stems)  # grouped by item id, in id order (WebDataset style)
        assert all(m.mtime == 0 and m.uid == 0 for m in tar.getmembers())
        wav_name = next(n for n in names if n.endswith(".wav"))
        import soundfile as sf

        info = sf.info(io.BytesIO(tar.extractfile(wav_name).read()))
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        meta = json.loads(tar.extractfile(wav_name[:-4] + ".json").read())
        assert meta["source_sample_rate"] == 44100 and meta["source_channels"] == 2
    shard_ids = {r["shard"] for r in kept}
    assert shard_ids == {"shard-00000", "shard-00001"}


def test_text_dataset_label_checks(tmp_path):
    rows = [{"text": SENTENCES[i], "intent": "pay" if i % 2 else "ask"} for i in range(6)]
    rows.append({"text": SENTENCES[6], "intent": None})
    rows.append({"text": "൧൨൩ ...", "intent": "ask"})
    s = settings(tmp_path, rows, {"text": "text", "label": "intent"}, ["intent"], n_shards=1)
    kept, rej = run_all(tmp_path, s)
    assert len(kept) == 6
    assert sorted(r["reason"] for r in rej.values()) == ["empty_text", "missing_label"]


def test_column_mismatch_names_columns_and_key(tmp_path):
    rows = [{"text": SENTENCES[0], "intent": "a"}]
    s = settings(tmp_path, rows, {"text": "utterance", "label": "intent"}, ["intent"], n_shards=1)
    with pytest.raises(DatasetError) as e:
        shards.write_plan(s, tmp_path)
    msg = str(e.value)
    assert "'utterance'" in msg and "text, intent" in msg and "datasets.ds.columns.text" in msg


def test_a_text_column_of_the_wrong_type_is_a_config_error_like_a_wrong_audio_column(tmp_path):
    rows = [{"audio": wav(tone(1.0, 16000)), "sentence": SENTENCES[0]}]
    s = settings(tmp_path, rows, {"audio": "audio", "text": "audio"}, ["stt"], n_shards=1)
    with pytest.raises(DatasetError) as e:
        shards.write_plan(s, tmp_path)
    msg = str(e.value)
    assert msg.startswith(
        "dataset 'ds': column 'audio' (config datasets.ds.columns.text) holds values of type "
        "struct<"
    )
    assert msg.endswith(
        "not text; the dataset's text columns are: sentence. Set datasets.ds.columns.text to "
        "one of them."
    )


def test_a_json_record_whose_text_is_an_object_is_a_config_error(tmp_path):
    body = json.dumps({"text": {"ml": SENTENCES[0]}, "intent": "balance", "note": "x"}) + "\n"
    with pytest.raises(DatasetError) as e:
        _text_files_dataset(tmp_path, "train.jsonl", body, {"text": "text", "label": "intent"})
    assert (
        "column 'text' (config datasets.ds.columns.text) holds a dict in train.jsonl row 0"
        in str(e.value)
        and "text columns are: intent, note" in str(e.value)
    )


def test_codec_token_dataset_is_reported_not_decoded(tmp_path):
    rows = [{"codes": [1, 2, 3], "text": SENTENCES[0]}]
    s = settings(tmp_path, rows, {"audio": "codes", "text": "text"}, ["tts"], n_shards=1)
    with pytest.raises(DatasetError, match="audio-codec tokens"):
        shards.write_plan(s, tmp_path)


def test_merge_detects_lost_items(tmp_path):
    rows = [{"text": SENTENCES[i], "intent": "a"} for i in range(4)]
    s = settings(tmp_path, rows, {"text": "text", "label": "intent"}, ["intent"], n_shards=2)
    shards.write_plan(s, tmp_path)
    for k in range(2):
        shards.standardize_shard(s, k, tmp_path)
    # simulate a shard part that lost a row (e.g. a hand-edited or stale file)
    part = tmp_path / paths.shard_part("ds", 1)
    t = pq.read_table(part)
    pq.write_table(t.slice(0, t.num_rows - 1), part)
    with pytest.raises(shards.AccountingError, match="planned"):
        shards.merge("ds", 2, tmp_path)


def test_a_shard_that_does_not_account_for_its_plan_writes_nothing(tmp_path, monkeypatch):
    rows = [{"text": SENTENCES[i], "intent": "a"} for i in range(4)]
    s = settings(tmp_path, rows, {"text": "text", "label": "intent"}, ["intent"], n_shards=1)
    shards.write_plan(s, tmp_path)
    real = shards._ShardJob.items

    def one_lost(self):  # a source that yields one planned row fewer (the raw files changed)
        return list(real(self))[1:]

    monkeypatch.setattr(shards._ShardJob, "items", one_lost)
    with pytest.raises(shards.AccountingError, match="planned 4 items, kept 3"):
        shards.standardize_shard(s, 0, tmp_path)
    outputs = [paths.shard_tar, paths.shard_part, paths.shard_rejects, paths.shard_hashes]
    assert [f("ds", 0) for f in outputs if (tmp_path / f("ds", 0)).exists()] == []


def test_unsafe_tar_member_rejected(tmp_path):
    bad = tmp_path / "evil.tar"
    with tarfile.open(bad, "w") as tar:
        info = tarfile.TarInfo("../escape.wav")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(ValueError, match="unsafe tar member"):
        shards.read_shard(bad)
    assert not (tmp_path.parent / "escape.wav").exists()


def test_quality_gates_in_the_shard_job(tmp_path):
    """Real speech passes, noise is no_speech, a transcript that cannot fit its clip is
    speaking_rate, 8 kHz audio is flagged narrowband, silence padding is trimmed."""
    import subprocess

    def espeak(text: str) -> tuple[np.ndarray, int]:
        out = subprocess.run(
            ["espeak-ng", "-v", "ml", "--stdout", text], capture_output=True, check=True
        ).stdout
        x, sr = sf.read(io.BytesIO(out), dtype="float32")
        return x, sr

    rows = []
    for i, sent in enumerate(SENTENCES[:6]):
        x, sr = espeak(sent)
        if i == 1:  # half a second of silence on both sides: trimmed to speech + padding
            pad = np.zeros(sr // 2, np.float32)
            x = np.concatenate([pad, x, pad])
        if i == 2:  # a phone call: 8 kHz
            import soxr

            x, sr = soxr.resample(x, sr, 8000).astype(np.float32), 8000
        rows.append({"audio": wav(x, sr), "text": sent})
    noise = (0.2 * np.random.default_rng(1).standard_normal(32000)).astype(np.float32)
    rows.append({"audio": wav(noise, 16000), "text": SENTENCES[6]})
    x, sr = espeak("നന്ദി")  # one short word ...
    long_text = " ".join(SENTENCES)  # ... carrying the transcript of a long recording
    rows.append({"audio": wav(x, sr), "text": long_text})
    s = settings(tmp_path, rows, {"audio": "audio", "text": "text"}, ["stt"], n_shards=1)
    q = config.validate(
        {
            "datasets": {
                "x": {
                    "path": str(tmp_path),
                    "columns": {"text": "t"},
                    "engines": ["text"],
                    "license": "c",
                }
            }
        }
    )["quality"]
    s = dataclasses.replace(s, quality=q)  # the default gates, VAD on
    kept, rej = run_all(tmp_path, s)
    reasons = {r["source_row"]: r["reason"] for r in rej.values()}
    assert reasons == {6: "no_speech", 7: "speaking_rate"}
    assert "graphemes/s outside" in next(r["detail"] for r in rej.values() if r["source_row"] == 7)
    by_row = {r["source_row"]: r for r in kept}
    assert [by_row[i]["narrowband"] for i in range(6)] == [False, False, True, False, False, False]
    assert by_row[1]["untrimmed_duration"] - by_row[1]["duration"] > 0.5  # ~1 s of pad cut
    assert all(r["speech_ratio"] > 0.5 and r["graphemes_per_second"] > 1 for r in kept)


def _espeak(text: str) -> np.ndarray:
    import subprocess

    import soxr

    out = subprocess.run(
        ["espeak-ng", "-v", "ml", "--stdout", text], capture_output=True, check=True
    ).stdout
    x, sr = sf.read(io.BytesIO(out), dtype="float32")
    return soxr.resample(x, sr, 16000).astype(np.float32)


def long_call() -> tuple[np.ndarray, list[dict]]:
    """~25 s: six sentences with 0.7 s pauses, and their timestamps (one of them broken)."""
    pause = np.zeros(int(0.7 * 16000), np.float32)
    parts, segs, t = [], [], 0.0
    for sent in SENTENCES[:6]:
        x = _espeak(sent)
        parts += [x, pause]
        segs.append({"start": round(t, 3), "end": round(t + x.size / 16000, 3), "text": sent})
        t += (x.size + pause.size) / 16000
    segs.append({"start": t + 5.0, "end": t + 6.0, "text": "ഇല്ലാത്ത ഭാഗം"})  # past the end
    return np.concatenate(parts), segs


def test_long_recordings_are_cut_at_their_timestamps_or_pauses(tmp_path):
    x, segs = long_call()
    assert x.size / 16000 > 10
    q = config.validate(
        {
            "datasets": {
                "x": {
                    "path": str(tmp_path),
                    "columns": {"text": "t"},
                    "engines": ["text"],
                    "license": "c",
                }
            }
        }
    )["quality"]
    rows = [{"audio": wav(x, 16000), "text": "", "segments": json.dumps(segs, ensure_ascii=False)}]
    cols = {"audio": "audio", "text": "text", "segments": "segments"}
    s = settings(tmp_path / "a", rows, cols, ["stt"], n_shards=1, max_duration=10.0)
    s = dataclasses.replace(s, quality=q)
    kept, rej = run_all(tmp_path / "a", s)
    assert len(kept) == 6 and {r["parent_id"] for r in kept} == {"ds-data_train-00000-000000"}
    assert [r["text"] for r in sorted(kept, key=lambda r: r["id"])] == SENTENCES[:6]
    assert [r["reason"] for r in rej.values()] == ["bad_segment"]
    assert all(r["duration"] < 10 for r in kept)

    # no timestamps, an engine that needs no transcript: cut at speech pauses
    rows = [{"audio": wav(x, 16000), "label": "Kollam"}]
    s = settings(
        tmp_path / "b",
        rows,
        {"audio": "audio", "label": "label"},
        ["dialect"],
        1,
        max_duration=10.0,
    )
    s = dataclasses.replace(s, quality=q)
    kept, rej = run_all(tmp_path / "b", s)
    assert len(kept) >= 2 and rej == {}  # grouped at pauses up to max_duration
    assert sum(r["duration"] for r in kept) > 0.6 * x.size / 16000  # the speech is kept
    assert all(1.0 <= r["duration"] <= 10.0 and r["parent_id"] for r in kept)


def test_plan_reads_no_audio_and_duplicates_meet_at_merge(tmp_path, monkeypatch):
    """Audio is read once, in the shard jobs; duplicates across shards keep the smallest id."""
    from foundry import validate
    from foundry.ingest import sources

    sr = 16000
    same = wav(tone(1.0, sr, 220), sr)
    rows = [
        {"audio": wav(tone(1.0, sr, 300 + 20 * i), sr), "text": SENTENCES[i], "spk": f"s{i}"}
        for i in range(6)
    ]
    rows[1]["audio"] = rows[4]["audio"] = rows[5]["audio"] = (
        same  # shard 0 row 1, shard 1 rows 4, 5
    )
    s = settings(tmp_path, rows, {"audio": "audio", "text": "text", "speaker": "spk"}, ["stt"])
    reads = []
    real = sources.audio_bytes
    monkeypatch.setattr(sources, "audio_bytes", lambda *a: reads.append(a) or real(*a))
    shards.write_plan(s, tmp_path)
    assert len(reads) <= 1  # at most the first row: "does this dataset have waveforms at all?"
    plan = pq.read_table(tmp_path / paths.plan("ds")).to_pylist()
    assert [p["shard"] for p in plan] == [0, 0, 0, 1, 1, 1]
    for k in range(s.shards):
        shards.standardize_shard(s, k, tmp_path)
    reads.clear()
    shards.merge("ds", s.shards, tmp_path)
    assert reads == []
    ids = [p["id"] for p in plan]
    keeper = min(ids[1], ids[4], ids[5])
    kept = pq.read_table(tmp_path / paths.silver_manifest("ds")).to_pylist()
    rej = pq.read_table(tmp_path / paths.silver_rejects("ds")).to_pylist()
    assert sorted(r["id"] for r in kept) == sorted({ids[0], ids[2], ids[3], keeper})
    dups = {r["id"]: r for r in rej if r["reason"] == "duplicate_audio"}
    assert set(dups) == {ids[1], ids[4], ids[5]} - {keeper}
    assert all(r["detail"] == f"same audio bytes as {keeper}" for r in dups.values())
    assert {(r["source_file"], r["source_row"]) for r in dups.values()} == {
        (p["source_file"], p["source_row"]) for p in plan if p["id"] in dups
    }
    # the shard that kept a later-resolved duplicate still holds its WAV; validate accepts it
    assert validate.check_silver("ds", s.shards, tmp_path) == []


def test_robust_speaking_rate_outlier_completes_the_shard(tmp_path):
    """With enough items, a clip whose transcript is far faster than its shard's is rejected as
    speaking_rate by the robust bounds, and the shard still accounts for every item."""
    sr = 16000
    rows = [
        {"audio": wav(tone(2.0, sr, 150 + 7 * i), sr), "text": SENTENCES[i % 4][:20]}
        for i in range(24)
    ]
    rows[5]["text"] = (SENTENCES[0] + " " + SENTENCES[1])[:44]  # ~2x the others' rate
    s = settings(tmp_path, rows, {"audio": "audio", "text": "text"}, ["stt"], n_shards=1)
    assert s.quality["speaking_rate"]["enabled"] and s.quality["speaking_rate"]["min_items"] <= 24
    kept, rej = run_all(tmp_path, s)
    assert [(r["source_row"], r["reason"]) for r in rej.values()] == [(5, "speaking_rate")]
    assert "robust bounds" in next(iter(rej.values()))["detail"]
    assert len(kept) == 23


def _text_files_dataset(tmp_path, name: str, body: str, columns: dict[str, str]):
    src = tmp_path / "src"
    src.mkdir()
    (src / name).write_text(body, encoding="utf-8")
    spec = {"path": str(src), "columns": columns, "engines": ["intent"], "license": "cc0"}
    cfg = config.validate({"datasets": {"ds": {**spec, "shards": 1}}})
    _ingest(tmp_path, cfg)
    return run_all(tmp_path, shards.Settings.from_config(cfg, "ds"))


def test_csv_rows_with_extra_or_missing_fields_are_malformed_rows(tmp_path):
    """A row with more fields than the header used to be cut to fit (its text lost, no reject)."""
    a, b, c = SENTENCES[:3]
    body = f"text,intent\n{a},balance\n{b},bill,EXTRA TEXT\n{c}\n{SENTENCES[3]},greet\n"
    kept, rej = _text_files_dataset(
        tmp_path, "train.csv", body, {"text": "text", "label": "intent"}
    )
    assert sorted(r["source_row"] for r in kept) == [0, 3]
    details = {r["source_row"]: (r["reason"], r["detail"]) for r in rej.values()}
    assert details == {
        1: ("malformed_row", "train.csv: line 3 has 3 fields, the header has 2"),
        2: ("malformed_row", "train.csv: line 4 has 1 fields, the header has 2"),
    }


def test_one_bad_json_line_rejects_that_record_not_the_dataset(tmp_path):
    lines = [
        json.dumps({"text": SENTENCES[0], "intent": "balance"}, ensure_ascii=False),
        '{"text": "cut off',
        json.dumps({"text": SENTENCES[1], "intent": "bill"}, ensure_ascii=False),
    ]
    body = "\n".join(lines) + "\n"
    kept, rej = _text_files_dataset(
        tmp_path, "train.jsonl", body, {"text": "text", "label": "intent"}
    )
    assert sorted(r["source_row"] for r in kept) == [0, 2]
    (bad,) = rej.values()
    assert bad["reason"] == "malformed_row" and bad["source_row"] == 1
    assert bad["detail"].startswith("train.jsonl: line 2 is not JSON")


@pytest.mark.parametrize("damage", [b"", b"PAR1 not really parquet"])
def test_an_empty_or_unreadable_data_file_fails_ingest_naming_it(tmp_path, damage):
    from foundry.ingest.hub import IngestError

    src = write_dataset(tmp_path / "src", [{"text": SENTENCES[0], "intent": "balance"}])
    (src / "data/train-00001.parquet").write_bytes(damage)
    spec = {"path": str(src), "columns": {"text": "text", "label": "intent"}}
    cfg = config.validate({"datasets": {"ds": {**spec, "engines": ["intent"], "license": "c"}}})
    with pytest.raises(IngestError, match=r"train-00001\.parquet is (empty|not a readable)"):
        _ingest(tmp_path, cfg)
    assert not (tmp_path / paths.raw_manifest("ds")).exists()
