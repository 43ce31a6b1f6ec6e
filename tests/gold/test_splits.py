"""Phase 3: deterministic, leak-free splits; class caps and weights; dialect mapping."""

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from foundry import config, integrity, paths, steps
from foundry.atomic import write_parquet
from foundry.gold import splits
from foundry.silver.shards import MANIFEST_SCHEMA, REJECT_SCHEMA


def row(i, text, speaker="", label="", ds="ds"):
    base = {f.name: None for f in MANIFEST_SCHEMA}
    base.update(
        id=f"{ds}-{i:04d}",
        dataset=ds,
        shard="shard-00000",
        duration=0.0,
        sample_rate=0,
        text=text,
        raw_text=text,
        speaker=speaker,
        label=label,
        translation="",
        audio_sha256="",
        source_file="f",
        source_row=i,
        source_revision="r",
        source_format="",
        source_sample_rate=0,
        source_channels=0,
    )
    return base


HERE = str(Path(__file__).resolve().parent)  # any existing folder: validation checks paths


def make_cfg(engine="intent", **extra):
    columns = {"audio": "a", "label": "l"} if engine == "dialect" else {"text": "t", "label": "l"}
    cfg = config.validate(
        {
            "datasets": {
                "ds": {"path": HERE, "columns": columns, "engines": [engine], "license": "cc0"}
            },
            "dialect_map": {
                "Travancore": ["Kollam"],
                "Malabar": ["Kannur"],
                "Cochin": ["Thrissur"],
            },
            "splits": {"ratios": {"train": 0.6, "dev": 0.2, "test": 0.2}},
            **extra,
        }
    )
    return cfg


def write_silver(tmp_path, rows):
    write_parquet(
        tmp_path / paths.silver_manifest("ds"), pa.Table.from_pylist(rows, MANIFEST_SCHEMA)
    )
    write_parquet(tmp_path / paths.silver_rejects("ds"), REJECT_SCHEMA.empty_table())


RATIOS = {"train": 0.6, "dev": 0.2, "test": 0.2}


def split_of(rows, engine="stt", salt="salt"):
    keys = splits.group_keys(rows)
    where = splits.assign_groups(rows, keys, engine, salt, RATIOS)
    out = {"train": [], "dev": [], "test": []}
    for r, k in zip(rows, keys, strict=True):
        out[where[k]].append(r)
    return out, keys


def test_same_speaker_or_text_never_crosses_splits():
    rows = [row(i, f"വാക്യം {i % 40}", speaker=f"s{i % 7}") for i in range(120)]
    rows += [row(200 + i, f"പുതിയ {i}", speaker=f"t{i % 12}") for i in range(60)]
    assigned, keys = split_of(rows)
    splits.check_leakage("stt", assigned)  # must not raise
    # speaker s0 reads text 0, which speaker s5 also reads (i=40 -> s5) -> one component
    assert keys[0] == keys[40]
    assert all(assigned[s] for s in assigned)


def test_every_class_reaches_dev_and_test_and_assignment_is_deterministic():
    rows = [row(i, f"ബിൽ {i}", speaker=f"s{i // 5}", label="abc"[i // 5 % 3]) for i in range(90)]
    first, _ = split_of(rows, "dialect")
    again, _ = split_of(list(reversed(rows)), "dialect")
    for s in paths.SPLITS:
        assert {r["label"] for r in first[s]} == {"a", "b", "c"}
        assert sorted(r["id"] for r in first[s]) == sorted(r["id"] for r in again[s])
    assert 0.5 < len(first["train"]) / len(rows) < 0.7
    other, _ = split_of(rows, "dialect", salt="another")
    assert sorted(r["id"] for r in other["test"]) != sorted(r["id"] for r in first["test"])


def test_tiny_class_keeps_a_training_group():
    rows = [row(i, f"ഒന്ന് {i}", label="big") for i in range(30)]
    rows += [
        row(100, "ഒറ്റ", label="solo"),
        row(101, "രണ്ട് എണ്ണം", label="pair"),
        row(102, "മൂന്ന്", label="pair"),
    ]
    assigned, _ = split_of(rows, "intent")
    assert [r["label"] for r in assigned["train"]].count("solo") == 1
    assert "pair" in {r["label"] for r in assigned["train"]}


def test_leakage_check_catches_a_hand_made_leak():
    a, b = row(1, "ഒന്ന്", speaker="s1"), row(2, "രണ്ട്", speaker="s1")
    with pytest.raises(splits.LeakageError, match="speaker 'ds:s1' in dev\\+train"):
        splits.check_leakage("stt", {"train": [a], "dev": [b], "test": []})
    c, d = row(3, "ഒന്ന്"), row(4, "ഒന്ന്")
    with pytest.raises(splits.LeakageError, match="text"):
        splits.check_leakage("stt", {"train": [c], "dev": [], "test": [d]})


def test_allocate_is_byte_identical_and_caps_classes(tmp_path):
    rows = [row(i, f"ബിൽ അടയ്ക്കണം {i}", label="pay") for i in range(90)]
    rows += [row(100 + i, f"ബാലൻസ് എത്ര {i}", label="balance") for i in range(15)]
    write_silver(tmp_path, rows)
    cfg = make_cfg(balance={"max_class_ratio": 2.0})
    stats = splits.allocate(steps.allocate(cfg, "intent"), tmp_path)
    first = {f: (tmp_path / f).read_bytes() for f in paths.split_data_outputs("intent")}
    splits.allocate(steps.allocate(cfg, "intent"), tmp_path)
    assert {f: (tmp_path / f).read_bytes() for f in paths.split_data_outputs("intent")} == first
    train = stats["train"]["per_class"]
    assert train["pay"] <= 2 * train["balance"]
    assert stats["capped_on_train"]["pay"] > 0
    labels = config.json.loads(first[paths.split_labels("intent")])
    assert labels["labels"] == ["balance", "pay"]
    w = labels["class_weights"]
    assert w["balance"] > w["pay"]
    total = stats["train"]["items"]
    assert sum(w[c] * n for c, n in train.items()) == pytest.approx(total, rel=1e-4)
    ids = pq.read_table(tmp_path / paths.split_file("intent", "train")).column("id").to_pylist()
    assert ids == sorted(ids)


def _dialect_silver(tmp_path):
    """40 one-tone clips of four districts (one outside Kerala) in one shard."""
    from factory import tone

    from foundry.audio import audio_sha256, encode_wav, to_pcm16
    from foundry.silver.shards import _write_tar

    rows, members = [], []
    names = ["Kollam", "kannur", "Thrissur", "Atlantis"]
    for i in range(40):
        r = row(i, "", speaker=f"s{i}", label=names[i % 4])
        pcm = to_pcm16(tone(0.5 + i / 1000, 16000))
        r.update(duration=len(pcm) / 16000, sample_rate=16000, audio_sha256=audio_sha256(pcm))
        rows.append(r)
        members.append((r["id"], encode_wav(pcm), b"{}"))
    write_silver(tmp_path, rows)
    _write_tar(tmp_path / paths.shard_tar("ds", 0), members)
    return rows


def test_a_damaged_shard_stops_allocate_before_splits_are_written(tmp_path):
    rows = _dialect_silver(tmp_path)
    tar = tmp_path / paths.shard_tar("ds", 0)
    data = bytearray(tar.read_bytes())
    at = data.index(b"data", 600) + 100  # inside the PCM of the first WAV member
    data[at] ^= 0x20
    tar.write_bytes(bytes(data))
    with pytest.raises(integrity.DamagedInput) as err:
        splits.allocate(steps.allocate(make_cfg("dialect"), "dialect"), tmp_path)
    msg = str(err.value)
    m = re.match(rf"{paths.shard_tar('ds', 0)} item (\S+): stored audio differs", msg)
    assert m and m.group(1) in {r["id"] for r in rows}, msg
    assert f"--forcerun {paths.shard_tar('ds', 0)} -- gold/" in msg
    assert not (tmp_path / paths.split_dir("dialect")).exists()


def test_dialect_labels_mapped_and_unmapped_recorded(tmp_path):
    _dialect_silver(tmp_path)
    stats = splits.allocate(steps.allocate(make_cfg("dialect"), "dialect"), tmp_path)
    assert set().union(*(stats[s]["per_class"] for s in paths.SPLITS)) == {
        "Travancore",
        "Malabar",
        "Cochin",
    }
    assert stats["items"] == 30
    assert "Atlantis" in next(iter(stats["excluded"]))
    import datasets

    ds = datasets.load_dataset(
        "parquet", data_files=str(tmp_path / paths.split_file("dialect", "train"))
    )
    assert ds["train"].features["audio"].sampling_rate == 16000


def test_empty_split_is_an_error(tmp_path):
    write_silver(tmp_path, [row(0, "ഒരു വാക്യം", label="a"), row(1, "മറ്റൊരു", label="b")])
    with pytest.raises(splits.SplitError, match="is empty"):
        splits.allocate(steps.allocate(make_cfg(), "intent"), tmp_path)
