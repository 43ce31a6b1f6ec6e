"""Re-check what is on disk: raw checksums, silver shards against their manifests, gold against
the hashes recorded at publish, and every gold item against the silver manifest.

Checking never builds: nothing here writes anything but the JSON report, and damaged data never
raises. Every finding is a problem record ``{"file", "item", "problem", "fix"}`` (``item`` is the
item id, or None for a whole file) naming a path relative to the project root; an empty list
means valid. ``fix`` is the command that rebuilds that file byte-identically.
"""

from __future__ import annotations

import json
import logging
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from foundry import atomic, audio, engines, integrity, paths
from foundry.atomic import sha256_file, write_json
from foundry.config import View
from foundry.deploy import registry
from foundry.engines import SAMPLE_RATE
from foundry.gold.publish import CHECKSUMS
from foundry.silver.shards import MANIFEST_SCHEMA, MERGE_REJECT_REASONS, UNCHECKED_LANGUAGE

log = logging.getLogger("foundry.validate")
Problem = dict[str, Any]
# dataset -> {item id -> silver manifest columns}, None where that manifest is unreadable
SilverIndex = dict[str, dict[str, dict[str, Any]] | None]

BUILD = "build it: `snakemake --cores 1 gold/`"
# Gold row columns that must equal the silver manifest row of the same item (dialect labels are
# mapped to regions by allocate, so label is compared for the other engines only).
SILVER_COLUMNS = ("text", "raw_text", "speaker", "label", "duration", "audio_sha256")


def problem(file: str, what: str, fix: str, item: str | None = None) -> Problem:
    return {"file": file, "item": item, "problem": what, "fix": fix}


def describe(p: Problem) -> str:
    """One log line: ``file[:item]: problem -> fix``."""
    where = f"{p['file']}:{p['item']}" if p.get("item") else p["file"]
    return f"{where}: {p['problem']} -> {p['fix']}"


rebuild = integrity.rebuild


def _splits_fix(engine: str) -> str:
    return rebuild(paths.split_stats(engine), "fix silver first if it is damaged, then rebuild")


def _read_parquet(path: Path, columns: list[str] | None = None) -> tuple[Any, str | None]:
    """(table, None) or (None, why): a damaged file is a finding, not an exception."""
    try:
        return pq.read_table(path, columns=columns), None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds for damaged files
        return None, f"unreadable parquet ({type(exc).__name__}: {exc})"


def _read_json(path: Path) -> tuple[Any, str | None]:
    try:
        return json.loads(path.read_text(encoding="utf-8")), None
    except (OSError, ValueError) as exc:
        return None, f"unreadable JSON ({type(exc).__name__}: {exc})"


# --- raw ---


def check_raw(ds: str, root: Path) -> list[Problem]:
    mrel = paths.raw_manifest(ds)
    fix = rebuild(mrel, "re-ingest it")
    if not (root / mrel).exists():
        return [problem(mrel, "missing (not ingested yet)", BUILD)]
    manifest, err = _read_json(root / mrel)
    if err:
        return [problem(mrel, err, fix)]
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list):
        return [problem(mrel, "no 'files' list in the raw manifest", fix)]
    problems = []
    for f in files:
        try:
            rel = f"{paths.raw_files(ds)}/{f['path']}"
            want_size, want_sha = f["size"], f["sha256"]
        except (KeyError, TypeError):
            problems.append(problem(mrel, f"malformed file entry {f!r}", fix))
            continue
        p = root / rel
        try:
            if not p.is_file():
                problems.append(problem(rel, "missing", fix))
            elif (size := p.stat().st_size) != want_size:
                problems.append(problem(rel, f"{size} bytes but {mrel} says {want_size}", fix))
            elif sha256_file(p) != want_sha:
                problems.append(problem(rel, f"sha256 differs from {mrel}", fix))
        except OSError as exc:
            problems.append(problem(rel, f"unreadable ({exc})", fix))
    return problems


# --- silver ---


def _wav_findings(
    data: bytes, duration: float | None = None, sha256: str | None = None
) -> list[str]:
    """What is wrong with one stored WAV: format, rate, duration and (optionally) content hash."""
    try:
        pcm, sr = audio.read_wav(data)
    except Exception as exc:  # noqa: BLE001 - any failure is a finding
        return [f"not a mono PCM16 WAV ({exc})"]
    out = []
    if sr != SAMPLE_RATE:
        out.append(f"sample rate {sr}, expected {SAMPLE_RATE}")
    if duration is not None and abs(len(pcm) / SAMPLE_RATE - duration) > 1e-3:
        out.append(f"{len(pcm) / SAMPLE_RATE:.3f}s of audio but {duration:.3f}s recorded")
    if sha256 is not None and audio.audio_sha256(pcm) != sha256:
        out.append("audio differs from the audio_sha256 in the silver manifest")
    return out


def _check_shard_item(
    rel: str, item: str, parts: dict[str, bytes], row: dict[str, Any] | None, fix: str
) -> list[Problem]:
    out = []
    if row is not None:
        try:
            meta = json.loads(parts["json"]) if "json" in parts else None
        except ValueError as exc:
            out.append(problem(rel, f"unreadable JSON member ({exc})", fix, item))
        else:
            if not isinstance(meta, dict):
                out.append(problem(rel, "JSON member missing or not an object", fix, item))
            elif meta != {**row, **UNCHECKED_LANGUAGE}:  # merge fills the language columns
                diff = sorted(
                    k
                    for k in set(meta) | set(row)
                    if meta.get(k) != row.get(k) and k not in UNCHECKED_LANGUAGE
                )
                what = f"JSON member differs from the manifest in {diff}"
                out.append(problem(rel, what, fix, item))
        if not row["sample_rate"]:
            return out
        if "wav" not in parts:
            return out + [problem(rel, "WAV member missing", fix, item)]
    if "wav" in parts:
        sha = row["audio_sha256"] if row is not None else None
        duration = row["duration"] if row is not None else None
        for what in _wav_findings(parts["wav"], duration, sha):
            out.append(problem(rel, f"stored WAV: {what}", fix, item))
    return out


def _tail_problem(fh: Any, offset: int) -> str | None:
    """What is wrong after the last member tarfile read (None: only the end-of-archive zeros).

    tarfile ends iteration quietly at a damaged or truncated header past the first one, so damage
    there would otherwise look like a shorter archive.
    """
    fh.seek(offset)
    tail = 0
    while chunk := fh.read(1 << 20):
        if chunk.count(0) != len(chunk):
            return f"damaged tar header at byte {offset}: the archive cannot be read past it"
        tail += len(chunk)
    if tail < 2 * tarfile.BLOCKSIZE:
        return f"truncated tar: ends at byte {offset + tail} without the end-of-archive blocks"
    return None


def check_shard(
    ds: str,
    k: int,
    root: Path,
    rows: dict[str, dict[str, Any]] | None,
    resolved: frozenset[str] = frozenset(),
) -> list[Problem]:
    """One shard tar (streamed, one item in memory at a time) and its kept/rejected parts.

    ``resolved``: items merge rejected (a duplicate in another shard, the wrong language); their
    shard kept them (and holds their WAV), the manifest does not list them.
    """
    rel = paths.shard_tar(ds, k)
    fix = rebuild(rel)
    expected = None
    if rows is not None:
        expected = {i for i, r in rows.items() if r["shard"] == paths.shard_name(k)}
    out = _shard_parts(ds, k, root, expected, resolved, fix)
    if not (root / rel).exists():
        return out + [problem(rel, "missing", fix)]
    seen: set[str] = set()
    item_problems: list[Problem] = []
    try:  # the items' problems so far stay findings when the tar breaks off
        _shard_items(root, rel, rows, fix, seen, resolved, item_problems)
    except Exception as exc:  # noqa: BLE001 - tarfile/OS errors on a damaged file are findings
        what = f"unreadable tar ({type(exc).__name__}: {exc})"
        return out + item_problems + [problem(rel, what, fix)]
    out += item_problems
    for item in sorted((expected or set()) - seen):
        out.append(problem(rel, "listed in the silver manifest but not in this shard", fix, item))
    return out


def _shard_parts(
    ds: str, k: int, root: Path, expected: set[str] | None, resolved: frozenset[str], fix: str
) -> list[Problem]:
    """The shard's kept, rejected and hash parts: present, readable, the manifest's items."""
    out: list[Problem] = []
    for part_rel in (
        paths.shard_part(ds, k),
        paths.shard_rejects(ds, k),
        paths.shard_hashes(ds, k),
    ):
        if not (root / part_rel).exists():
            out.append(problem(part_rel, "missing", fix))
            continue
        table, err = _read_parquet(root / part_rel, ["id"])
        if err:
            out.append(problem(part_rel, err, fix))
        elif part_rel == paths.shard_part(ds, k) and expected is not None:
            ids = set(table.column("id").to_pylist()) - resolved
            if ids != expected:
                what = f"{len(ids)} kept items but the manifest puts {len(expected)} in this shard"
                out.append(problem(part_rel, what, fix))
    return out


def _shard_items(
    root: Path,
    rel: str,
    rows: dict[str, dict[str, Any]] | None,
    fix: str,
    seen: set[str],
    resolved: frozenset[str],
    found: list[Problem],
) -> None:
    """Each item of the tar (its .wav and .json, streamed), and what follows the last one."""
    with open(root / rel, "rb") as fh, tarfile.open(fileobj=fh, mode="r:") as tar:
        current, parts = None, {}
        for member in tar:
            stem, _, ext = member.name.rpartition(".")
            if not member.isfile() or "/" in member.name or ext not in ("wav", "json"):
                found.append(problem(rel, f"unexpected member {member.name!r}", fix))
                continue
            if stem != current and current is not None:
                found.extend(_finish_item(rel, current, parts, rows, fix, seen, resolved))
                parts = {}
            current = stem
            body = tar.extractfile(member)
            assert body is not None
            parts[ext] = body.read()
        if current is not None:
            found.extend(_finish_item(rel, current, parts, rows, fix, seen, resolved))
        tail = _tail_problem(fh, tar.offset)
        if tail:
            found.append(problem(rel, tail, fix))


def _finish_item(
    rel: str,
    item: str,
    parts: dict[str, bytes],
    rows: dict[str, dict[str, Any]] | None,
    fix: str,
    seen: set[str],
    resolved: frozenset[str] = frozenset(),
) -> list[Problem]:
    if item in seen:
        return [problem(rel, "stored twice in this shard", fix, item)]
    seen.add(item)
    row = rows.get(item) if rows is not None else None
    if item in resolved and row is None:  # rejected at merge: its WAV stays, unlisted
        return _check_shard_item(rel, item, parts, None, fix)
    if rows is not None and row is None:
        return [problem(rel, "in the shard but not in the silver manifest", fix, item)]
    return _check_shard_item(rel, item, parts, row, fix)


def check_silver(ds: str, shards: int, root: Path) -> list[Problem]:
    mrel = paths.silver_manifest(ds)
    fix = rebuild(mrel)
    problems: list[Problem] = []
    rows = None
    if not (root / mrel).exists():
        problems.append(problem(mrel, "missing (not built yet)", BUILD))
    else:
        table, err = _read_parquet(root / mrel)
        if err:
            problems.append(problem(mrel, err, fix))
        elif table.schema.remove_metadata() != MANIFEST_SCHEMA:
            problems.append(problem(mrel, "schema differs from the silver manifest schema", fix))
        else:
            rows = {r["id"]: r for r in table.to_pylist()}
    rejects = None
    for rel, rel_fix, cols in (
        (paths.silver_rejects(ds), fix, ["id", "reason"]),
        (paths.plan(ds), rebuild(paths.plan(ds)), ["id"]),
    ):
        if (root / rel).exists():
            table, err = _read_parquet(root / rel, cols)
            if err:
                problems.append(problem(rel, err, rel_fix))
            elif rel == paths.silver_rejects(ds):
                rejects = table
        elif rows is not None:
            problems.append(problem(rel, "missing", rel_fix))
    if rows is None and not (root / paths.silver_dir(ds) / "shards").exists():
        return problems
    names = {paths.shard_name(k) for k in range(shards)}
    for item, r in sorted((rows or {}).items()):
        if r["shard"] not in names:
            problems.append(problem(mrel, f"item in unknown shard {r['shard']!r}", fix, item))
    resolved = _resolved_at_merge(rejects)
    for k in range(shards):
        problems += check_shard(ds, k, root, rows, resolved)
    return problems


def _resolved_at_merge(rejects: Any) -> frozenset[str]:
    """Items merge rejected (duplicate audio, wrong language): their shard still holds them
    (empty when the rejects could not be read)."""
    if rejects is None:
        return frozenset()
    ids, reasons = rejects["id"].to_pylist(), rejects["reason"].to_pylist()
    return frozenset(i for i, why in zip(ids, reasons, strict=True) if why in MERGE_REJECT_REASONS)


def silver_index(ds: str, root: Path) -> dict[str, dict[str, Any]] | None:
    """id -> the manifest columns gold rows are checked against; None if unreadable."""
    cols = ["id", *SILVER_COLUMNS]
    table, err = _read_parquet(root / paths.silver_manifest(ds), cols)
    if err:
        return None
    return {r["id"]: r for r in table.to_pylist()}


# --- gold ---


def _check_checksums(
    folder: str, root: Path, expected: list[str], fix: str, others: tuple[str, ...] = ()
) -> list[Problem]:
    """Every file against the sha256/size its writer recorded in ``folder/checksums.json``;
    unrecorded files (``others`` are written by another step) and missing entries."""
    crel = f"{folder}/{CHECKSUMS}"
    if not (root / crel).exists():
        what = "missing: no hashes were recorded, so these bytes cannot be verified"
        return [problem(crel, what, fix)]
    record, err = _read_json(root / crel)
    files = record.get("files") if isinstance(record, dict) else None
    if err or not isinstance(files, dict):
        return [problem(crel, err or "no 'files' table", fix)]
    out = []
    for name in expected:
        if name not in files:
            out.append(problem(crel, f"does not list {name}", fix))
    for name, want in sorted(files.items()):
        rel = f"{folder}/{name}"
        try:
            finding = integrity.file_finding(root / rel, want)
        except (KeyError, TypeError):
            out.append(problem(crel, f"malformed entry for {name}", fix))
            continue
        # expected files are reported missing once, elsewhere
        if finding and not (finding == "missing" and name in expected):
            out.append(problem(rel, f"{finding}, unlike what {crel} recorded", fix))
    for p in sorted((root / folder).iterdir()):
        if p.name.startswith(atomic.TMP_PREFIX):  # temp debris is reported on its own
            continue
        if p.name not in files and p.name not in (CHECKSUMS, *others):
            out.append(problem(f"{folder}/{p.name}", f"not recorded in {crel}", fix))
    return out


def _check_gold_row(
    rel: str,
    engine: str,
    r: dict[str, Any],
    silver: SilverIndex | None,
    fix: str,
) -> list[Problem]:
    item = r.get("id")
    ds = r.get("dataset")
    out = []
    srow = None
    if silver is None:  # format checks only
        pass
    elif ds not in silver:
        out.append(problem(rel, f"dataset {ds!r} is not in the config", fix, item))
    elif silver[ds] is not None:  # an unreadable silver manifest is reported on its own
        srow = silver[ds].get(item)
        if srow is None:
            out.append(problem(rel, f"not in {paths.silver_manifest(ds)}", fix, item))
    if srow is not None:
        regions = engines.get(engine).regions  # its label is the region, not silver's district
        cols = [c for c in SILVER_COLUMNS if c in r and not (c == "label" and regions)]
        differ = [c for c in cols if r[c] != srow[c]]
        if differ:
            what = f"{', '.join(differ)} differ(s) from {paths.silver_manifest(ds)}"
            out.append(problem(rel, what, fix, item))
    if engine in paths.AUDIO_ENGINES:
        data = (r.get("audio") or {}).get("bytes")
        if not data:
            return out + [problem(rel, "no audio bytes", fix, item)]
        sha = srow["audio_sha256"] if srow is not None else None
        for what in _wav_findings(data, r.get("duration"), sha):
            out.append(problem(rel, f"stored WAV: {what}", fix, item))
    return out


def _check_gold_split(
    rel: str,
    root: Path,
    engine: str,
    want_rows: Any,
    silver: SilverIndex | None,
    fix: str,
) -> list[Problem]:
    """One gold parquet, streamed in batches: readable, row count, every item."""
    out: list[Problem] = []
    n = 0
    try:
        pf = pq.ParquetFile(root / rel)
        names = pf.schema_arrow.names
        missing = [c for c in ("id", "dataset") if c not in names]
        if engine in paths.AUDIO_ENGINES:
            missing += [c for c in ("audio", "duration") if c not in names]
        if missing:
            return [problem(rel, f"no {', '.join(missing)} column(s)", fix)]
        wanted = [c for c in ("id", "dataset", "audio", *SILVER_COLUMNS) if c in names]
        for batch in pf.iter_batches(batch_size=256, columns=wanted):
            for r in batch.to_pylist():
                n += 1
                out += _check_gold_row(rel, engine, r, silver, fix)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds for damaged files
        what = f"unreadable parquet ({type(exc).__name__}: {exc})"
        return out + [problem(rel, what, fix)]
    if want_rows is not None and n != want_rows:
        out.append(problem(rel, f"{n} rows but stats.json says {want_rows}", fix))
    return out


def check_gold(
    engine: str,
    root: Path,
    silver: SilverIndex | None = None,
    base: str = paths.GOLD,
) -> list[Problem]:
    """One engine's gold (or, with ``base=paths.SPLITS_ROOT``, splits) folder: recorded hashes, JSON
    files, every parquet row.

    ``silver`` maps dataset -> :func:`silver_index` (None: that manifest is unreadable); without
    it (None) items are only checked for well-formed audio.
    """
    folder = f"{base}/{engine}"
    if base == paths.GOLD:
        fix = integrity.rebuild(paths.GOLD, "republish it from the verified splits")
        expected, others = paths.gold_names(engine), ()
    else:
        fix = _splits_fix(engine)
        expected = [Path(f).name for f in paths.split_recorded(engine)]
        others = (Path(paths.split_card(engine)).name,)
    if not (root / folder).is_dir():
        return [problem(folder, "missing (not built yet)", BUILD)]
    out = []
    present = []
    for name in expected:
        if (root / folder / name).is_file():
            present.append(name)
        else:
            out.append(problem(f"{folder}/{name}", "missing", fix))
    out += _check_checksums(folder, root, expected, fix, others)
    stats: dict[str, Any] = {}
    for name in ("stats.json", "labels.json"):
        if name in present:
            data, err = _read_json(root / folder / name)
            if err:
                out.append(problem(f"{folder}/{name}", err, fix))
            elif name == "stats.json" and isinstance(data, dict):
                stats = data
    for split in paths.SPLITS:
        name = f"{split}.parquet"
        if name in present:
            want = (stats.get(split) or {}).get("items") if isinstance(stats, dict) else None
            out += _check_gold_split(f"{folder}/{name}", root, engine, want, silver, fix)
    return out


# --- models ---


def check_models(engine: str, root: Path) -> list[Problem]:
    """A trained engine's adapter and base against the hashes training recorded in metrics.json
    (an engine not trained yet has nothing to check)."""
    mrel = paths.metrics(engine)
    fix = rebuild(mrel, "retrain it", "models")
    if not (root / paths.model_dir(engine)).is_dir():
        return []
    if not (root / mrel).is_file():
        if (root / paths.adapter_dir(engine)).exists():
            return [problem(mrel, "missing beside a trained adapter", fix)]
        return []
    metrics, err = _read_json(root / mrel)
    artifacts = metrics.get("artifacts") if isinstance(metrics, dict) else None
    if err or not isinstance(artifacts, dict):
        return [problem(mrel, err or "records no adapter hashes (an older build)", fix)]
    out = []
    for what in ("adapter", "base"):
        rel = paths.adapter_dir(engine) if what == "adapter" else paths.base_model_dir(engine)
        for name, finding in integrity.tree_findings(root / rel, artifacts.get(what) or {}):
            out.append(problem(f"{rel}/{name}", f"{finding} since {mrel} recorded it", fix))
    return out


# --- deploy ---


def check_deploy(engine: str, root: Path) -> list[Problem]:
    """Registered candidates against their recorded hashes; the production pointer."""
    folder = root / paths.deploy_dir(engine)
    if not folder.is_dir():
        return []
    out = []
    prel = paths.deploy_production(engine)
    rollback = f"restore the previous champion: `foundry rollback {engine}`"
    prod, perr = _read_json(root / prel) if (root / prel).exists() else ({}, None)
    live = prod.get("candidate") if isinstance(prod, dict) else None
    cands: dict[str, registry.Candidate] = {}
    for cjson in sorted(folder.glob("candidates/*/candidate.json")):
        rel = cjson.relative_to(root).as_posix()
        fix = "remove the candidate folder and register it again: `snakemake --cores 1 deploy`"
        if cjson.parent.name == live:
            fix = rollback
        data, err = _read_json(cjson)
        try:
            cand = registry.Candidate(**data) if not err else None
        except TypeError as exc:
            cand, err = None, f"not a candidate record ({exc})"
        if cand is None:
            out.append(problem(rel, str(err), fix))
            continue
        cands[cand.id] = cand
        try:
            registry.verify(root, cand)
        except registry.TamperError as exc:
            out.append(problem(cand.adapter, str(exc).split(": ", 1)[1], fix))
    if perr or (prod and live is None):
        out.append(problem(prel, perr or "names no candidate", rollback))
    elif live is not None and live not in cands:
        out.append(problem(prel, f"points at {live}, which is not registered", rollback))
    elif live is not None and (prod.get("sha256"), prod.get("files")) != (
        cands[live].sha256,
        cands[live].files,
    ):
        out.append(problem(prel, f"hashes differ from candidate {live}'s record", rollback))
    return out


def check_debris(root: Path) -> list[Problem]:
    """Temp files a killed run left (a live writer's are not findings)."""
    return [
        problem(
            p.relative_to(root).as_posix(),
            "temp left behind by a killed run",
            "the next `snakemake` run removes it (or delete it)",
        )
        for p in atomic.debris(root, paths.OUTPUT_FOLDERS)
        if atomic.is_abandoned(p)
    ]


# --- everything ---


def _guarded(where: str, check: Callable[..., list[Problem]], *args: Any) -> list[Problem]:
    """A bug in one check must not hide the others (or turn into a traceback)."""
    try:
        return check(*args)
    except Exception as exc:  # noqa: BLE001
        what = f"could not be checked ({type(exc).__name__}: {exc})"
        return [problem(where, what, "inspect it by hand and report this validate bug")]


def validate_all(
    cfg: dict[str, Any],
    root: str | Path = ".",
    report: str | None = paths.validation_report(),
) -> list[Problem]:
    """Check every configured dataset and engine; write the JSON report under ``root``.

    ``report=None`` writes nothing. Problems come back in a stable order (raw, silver per dataset,
    then gold per engine).
    """
    root = Path(root)
    view = View(cfg)
    problems: list[Problem] = []
    silver: SilverIndex = {}
    for ds in view.datasets:
        problems += _guarded(paths.raw_dir(ds), check_raw, ds, root)
        problems += _guarded(paths.silver_dir(ds), check_silver, ds, view.shards(ds), root)
        silver[ds] = silver_index(ds, root)
    for engine in view.engines:
        for base in (paths.SPLITS_ROOT, paths.GOLD):
            problems += _guarded(f"{base}/{engine}", check_gold, engine, root, silver, base)
    for engine in view.engines:
        if engine in paths.TRAIN_ENGINES:
            problems += _guarded(paths.model_dir(engine), check_models, engine, root)
        if engine in paths.DEPLOY_ENGINES:
            problems += _guarded(paths.deploy_dir(engine), check_deploy, engine, root)
    problems += _guarded(".", check_debris, root)
    if report:
        write_report(root / report, problems, view.datasets, view.engines)
    return problems


def write_report(
    path: Path, problems: list[Problem], datasets: list[str], engines: list[str]
) -> None:
    body = {
        "ok": not problems,
        "checked": {"datasets": datasets, "engines": engines},
        "problems": problems,
    }
    try:
        write_json(path, body)
    except OSError as exc:
        log.warning("could not write %s (%s); the problems are still printed", path, exc)
