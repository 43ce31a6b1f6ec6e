"""Checking never builds: validate reads raw/silver/gold as they are and names every damaged file
and item (a JSON report, never a traceback); the documented recovery rebuilds byte-identically.

Unit tests run on a tiny hand-made tree (two datasets, an audio and a text engine); the workflow
tests damage a copy of the demo build (the session fixture ``demo_gold``).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from workflow import planned_jobs, snakemake, tree_bytes

from foundry import audio, config, paths, validate
from foundry.atomic import sha256_file, write_json, write_parquet, write_text
from foundry.gold import publish, splits
from foundry.silver.shards import HASH_SCHEMA, MANIFEST_SCHEMA, PLAN_SCHEMA, REJECT_SCHEMA

CFG: dict[str, Any] = {
    "default_shards": 1,
    "datasets": {
        "tiny": {"engines": ["stt"], "shards": 2},
        "words": {"engines": ["intent"]},
    },
}
GOLD_FIELDS = [(c, pa.string()) for c in ("id", "dataset", "text", "raw_text", "speaker", "label")]
AUDIO_FIELDS = [
    ("audio", pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
    ("duration", pa.float64()),
]
CARD: dict[str, Any] = {"datasets": {}}
PUBLISH = {"engines": ["stt", "intent"], "cards": {"stt": CARD, "intent": CARD}}
STT_SPLITS = {"train": [0, 1, 2, 3], "dev": [4], "test": [5]}


def _blank(schema: pa.Schema) -> dict[str, Any]:
    """A row of ``schema`` with empty values, so new manifest columns need no test change."""
    zero = {pa.string(): "", pa.int32(): 0, pa.int64(): 0, pa.float64(): 0.0}
    return {f.name: zero.get(f.type) for f in schema}


def _pcm(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-8000, 8000, 8000).astype(np.int16)


def _tar(path: Path, members: list[tuple[str, bytes]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))


def _silver(root: Path, ds: str, rows: list[dict[str, Any]], wavs: dict[str, bytes]) -> None:
    n_shards = CFG["datasets"][ds].get("shards", 1)
    raw = root / paths.raw_files(ds) / "data.bin"
    raw.parent.mkdir(parents=True)
    raw.write_bytes(f"raw bytes of {ds}".encode())
    entry = {"path": "data.bin", "size": raw.stat().st_size, "sha256": sha256_file(raw)}
    write_json(root / paths.raw_manifest(ds), {"files": [entry]})
    plan = [{**_blank(PLAN_SCHEMA), "id": r["id"], "shard": int(r["shard"][-5:])} for r in rows]
    write_parquet(root / paths.plan(ds), pa.Table.from_pylist(plan, PLAN_SCHEMA))
    write_parquet(root / paths.silver_manifest(ds), pa.Table.from_pylist(rows, MANIFEST_SCHEMA))
    write_parquet(root / paths.silver_rejects(ds), REJECT_SCHEMA.empty_table())
    for k in range(n_shards):
        mine = [r for r in rows if r["shard"] == paths.shard_name(k)]
        write_parquet(root / paths.shard_part(ds, k), pa.Table.from_pylist(mine, MANIFEST_SCHEMA))
        write_parquet(root / paths.shard_rejects(ds, k), REJECT_SCHEMA.empty_table())
        write_parquet(root / paths.shard_hashes(ds, k), HASH_SCHEMA.empty_table())
        members = []
        for r in mine:
            if r["id"] in wavs:
                members.append((f"{r['id']}.wav", wavs[r["id"]]))
            meta = json.dumps(r, sort_keys=True, ensure_ascii=False).encode()
            members.append((f"{r['id']}.json", meta))
        _tar(root / paths.shard_tar(ds, k), members)


def _splits(root: Path, engine: str, rows: list[dict], split_of: dict, wavs: dict) -> None:
    fields = GOLD_FIELDS + (AUDIO_FIELDS if engine in paths.AUDIO_ENGINES else [])
    schema = pa.schema(fields)
    stats: dict[str, Any] = {"engine": engine, "datasets": [], "capped_on_train": {}}
    stats["excluded"] = {}
    for split in paths.SPLITS:
        mine = []
        for i in split_of[split]:
            r = {k: rows[i][k] for k, _ in GOLD_FIELDS}
            if engine in paths.AUDIO_ENGINES:
                r["audio"] = {"bytes": wavs[r["id"]], "path": f"{r['id']}.wav"}
                r["duration"] = rows[i]["duration"]
            mine.append(r)
        write_parquet(root / paths.split_file(engine, split), pa.Table.from_pylist(mine, schema))
        stats[split] = {"items": len(mine), "hours": 0.0, "speakers": 0, "per_class": {}}
    write_json(root / paths.split_stats(engine), stats)
    write_json(root / paths.split_labels(engine), {"engine": engine})
    write_json(root / paths.split_checksums(engine), splits.checksums(engine, root))
    write_text(root / paths.split_card(engine), splits.data_card(CARD, engine, stats))


def tiny_tree(root: Path) -> dict[str, str]:
    """raw → silver → splits → gold for two small datasets; returns gold item id -> gold file."""
    speech, wavs = [], {}
    for i in range(6):
        pcm = _pcm(i)
        item = f"tiny-{i:03d}"
        wavs[item] = audio.encode_wav(pcm)
        row = {**_blank(MANIFEST_SCHEMA), "id": item, "dataset": "tiny"}
        row.update(shard=paths.shard_name(i % 2), duration=0.5, sample_rate=16000)
        row.update(text=f"വാക്ക് {i}", raw_text=f"വാക്ക് {i}", speaker=f"s{i}")
        row["audio_sha256"] = audio.audio_sha256(pcm)
        speech.append(row)
    words = []
    for i, label in enumerate(["balance", "bill", "agent"]):
        row = {**_blank(MANIFEST_SCHEMA), "id": f"words-{i:03d}", "dataset": "words"}
        row.update(shard=paths.shard_name(0), text=f"ബിൽ {i}", raw_text=f"ബിൽ {i}", label=label)
        words.append(row)
    _silver(root, "tiny", speech, wavs)
    _silver(root, "words", words, {})
    _splits(root, "stt", speech, STT_SPLITS, wavs)
    _splits(root, "intent", words, {"train": [0], "dev": [1], "test": [2]}, {})
    publish.publish(PUBLISH, root)
    where = {speech[i]["id"]: f"gold/stt/{s}.parquet" for s, ix in STT_SPLITS.items() for i in ix}
    return where


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    tiny_tree(tmp_path)
    return tmp_path


def check(root: Path) -> list[dict[str, Any]]:
    return validate.validate_all(CFG, root, report=None)


def found(problems: list[dict], file: str, item: str | None = None, words: str = "") -> bool:
    return any(
        p["file"] == file and p["item"] == item and words in p["problem"] and p["fix"]
        for p in problems
    )


def _rewrite_gold(root: Path, rel: str, change) -> None:
    """Rewrite one gold parquet with ``change(rows)`` applied (same schema, new bytes)."""
    table = pq.read_table(root / rel)
    rows = table.to_pylist()
    change(rows)
    write_parquet(root / rel, pa.Table.from_pylist(rows, table.schema))


# --- unit: a tiny tree ---


def test_clean_tree_passes_and_the_report_says_so(tree):
    assert check(tree) == []
    problems = validate.validate_all(CFG, tree)
    report = json.loads((tree / paths.validation_report()).read_text())
    assert problems == [] and report["ok"] is True and report["problems"] == []
    assert report["checked"] == {"datasets": ["tiny", "words"], "engines": ["stt", "intent"]}


def test_publish_records_sha256_and_size_of_every_gold_file(tree):
    for engine in ("stt", "intent"):
        record = json.loads((tree / publish.checksums_file(engine)).read_text())
        assert sorted(record["files"]) == paths.gold_names(engine)
        for name, want in record["files"].items():
            p = tree / "gold" / engine / name
            assert want == {"sha256": sha256_file(p), "size": p.stat().st_size}
    first = (tree / publish.checksums_file("stt")).read_bytes()
    publish.publish(PUBLISH, tree)
    assert (tree / publish.checksums_file("stt")).read_bytes() == first  # deterministic


def test_one_changed_audio_sample_in_gold_names_the_file_and_the_item(tree):
    rel = "gold/stt/train.parquet"

    def change(rows):
        wav = bytearray(rows[2]["audio"]["bytes"])
        wav[1000] ^= 0x01  # one bit of one sample: still a valid WAV of the same length
        rows[2]["audio"]["bytes"] = bytes(wav)

    _rewrite_gold(tree, rel, change)
    problems = check(tree)
    assert found(problems, rel, None, "unlike what gold/stt/checksums.json recorded")
    assert found(problems, rel, "tiny-002", "audio differs from the audio_sha256")
    assert {p["item"] for p in problems} == {None, "tiny-002"}
    assert all(p["file"] == rel for p in problems), problems


def test_changed_gold_text_is_named_against_silver(tree):
    rel = "gold/intent/dev.parquet"
    _rewrite_gold(tree, rel, lambda rows: rows[0].update(text="tampered"))
    problems = check(tree)
    assert found(problems, rel, "words-001", "text differ")


def test_bytes_overwritten_inside_a_gold_parquet_are_found(tree):
    rel = "gold/stt/dev.parquet"
    p = tree / rel
    data = bytearray(p.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 64] = b"\x55" * 64
    p.write_bytes(bytes(data))  # in place, as the tester did
    problems = check(tree)
    assert found(problems, rel, None, "unlike what gold/stt/checksums.json recorded")
    # the item's audio changed (noise is stored uncompressed) or the page no longer decodes
    assert found(problems, rel, "tiny-004", "audio") or found(problems, rel, None, "unreadable")


def test_truncated_and_unreadable_files_are_named_problems_not_exceptions(tree):
    for rel in (
        "gold/stt/train.parquet",
        paths.silver_manifest("words"),
        paths.shard_tar("tiny", 1),
        "gold/intent/stats.json",
        paths.raw_manifest("tiny"),
        publish.checksums_file("intent"),
    ):
        p = tree / rel
        p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    problems = check(tree)
    assert found(problems, "gold/stt/train.parquet", None, "unreadable parquet")
    assert found(problems, "gold/stt/train.parquet", None, "bytes where")
    assert found(problems, paths.silver_manifest("words"), None, "unreadable parquet")
    shard = paths.shard_tar("tiny", 1)
    assert found(problems, shard, None, "unreadable tar") or found(
        problems, shard, None, "truncated"
    )
    assert found(problems, "gold/intent/stats.json", None, "unreadable JSON")
    assert found(problems, paths.raw_manifest("tiny"), None, "unreadable JSON")
    assert found(problems, publish.checksums_file("intent"), None, "unreadable JSON")
    assert not any("could not be checked" in p["problem"] for p in problems), problems


def test_damaged_shard_payload_names_the_shard_item_and_the_fix(tree):
    rel = paths.shard_tar("tiny", 1)
    p = tree / rel
    data = bytearray(p.read_bytes())
    pos = data.find(audio.encode_wav(_pcm(3))[2000:2032])  # inside tiny-003's samples
    assert pos > 0
    data[pos] ^= 0xFF
    p.write_bytes(bytes(data))
    problems = check(tree)
    assert found(problems, rel, "tiny-003", "audio differs")
    assert {(p["file"], p["item"]) for p in problems} == {(rel, "tiny-003")}
    fix = problems[0]["fix"]
    assert f"`snakemake --cores 1 --forcerun {rel} -- gold/`" in fix


def test_damaged_tar_header_is_not_mistaken_for_a_shorter_shard(tree):
    rel = paths.shard_tar("tiny", 0)
    p = tree / rel
    with tarfile.open(p) as tar:
        offsets = [m.offset for m in tar.getmembers()]
    data = bytearray(p.read_bytes())
    data[offsets[2] + 10] ^= 0xFF  # the name field of the second item's header
    p.write_bytes(bytes(data))
    problems = check(tree)
    assert found(problems, rel, None, "damaged tar header")
    # tiny-000 and tiny-002 and tiny-004 live in shard 0: the ones after the damage are missing
    missing = {p["item"] for p in problems if "not in this shard" in p["problem"]}
    assert missing == {"tiny-002", "tiny-004"}


def test_shard_cut_at_a_member_boundary_is_named_truncated(tree):
    rel = paths.shard_tar("tiny", 0)
    p = tree / rel
    with tarfile.open(p) as tar:
        cut = tar.getmembers()[4].offset  # the header of tiny-004.wav: a clean-looking end
    p.write_bytes(p.read_bytes()[:cut])
    problems = check(tree)
    assert found(problems, rel, None, "truncated tar")
    assert found(problems, rel, "tiny-004", "not in this shard")


def test_silver_manifest_edit_is_named_in_shard_and_gold(tree):
    rel = paths.silver_manifest("tiny")
    table = pq.read_table(tree / rel)
    rows = table.to_pylist()
    rows[1]["text"] = "changed"
    write_parquet(tree / rel, pa.Table.from_pylist(rows, table.schema))
    problems = check(tree)
    assert found(problems, paths.shard_tar("tiny", 1), "tiny-001", "['text']")
    assert found(problems, "gold/stt/train.parquet", "tiny-001", "text")


def test_raw_file_change_is_named_with_the_reingest_command(tree):
    rel = f"{paths.raw_files('words')}/data.bin"
    (tree / rel).write_bytes(b"raw bytes of wordz")  # same size, other bytes
    problems = check(tree)
    assert found(problems, rel, None, "sha256 differs")
    assert f"--forcerun {paths.raw_manifest('words')} -- gold/" in problems[0]["fix"]


def test_gold_without_hashes_or_with_a_stray_file_is_a_problem(tree):
    (tree / publish.checksums_file("stt")).unlink()
    (tree / "gold/intent/extra.parquet").write_bytes(b"x")
    problems = check(tree)
    assert found(problems, publish.checksums_file("stt"), None, "no hashes were recorded")
    assert found(
        problems, "gold/intent/extra.parquet", None, "not recorded in gold/intent/checksums.json"
    )


def test_missing_outputs_are_named_and_nothing_is_created(tmp_path):
    problems = validate.validate_all(CFG, tmp_path, report=None)
    assert found(problems, paths.raw_manifest("tiny"), None, "missing")
    assert found(problems, paths.silver_manifest("words"), None, "missing")
    assert found(problems, "gold/stt", None, "missing")
    assert list(tmp_path.iterdir()) == []


# --- workflow: the demo build ---

SHARD = paths.shard_tar("demo_indicst", 0)
KEEP_OUT = (".snakemake/", "logs/", paths.validation_report())


def _state(proj: Path) -> dict[str, tuple[int, str]]:
    """Every project file with its mtime and content hash (what validate must not touch)."""
    out = {}
    for p in sorted(proj.rglob("*")):
        rel = p.relative_to(proj).as_posix()
        if p.is_file() and not rel.startswith(KEEP_OUT):
            out[rel] = (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
    return out


def _corrupt_shard(proj: Path, shard: str = SHARD) -> None:
    p = proj / shard
    data = bytearray(p.read_bytes())
    data[2000:2064] = bytes(b ^ 0xFF for b in data[2000:2064])  # inside the first WAV
    p.write_bytes(bytes(data))


def _copy(demo_gold: Path, dest: Path) -> Path:
    shutil.copytree(demo_gold, dest, symlinks=True)
    return dest


@pytest.mark.slow
def test_snakemake_validate_reports_damage_and_runs_or_rewrites_nothing(demo_gold, tmp_path):
    proj = _copy(demo_gold, tmp_path / "proj")
    snakemake(proj, "--cores", "1", "validate")
    assert json.loads((proj / paths.validation_report()).read_text())["ok"] is True

    _corrupt_shard(proj)
    stt_dev = "gold/stt/dev.parquet"

    def change(rows):
        wav = bytearray(rows[0]["audio"]["bytes"])
        wav[1001] ^= 0x40
        rows[0]["audio"]["bytes"] = bytes(wav)

    _rewrite_gold(proj, stt_dev, change)
    changed_item = pq.read_table(proj / stt_dev, columns=["id"]).column("id")[0].as_py()
    intent_train = proj / "gold/intent/train.parquet"
    intent_train.write_bytes(intent_train.read_bytes()[:-100])  # truncated: no parquet footer

    # newer mtimes upstream, yet `validate` plans itself only
    assert planned_jobs(proj, "validate") == {"validate": 1}
    before = _state(proj)
    run = snakemake(proj, "--cores", "1", "validate", check=False)
    assert run.returncode != 0
    assert _state(proj) == before  # nothing rebuilt, the damaged files kept as evidence

    report = json.loads((proj / paths.validation_report()).read_text())
    problems = report["problems"]
    assert report["ok"] is False
    assert any(p["file"] == SHARD for p in problems), problems
    assert found(problems, stt_dev, None, "unlike what gold/stt/checksums.json recorded")
    assert found(problems, stt_dev, changed_item, "audio differs")
    assert found(problems, "gold/intent/train.parquet", None, "unreadable parquet")
    log = (proj / paths.log("validate", "all")).read_text()
    assert "Traceback" not in log and "Traceback" not in run.stderr
    assert SHARD in log and changed_item in log

    cli = subprocess.run(
        [sys.executable, "-m", "foundry.cli", "validate", "--root", str(proj)],
        cwd=proj,
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 1 and "Traceback" not in cli.stderr
    assert json.loads(cli.stdout)["problems"] == problems
    assert _state(proj) == before


@pytest.mark.slow
def test_forcing_a_damaged_shard_rebuilds_byte_identical_outputs(demo_gold, tmp_path):
    proj = _copy(demo_gold, tmp_path / "proj")
    outputs = ("silver/**/*", "splits/**/*", "gold/**/*")
    good = tree_bytes(proj, *outputs)
    _corrupt_shard(proj)
    assert tree_bytes(proj, SHARD) != {SHARD: good[SHARD]}

    run = snakemake(proj, "--cores", "1", "validate", check=False)
    assert run.returncode != 0
    problems = json.loads((proj / paths.validation_report()).read_text())["problems"]
    assert {p["file"] for p in problems} == {SHARD}, problems
    # the documented recovery, exactly as the report words it
    command = re.search(r"`([^`]+)`", problems[0]["fix"]).group(1)
    assert command == f"snakemake --cores 1 --forcerun {SHARD} -- gold/"
    snakemake(proj, *shlex.split(command)[1:])

    assert tree_bytes(proj, *outputs) == good
    assert planned_jobs(proj, "gold/") == {}
    snakemake(proj, "--cores", "1", "validate")

    # gold edited in place: a copy of the verified splits (no shared inode), so only gold changed
    # and republishing restores it
    gold_dev = "gold/stt/dev.parquet"
    with open(proj / gold_dev, "r+b") as fh:
        fh.seek(len(good[gold_dev]) // 2)
        fh.write(b"\x55" * 64)
    assert snakemake(proj, "--cores", "1", "validate", check=False).returncode != 0
    problems = json.loads((proj / paths.validation_report()).read_text())["problems"]
    assert {p["file"] for p in problems} == {gold_dev}, problems
    command = re.search(r"`([^`]+)`", problems[0]["fix"]).group(1)
    assert command == "snakemake --cores 1 --forcerun gold -- gold/"
    snakemake(proj, *shlex.split(command)[1:])
    assert tree_bytes(proj, *outputs) == good
    snakemake(proj, "--cores", "1", "validate")


# --- damage never travels: a normal run stops at the first step that reads the damage ---


def _failed_run(proj: Path, *args: str) -> str:
    """Run snakemake expecting failure; its output and every job log, for the message."""
    run = snakemake(proj, "--cores", "2", *args, check=False)
    assert run.returncode != 0, run.stdout[-2000:]
    logs = "".join(p.read_text() for p in sorted((proj / "logs").rglob("*.log")))
    return run.stdout + run.stderr + logs


@pytest.mark.slow
def test_damage_upstream_fails_the_reading_step_and_never_reaches_gold(demo_gold, tmp_path):
    good = tree_bytes(demo_gold, "gold/**/*")

    # a flipped byte in a WAV of a shard that feeds stt: allocate refuses it, naming shard, item
    # and the rebuild
    proj = _copy(demo_gold, tmp_path / "shard")
    shard = paths.shard_tar("demo_speech", 0)
    _corrupt_shard(proj, shard)
    out = _failed_run(proj, "gold/")
    assert re.search(rf"{shard} item demo_speech-\S+: stored audio differs", out), out[-3000:]
    assert f"`snakemake --cores 1 --forcerun {shard} -- gold/`" in out
    assert tree_bytes(proj, "gold/**/*") == good

    # a splits file edited into another valid parquet: publish refuses it, so gold is absent
    # (Snakemake clears a job's directory output before it runs), never re-recorded from it
    proj = _copy(demo_gold, tmp_path / "splits")
    rel = paths.split_file("intent", "test")
    table = pq.read_table(proj / rel)
    rows = table.to_pylist()
    rows[0]["text"] = rows[0]["text"] + " തിരുത്ത്"
    write_parquet(proj / rel, pa.Table.from_pylist(rows, table.schema))
    out = _failed_run(proj, "gold/")
    assert f"{rel}: " in out and "unlike what splits/intent/checksums.json recorded" in out
    assert "--forcerun splits/intent/stats.json -- gold/" in out
    assert not (proj / paths.GOLD).exists() and not list(proj.glob(".tmp-gold*"))
    snakemake(proj, "--cores", "2", "--forcerun", paths.split_stats("intent"), "--", "gold/")
    assert tree_bytes(proj, "gold/**/*") == good  # the documented fix restores every byte
    assert (proj / rel).stat().st_ino != (proj / paths.gold_file("intent", "test")).stat().st_ino

    # a raw file edited (not through its source folder): the dataset's plan refuses it
    proj = _copy(demo_gold, tmp_path / "raw")
    raw = sorted((proj / paths.raw_files("demo_indicst")).rglob("*.parquet"))[0]
    data = bytearray(raw.read_bytes())
    raw.unlink()  # raw files are hard links of the local source: edit raw/ alone
    data[len(data) // 2] ^= 0xFF
    raw.write_bytes(bytes(data))
    out = _failed_run(proj, "--forcerun", paths.plan("demo_indicst"), "--", "gold/")
    assert f"{raw.relative_to(proj).as_posix()}: content differs" in out
    assert f"--forcerun {paths.raw_manifest('demo_indicst')} -- gold/" in out
    assert tree_bytes(proj, "gold/**/*") == good


def _killed_writer(proj: Path, target: str, directory: bool) -> None:
    """A child process that opens an atomic write and dies before it renames."""
    code = (
        "import os, sys\n"
        "from foundry import atomic\n"
        "target = sys.argv[1]\n"
        "if sys.argv[2] == 'dir':\n"
        "    cm = atomic.atomic_dir(target)\n"
        "    (cm.__enter__() / 'partial.parquet').write_bytes(b'half')\n"
        "else:\n"
        "    cm = atomic.atomic_write(target)\n"
        "    cm.__enter__().write(b'half')\n"
        "os._exit(9)  # killed: no cleanup, no rename\n"
    )
    kind = "dir" if directory else "file"
    subprocess.run([sys.executable, "-c", code, target, kind], cwd=proj, check=False)


@pytest.mark.slow
def test_a_killed_runs_temp_debris_is_reported_then_swept_by_the_next_run(demo_gold, tmp_path):
    proj = _copy(demo_gold, tmp_path / "proj")
    _killed_writer(proj, "gold", directory=True)
    _killed_writer(proj, paths.split_file("intent", "train"), directory=False)
    left = [p.relative_to(proj).as_posix() for p in sorted(proj.glob(".tmp-gold.*"))]
    left += [p.relative_to(proj).as_posix() for p in sorted(proj.glob("splits/intent/.tmp-*"))]
    assert len(left) == 2

    problems = check_project(proj)
    assert sorted(p["file"] for p in problems) == sorted(left), problems
    assert all("killed run" in p["problem"] for p in problems)

    run = snakemake(proj, "--cores", "1", "--forcerun", "card", "--", "gold/")
    for rel in left:
        assert f"removed {rel}: temp debris of an earlier killed run" in run.stdout + run.stderr
        assert not (proj / rel).exists()
    assert check_project(proj) == []


def check_project(proj: Path) -> list[dict[str, Any]]:
    cfg = yaml.safe_load((proj / "config/config.yaml").read_text(encoding="utf-8"))
    return validate.validate_all(config.validate(cfg), proj, report=None)
