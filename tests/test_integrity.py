"""Damage never travels (unit): records, the one-sentence refusal, and the temp-debris sweep."""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import pytest

from foundry import atomic, integrity, paths


def test_a_file_that_changed_after_it_was_recorded_is_refused_in_one_sentence(tmp_path):
    folder = tmp_path / "splits/intent"
    folder.mkdir(parents=True)
    (folder / "test.parquet").write_bytes(b"0123456789")
    (folder / "dev.parquet").write_bytes(b"abc")
    record = integrity.files_record(folder, ["test.parquet", "dev.parquet"])
    assert list(record) == ["dev.parquet", "test.parquet"]  # sorted
    fix = integrity.rebuild("splits/intent/stats.json")
    integrity.require_files(tmp_path, "splits/intent", record, "splits/intent/checksums.json", fix)

    (folder / "test.parquet").write_bytes(b"0123456789"[:4])  # truncated
    with pytest.raises(integrity.DamagedInput) as err:
        integrity.require_files(tmp_path, "splits/intent", record, "x/checksums.json", fix)
    assert str(err.value) == (
        "splits/intent/test.parquet: 4 bytes where 10 were written, unlike what "
        "x/checksums.json recorded when it was written; nothing was built from it: rebuild it: "
        "`snakemake --cores 1 --forcerun splits/intent/stats.json -- gold/`"
    )
    (folder / "test.parquet").write_bytes(b"0123456780")  # same size, one byte edited
    assert integrity.file_finding(folder / "test.parquet", record["test.parquet"]) == (
        "content differs (same size, other sha256)"
    )
    (folder / "dev.parquet").unlink()
    assert integrity.file_finding(folder / "dev.parquet", record["dev.parquet"]) == "missing"


def test_a_tree_is_checked_file_by_file_and_temp_names_are_not_part_of_it(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a/w.bin").write_bytes(b"w")
    (tmp_path / "r.json").write_text("{}")
    recorded = integrity.tree_hashes(tmp_path)
    (tmp_path / ".tmp-w.bin.1@00000000.x").write_bytes(b"half")
    assert integrity.tree_findings(tmp_path, recorded) == []
    (tmp_path / "a/w.bin").write_bytes(b"W")
    (tmp_path / "extra").write_bytes(b"")
    assert integrity.tree_findings(tmp_path, recorded) == [
        ("a/w.bin", "changed"),
        ("extra", "not recorded"),
    ]
    assert integrity.tree_findings(tmp_path, recorded, ignore=("extra",)) == [
        ("a/w.bin", "changed")
    ]
    with pytest.raises(integrity.DamagedInput, match=r"^models/x: a/w.bin changed; extra not"):
        integrity.require_tree(tmp_path, "models/x", recorded, "m.json", "fix")


def _dead_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(proc.stdout)


def test_temp_names_carry_their_writer_and_only_a_dead_writers_debris_is_swept(tmp_path):
    with atomic.atomic_write(tmp_path / "models/x/metrics.json", "w") as fh:
        (name,) = [p.name for p in (tmp_path / "models/x").iterdir()]
        fh.write("{}")
    assert name.startswith(f".tmp-metrics.json.{os.getpid()}@")
    assert atomic.is_abandoned(tmp_path / name) is False  # this process is alive

    host = name.split("@", 1)[1].split(".", 1)[0]
    dead = _dead_pid()
    gone = [
        tmp_path / f".tmp-gold.{dead}@{host}.k2j_x9",  # a killed publish, at the root
        tmp_path / f"models/x/.tmp-base.{dead}@{host}.abc",  # a killed training's base
        tmp_path / f"silver/d/shards/.tmp-shard-00001.tar.{dead}@{host}.q",
        tmp_path / f".tmp-gold.{dead}@{host}.old",  # killed between the two renames
        tmp_path / "raw/d/.tmp-files.a8Zq_0",  # named before writers were recorded
    ]
    kept = [
        tmp_path / f"models/x/.tmp-adapter.{os.getpid()}@{host}.live",  # a writer at work
        tmp_path / f"deploy/x/.tmp-production.json.{dead}@ffffffff.z",  # another machine's
        tmp_path / "notes/.tmp-mine",  # not a workflow folder
    ]
    for p in gone[:2] + gone[3:]:
        (p / "inner").mkdir(parents=True)
        (p / "inner/f").write_bytes(b"partial")
    for p in [gone[2], *kept]:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"partial")

    found = atomic.debris(tmp_path, paths.OUTPUT_FOLDERS)
    assert found == sorted(gone + kept[:2])
    assert atomic.sweep(tmp_path, paths.OUTPUT_FOLDERS) == sorted(gone)
    assert not any(p.exists() for p in gone) and all(p.exists() for p in kept)
    assert (tmp_path / "models/x/metrics.json").read_text() == "{}"


def test_a_full_disk_names_the_path_and_what_to_free_and_leaves_nothing(tmp_path, monkeypatch):
    target = tmp_path / "silver/d/shards/shard-00000.tar"
    with pytest.raises(atomic.WriteError) as err:
        with atomic.atomic_write(target) as fh:
            fh.write(b"half a shard")
            raise OSError(errno.ENOSPC, "No space left on device")
    msg = str(err.value)
    assert msg.startswith(f"cannot write {target}: no space left on the disk holding ")
    assert "MB free); free space there (old logs/" in msg and "nothing partial was kept" in msg
    assert isinstance(err.value, OSError) and err.value.errno == errno.ENOSPC
    assert list(target.parent.iterdir()) == []

    with pytest.raises(atomic.WriteError, match=r"cannot write .*/models/x/base: no space"):
        with atomic.atomic_dir(tmp_path / "models/x/base") as tmp:
            (tmp / "model.safetensors").write_bytes(b"w")
            raise OSError(errno.EDQUOT, "Disk quota exceeded")
    assert list((tmp_path / "models/x").iterdir()) == []


def test_a_folder_that_refuses_writes_is_named_with_the_fix(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
    with pytest.raises(atomic.WriteError) as err:
        atomic.write_json(tmp_path / "deploy/intent/production.json", {})
    assert str(err.value) == (
        f"cannot write {tmp_path}/deploy/intent/production.json: permission denied in "
        f"{(tmp_path / 'deploy/intent').resolve()}; make that folder writable for this user "
        f"(uid {os.getuid()}), then run again; nothing partial was kept"
    )
    # anything else stays the error it was (a bug keeps its traceback)
    monkeypatch.undo()
    with pytest.raises(ValueError, match="boom"):
        with atomic.atomic_write(tmp_path / "x.json", "w"):
            raise ValueError("boom")


def test_a_base_model_is_checked_against_the_hashes_it_was_built_with(tmp_path):
    from foundry.train import base

    folder = tmp_path / paths.base_model_dir("intent")
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"weights")
    meta = {"checksums": integrity.tree_hashes(folder)}
    (folder / "foundry.json").write_text("{}")  # the record itself is not part of it
    (folder / integrity.SNAKEMAKE_MARKER).write_text("")  # nor Snakemake's mark
    assert base.verify_base(folder, meta, "intent") == meta["checksums"]
    (folder / "model.safetensors").write_bytes(b"weightz")
    with pytest.raises(integrity.DamagedInput) as err:
        base.verify_base(folder, meta, "intent")
    assert str(err.value) == (
        "models/intent/base: model.safetensors changed, unlike what models/intent/base/"
        "foundry.json recorded when it was written; nothing was built from it: rebuild the base: "
        "`snakemake --cores 1 --forcerun models/intent/base -- models`"
    )
    with pytest.raises(integrity.DamagedInput, match="records no file hashes"):
        base.verify_base(folder, {}, "intent")
