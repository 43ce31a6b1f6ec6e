"""Re-check what is on disk (the old --validate-only): checksums, schemas, audio properties.

Read-only. Returns a list of problems, each naming the file and what is wrong; empty means valid.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from foundry import audio, paths
from foundry.atomic import sha256_file
from foundry.config import View
from foundry.shards import MANIFEST_SCHEMA, read_shard


def check_raw(ds: str, root: Path) -> list[str]:
    mpath = root / paths.raw_manifest(ds)
    if not mpath.exists():
        return [f"{mpath}: missing (run the workflow first)"]
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    problems = []
    for f in manifest["files"]:
        p = root / paths.raw_files(ds) / f["path"]
        if not p.is_file():
            problems.append(f"{p}: missing")
        elif p.stat().st_size != f["size"] or sha256_file(p) != f["sha256"]:
            problems.append(f"{p}: sha256/size differ from {mpath}")
    return problems


def _check_wav(
    where: str, data: bytes, duration: float | None = None, sha256: str | None = None
) -> list[str]:
    """Problems with one stored WAV: format, rate, duration and (optionally) content hash."""
    try:
        pcm, sr = audio.read_wav(data)
    except Exception as exc:  # noqa: BLE001 - any failure is a finding
        return [f"{where}: not a mono PCM16 WAV ({exc})"]
    out = []
    if sr != 16000:
        out.append(f"{where}: sample rate {sr}, expected 16000")
    if duration is not None and abs(len(pcm) / 16000 - duration) > 1e-3:
        out.append(f"{where}: {len(pcm) / 16000:.3f}s of audio but manifest says {duration:.3f}s")
    if sha256 is not None and audio.audio_sha256(pcm) != sha256:
        out.append(f"{where}: audio hash differs from the manifest")
    return out


def check_silver(ds: str, shards: int, root: Path) -> list[str]:
    mpath = root / paths.silver_manifest(ds)
    if not mpath.exists():
        return [f"{mpath}: missing"]
    table = pq.read_table(mpath)
    problems = []
    if table.schema.remove_metadata() != MANIFEST_SCHEMA:
        problems.append(f"{mpath}: schema differs from the expected manifest schema")
        return problems
    rows = {r["id"]: r for r in table.to_pylist()}
    seen: set[str] = set()
    for k in range(shards):
        tar = root / paths.shard_tar(ds, k)
        if not tar.exists():
            problems.append(f"{tar}: missing")
            continue
        for item, parts in read_shard(tar).items():
            seen.add(item)
            row = rows.get(item)
            if row is None:
                problems.append(f"{tar}: member {item} is not in {mpath}")
                continue
            if row["sample_rate"]:
                if "wav" not in parts:
                    problems.append(f"{tar}: {item}.wav missing")
                    continue
                where = f"{tar}:{item}.wav"
                problems += _check_wav(where, parts["wav"], row["duration"], row["audio_sha256"])
    missing = sorted(set(rows) - seen)
    if missing:
        problems.append(f"{mpath}: {len(missing)} item(s) not in any shard, e.g. {missing[:3]}")
    return problems


def check_gold(engine: str, root: Path, base: str = paths.GOLD) -> list[str]:
    problems = []
    stats_path = root / base / engine / "stats.json"
    if not stats_path.exists():
        return [f"{stats_path}: missing"]
    stats = json.loads(stats_path.read_text(encoding="utf-8"))
    for split in paths.SPLITS:
        p = root / base / engine / f"{split}.parquet"
        if not p.exists():
            problems.append(f"{p}: missing")
            continue
        t = pq.read_table(p)
        if t.num_rows != stats[split]["items"]:
            problems.append(f"{p}: {t.num_rows} rows but stats.json says {stats[split]['items']}")
        if engine in paths.AUDIO_ENGINES:
            if "audio" not in t.column_names:
                problems.append(f"{p}: no audio column")
                continue
            for r in t.select(["id", "audio", "duration"]).to_pylist():
                problems += _check_wav(f"{p}:{r['id']}", r["audio"]["bytes"], r["duration"])
    return problems


def validate_all(cfg: dict[str, Any], root: str | Path = ".") -> list[str]:
    root = Path(root)
    view = View(cfg)
    problems: list[str] = []
    for ds in view.datasets:
        problems += check_raw(ds, root)
        problems += check_silver(ds, view.shards(ds), root)
    for engine in view.engines:
        problems += check_gold(engine, root)
    return problems
