"""Phase 3: route silver items to engines and cut leak-free, deterministic train/dev/test splits.

Items that share a speaker or an identical normalized text are one group (union-find), and a group
goes wholly to one split chosen by a salted hash of its key — so adding data never moves existing
groups, and a speaker or sentence can never be in two splits of one engine.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tarfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from foundry import audio as audio_mod
from foundry import dialects, engines, integrity, paths
from foundry.atomic import write_json, write_parquet
from foundry.engines import SAMPLE_RATE
from foundry.errors import UserError
from foundry.ingest import layouts
from foundry.settings import Allocate
from foundry.silver.shards import read_shard

log = logging.getLogger("foundry.gold.splits")


class LeakageError(RuntimeError, UserError):
    """A speaker or identical text landed in two splits of one engine."""


class SplitError(RuntimeError, UserError):
    """The engine's data cannot be split as configured."""


def dialect_lookup(table: dict[str, list[str]]) -> dict[str, str]:
    """Label (district/region name, any listed spelling) → dialect region."""
    return dialects.lookup(table)


def published_splits(
    settings: Allocate, rows: list[dict[str, Any]], keys: list[str]
) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Groups pinned by upstream dev/test rows, and where free groups may go.

    With ``keep_splits`` (the default) a dataset's published test rows stay in test and its
    validation rows in dev (a group holding both goes to test, the stricter); its train rows may
    go only to the splits the dataset does not publish itself, or to train.
    """
    rank = {"dev": 1, "test": 2}
    pinned: dict[str, str] = {}
    published: dict[str, set[str]] = defaultdict(set)
    mapped = []
    sources = {src.name: src for src in settings.sources}
    for r in rows:
        src = sources[r["dataset"]]
        ours = None
        if src.keep_splits:
            ours = layouts.our_split(r.get("source_split"), src.split_map)
        mapped.append(ours)
        if ours in rank:
            published[r["dataset"]].add(ours)
    for k, ours in zip(keys, mapped, strict=True):
        if ours in rank and rank[ours] > rank.get(pinned.get(k, ""), 0):
            pinned[k] = ours
    allowed: dict[str, set[str]] = {}
    for r, k in zip(rows, keys, strict=True):
        if published.get(r["dataset"]):
            free = {"train", "dev", "test"} - published[r["dataset"]]
            allowed[k] = allowed.get(k, free) & free
    return pinned, allowed


def _silver_rejects(root: Path, datasets: list[str]) -> dict[str, dict[str, int]]:
    """Dataset -> reject reason -> items: why the rest of each source is not here."""
    out = {}
    for ds in datasets:
        reasons = pq.read_table(root / paths.silver_rejects(ds), columns=["reason"])
        out[ds] = dict(sorted(Counter(reasons.column("reason").to_pylist()).items()))
    return out


def _upstream_counts(split_rows: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, int]]:
    """Our split -> upstream split -> items (shows published test sets stayed in test)."""
    out = {}
    for s, rs in split_rows.items():
        c = Counter(r.get("source_split") or "(none)" for r in rs)
        out[s] = dict(sorted(c.items()))
    return out


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            lo, hi = sorted((ra, rb))
            self.parent[hi] = lo


def group_keys(rows: list[dict[str, Any]]) -> list[str]:
    """Connected components over shared speaker / identical text; key = smallest member key."""
    uf = _UnionFind()
    node_lists = []
    for r in rows:
        nodes = [f"item:{r['id']}"]
        if r.get("speaker"):
            nodes.append(f"speaker:{r['dataset']}:{r['speaker']}")
        if r.get("text"):
            nodes.append(f"text:{r['text']}")
        for n in nodes[1:]:
            uf.union(nodes[0], n)
        node_lists.append(nodes)
    # Representative: the smallest non-item node if any (stable when items are added).
    members: dict[str, list[str]] = defaultdict(list)
    for nodes in node_lists:
        members[uf.find(nodes[0])].extend(nodes)
    rep = {
        root: min((n for n in ns if not n.startswith("item:")), default=min(ns))
        for root, ns in members.items()
    }
    return [rep[uf.find(nodes[0])] for nodes in node_lists]


def unit_hash(salt: str, engine: str, key: str) -> float:
    h = hashlib.sha256(f"{salt}\0{engine}\0{key}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def assign_groups(
    rows: list[dict[str, Any]],
    keys: list[str],
    engine: str,
    salt: str,
    ratios: dict[str, float],
    pinned: dict[str, str] | None = None,
    allowed: dict[str, set[str]] | None = None,
) -> dict[str, str]:
    """Group key -> split, stratified by label so every class reaches dev and test.

    Within each stratum (a group's majority label; one stratum for unlabelled engines) groups are
    ordered by a salted hash; test, then dev, take groups in that order until they hold their
    share of the stratum's items; the rest is train. Deterministic, and a group never splits.
    ``pinned`` groups (holding upstream dev/test rows) go where they are pinned and count toward
    their split's share; ``allowed`` limits where a free group may go (train is always allowed).
    """
    pinned = pinned or {}
    allowed = allowed or {}
    size: Counter[str] = Counter(keys)
    label_votes: dict[str, Counter[str]] = defaultdict(Counter)
    for r, k in zip(rows, keys, strict=True):
        label_votes[k][r.get("label") or ""] += 1
    strata: dict[str, list[str]] = defaultdict(list)
    for k, votes in label_votes.items():
        strata[min(votes, key=lambda lab: (-votes[lab], lab))].append(k)
    out: dict[str, str] = {}
    for _, groups in sorted(strata.items()):
        groups.sort(key=lambda k: (unit_hash(salt, engine, k), k))
        total = sum(size[k] for k in groups)
        filled = {"test": 0, "dev": 0}
        for k in groups:
            if k in pinned:
                out[k] = pinned[k]
                filled[pinned[k]] = filled.get(pinned[k], 0) + size[k]
        groups = [k for k in groups if k not in pinned]
        # A stratum too small for three splits keeps its last group(s) for training.
        reserve_train = 1 if len(groups) >= 2 else len(groups)
        for i, k in enumerate(groups):
            out[k] = "train"
            if len(groups) - i <= reserve_train:
                continue
            for split in ("test", "dev"):
                if k in allowed and split not in allowed[k]:
                    continue
                target = ratios[split] * total
                # take the group if that lands nearer the target (and always take a first one)
                if ratios[split] > 0 and (
                    filled[split] == 0 or filled[split] + size[k] / 2 <= target
                ):
                    out[k] = split
                    filled[split] += size[k]
                    break
    return out


def check_leakage(engine: str, split_rows: dict[str, list[dict[str, Any]]]) -> None:
    """Fail when any speaker or normalized text is in more than one split."""
    where: dict[tuple[str, str], set[str]] = defaultdict(set)
    for split, rows in split_rows.items():
        for r in rows:
            if r.get("speaker"):
                where[("speaker", f"{r['dataset']}:{r['speaker']}")].add(split)
            if r.get("text"):
                where[("text", r["text"])].add(split)
    leaks = sorted((k, sorted(v)) for k, v in where.items() if len(v) > 1)
    if leaks:
        shown = "; ".join(f"{kind} {val[:40]!r} in {'+'.join(s)}" for (kind, val), s in leaks[:5])
        raise LeakageError(
            f"engine '{engine}': {len(leaks)} leak(s) between splits: {shown}. The split step must "
            "keep speakers and identical texts together; this is a bug or a hand-edited split."
        )


def cap_classes(rows: list[dict[str, Any]], max_ratio: float, salt: str) -> tuple[list, dict]:
    """Cap each class at max_ratio × the smallest class; keep the lowest-hash items (stable)."""
    by_class: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_class[r["label"]].append(r)
    if len(by_class) < 2:
        return rows, {}
    cap = int(max_ratio * min(len(v) for v in by_class.values()))
    kept, dropped = [], {}
    for label, items in sorted(by_class.items()):
        items = sorted(items, key=lambda r: unit_hash(salt, "cap", r["id"]))
        kept.extend(items[:cap])
        if len(items) > cap:
            dropped[label] = len(items) - cap
    return sorted(kept, key=lambda r: r["id"]), dropped


def class_weights(rows: list[dict[str, Any]]) -> dict[str, float]:
    counts = Counter(r["label"] for r in rows)
    n, k = sum(counts.values()), len(counts)
    return {label: round(n / (k * c), 6) for label, c in sorted(counts.items())}


def _features(audio: bool) -> dict[str, Any]:
    s = {"dtype": "string", "_type": "Value"}
    feats: dict[str, Any] = {
        "id": s,
        "dataset": s,
        "text": s,
        "raw_text": s,
        "speaker": s,
        "label": s,
    }
    if audio:
        feats["audio"] = {"sampling_rate": SAMPLE_RATE, "_type": "Audio"}
        feats["duration"] = {"dtype": "float64", "_type": "Value"}
    return feats


def _table(rows: list[dict[str, Any]], audio: bool) -> pa.Table:
    import json

    fields = [(c, pa.string()) for c in ("id", "dataset", "text", "raw_text", "speaker", "label")]
    if audio:
        fields.append(("audio", pa.struct([("bytes", pa.binary()), ("path", pa.string())])))
        fields.append(("duration", pa.float64()))
    meta = {b"huggingface": json.dumps({"info": {"features": _features(audio)}}).encode()}
    schema = pa.schema(fields, metadata=meta)
    return pa.Table.from_pylist([{k: r.get(k) for k, _ in fields} for r in rows], schema=schema)


def allocate(settings: Allocate, root: str | Path = ".") -> dict[str, Any]:
    """Build splits/<engine>/ from the silver manifests of the datasets that feed it."""
    root = Path(root)
    engine, datasets = settings.engine, settings.datasets
    eng = engines.get(engine)
    salt, ratios = settings.salt, settings.ratios
    rows, no_region = _engine_rows(root, engine, datasets, settings.dialect_map or {})
    keys = group_keys(rows)
    split_rows: dict[str, list[dict[str, Any]]] = {s: [] for s in paths.SPLITS}
    pinned, allowed = published_splits(settings, rows, keys)
    where = assign_groups(rows, keys, engine, salt, ratios, pinned, allowed)
    for r, key in zip(rows, keys, strict=True):
        split_rows[where[key]].append(r)
    check_leakage(engine, split_rows)
    n_groups = len(set(keys))
    for s in paths.SPLITS:
        if not split_rows[s] and ratios[s] > 0:
            raise SplitError(
                f"engine '{engine}': split '{s}' is empty ({len(rows)} items in {n_groups} "
                "speaker/text groups); add data, change splits.ratios or splits.salt"
            )
    capped: dict[str, int] = {}
    if settings.max_class_ratio is not None:
        split_rows["train"], capped = cap_classes(
            split_rows["train"], settings.max_class_ratio, salt
        )
    if eng.is_audio:
        _attach_audio(root, split_rows)
    for s in paths.SPLITS:
        split_rows[s].sort(key=lambda r: r["id"])
        write_parquet(root / paths.split_file(engine, s), _table(split_rows[s], eng.is_audio))
    labels: dict[str, Any] = {"engine": engine}
    if eng.classifier:
        labels["labels"] = sorted({r["label"] for rs in split_rows.values() for r in rs})
        labels["class_weights"] = class_weights(split_rows["train"])
    stats = _stats(engine, datasets, split_rows, eng.is_audio, capped, no_region, n_groups)
    if eng.regions:
        stats["no_dialect_region"] = dict(sorted(no_region.items()))
    stats["upstream_splits"] = _upstream_counts(split_rows)
    stats["silver_rejects"] = _silver_rejects(root, datasets)
    if eng.is_audio:
        _audio_stats(stats, split_rows)
    write_json(root / paths.split_labels(engine), labels)
    write_json(root / paths.split_stats(engine), stats)
    write_json(root / paths.split_checksums(engine), checksums(engine, root))
    return stats


def _engine_rows(
    root: Path, engine: str, datasets: list[str], dialect_map: dict[str, Any]
) -> tuple[list[dict[str, Any]], Counter[str]]:
    """Every silver item of the engine's datasets; a region engine labels each by its district
    (items outside Kerala or of an unknown district are counted, not kept)."""
    regions = engines.get(engine).regions
    lookup = dialect_lookup(dialect_map)
    rows: list[dict[str, Any]] = []
    no_region: Counter[str] = Counter()
    for ds in datasets:
        for r in pq.read_table(root / paths.silver_manifest(ds)).to_pylist():
            if regions:
                origin = r.get("dialect") or r["label"]
                region = lookup.get(dialects.key(origin)) if origin else None
                if region is None:
                    no_region[f"{origin or '(empty)'} ({ds})"] += 1
                    continue
                r["label"] = region
            rows.append(r)
    if no_region:
        log.warning(
            "engine %s: %d item(s) from outside Kerala or of unknown district get no dialect "
            "label: %s (extend config dialect_map if a name is a Kerala district)",
            engine,
            sum(no_region.values()),
            dict(no_region),
        )
    if not rows:
        raise SplitError(f"engine '{engine}': no usable items in {datasets}; see silver rejects")
    return rows, no_region


def _audio_stats(stats: dict[str, Any], split_rows: dict[str, list[dict[str, Any]]]) -> None:
    """Per split: narrow-band clips, and utterances cut from long recordings."""
    for s in paths.SPLITS:
        stats[s]["narrowband"] = sum(bool(r.get("narrowband")) for r in split_rows[s])
        cut = [r for r in split_rows[s] if r.get("parent_id")]
        stats[s]["segments"] = len(cut)  # utterances cut from long recordings
        stats[s]["segment_hours"] = round(sum(r["duration"] for r in cut) / 3600, 4)


def checksums(engine: str, root: str | Path = ".") -> dict[str, Any]:
    """What allocate wrote, hashed as it wrote it: train, publish and deploy check against it."""
    names = [Path(f).name for f in paths.split_recorded(engine)]
    return {
        "engine": engine,
        "files": integrity.files_record(Path(root) / paths.split_dir(engine), names),
    }


def read_stats(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def record(engine: str, root: str | Path = ".") -> tuple[dict[str, Any], str, str]:
    """allocate's record of splits/<engine>/, where it is, and the command that rebuilds both."""
    rec_path = paths.split_checksums(engine)
    fix = integrity.rebuild(paths.split_stats(engine), "rebuild the splits from silver")
    try:
        rec = json.loads((Path(root) / rec_path).read_text(encoding="utf-8"))
        rec["files"].items()
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise integrity.DamagedInput(
            f"{rec_path}: unreadable ({exc}); the splits cannot be checked: {fix}"
        ) from None
    return rec, rec_path, fix


def verify(engine: str, root: str | Path = ".", names: list[str] | None = None) -> dict[str, Any]:
    """Check splits/<engine>/ files (all, or ``names``) against allocate's record; the record."""
    rec, rec_path, fix = record(engine, root)
    files = rec["files"]
    want = files if names is None else {n: files[n] for n in names if n in files}
    integrity.require_files(root, paths.split_dir(engine), want, rec_path, fix)
    return rec


def _attach_audio(root: Path, split_rows: dict[str, list[dict[str, Any]]]) -> None:
    """Each clip's WAV from its shard, checked against the audio_sha256 the silver manifest holds:
    a damaged shard fails here, before one of its bytes reaches splits/ or gold/."""
    by_shard: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    for rows in split_rows.values():
        for r in rows:
            by_shard[(r["dataset"], r["shard"])][r["id"]] = r
    for (ds, shard), rows_by_id in sorted(by_shard.items()):
        _shard_audio(root, ds, int(shard.rsplit("-", 1)[1]), rows_by_id)


def _shard_audio(root: Path, ds: str, k: int, rows_by_id: dict[str, dict[str, Any]]) -> None:
    tar = paths.shard_tar(ds, k)
    fix = integrity.rebuild(tar)
    try:
        members = read_shard(root / tar, set(rows_by_id))
    except (OSError, ValueError, tarfile.TarError) as exc:
        finding = f"unreadable tar ({exc})"
        raise integrity.DamagedInput(
            integrity.damaged(tar, finding, paths.silver_manifest(ds), fix)
        ) from None
    for item, r in sorted(rows_by_id.items()):
        wav = members.get(item, {}).get("wav")
        if finding := _wav_finding(wav, r["audio_sha256"]):
            msg = integrity.damaged(tar, finding, paths.silver_manifest(ds), fix, item)
            raise integrity.DamagedInput(msg)
        r["audio"] = {"bytes": wav, "path": f"{item}.wav"}


def _wav_finding(wav: bytes | None, sha256: str) -> str | None:
    if wav is None:
        return "WAV member missing"
    try:
        pcm, _ = audio_mod.read_wav(wav)
    except ValueError as exc:
        return f"stored WAV unreadable ({exc})"
    return None if audio_mod.audio_sha256(pcm) == sha256 else "stored audio differs"


def _stats(engine, datasets, split_rows, audio, capped, excluded, n_groups) -> dict[str, Any]:
    out: dict[str, Any] = {"engine": engine, "datasets": datasets, "groups": n_groups}
    for s, rows in split_rows.items():
        secs = sum(r["duration"] for r in rows) if audio else 0.0
        out[s] = {
            "items": len(rows),
            "hours": round(secs / 3600, 4),
            "per_class": dict(sorted(Counter(r["label"] for r in rows if r["label"]).items())),
            "per_dataset": dict(sorted(Counter(r["dataset"] for r in rows).items())),
            "speakers": len({(r["dataset"], r["speaker"]) for r in rows if r["speaker"]}),
        }
    out["items"] = sum(out[s]["items"] for s in paths.SPLITS)
    out["hours"] = round(sum(out[s]["hours"] for s in paths.SPLITS), 4)
    out["capped_on_train"] = capped
    out["excluded"] = dict(sorted(excluded.items()))
    return out


def data_card(cfg: dict[str, Any], engine: str, stats: dict[str, Any]) -> str:
    """A short human-readable card: where the data came from and what is in each split.

    Its own step (rule card, settings from foundry.steps.card): a licence or description edit
    rewrites the card and nothing else.
    """
    datasets = stats["datasets"]
    lines = [f"# Gold data card: `{engine}`", ""]
    lines.append("Built by Malayalam Data Foundry (raw → silver → gold). Splits are speaker- and")
    lines.append(
        "text-disjoint (salted hash of the speaker/text group). Audio: 16 kHz mono PCM16 WAV."
    )
    lines += ["", "| source | license | description |", "|---|---|---|"]
    for ds in datasets:
        spec = cfg["datasets"][ds]
        src = spec.get("hub") or spec.get("path")
        lines.append(f"| `{ds}` ({src}) | {spec['license']} | {spec.get('description', '')} |")
    lines += ["", "| split | items | hours | speakers | classes |", "|---|---|---|---|---|"]
    for s in paths.SPLITS:
        st = stats[s]
        classes = ", ".join(f"{k}: {v}" for k, v in st["per_class"].items()) or "–"
        lines.append(f"| {s} | {st['items']} | {st['hours']} | {st['speakers']} | {classes} |")
    if stats["capped_on_train"]:
        lines += ["", f"Train capped for class balance (dropped): {stats['capped_on_train']}"]
    if stats["excluded"]:
        lines += [
            "",
            "Items with no dialect region (outside Kerala or unknown district; never guessed):",
        ]
        lines += [f"- {name}: {n}" for name, n in stats["excluded"].items()]
    if any(cfg["datasets"][d].get("path", "").startswith("demo/") for d in datasets):
        lines += ["", "**Synthetic demo data** (espeak-ng voices): for plumbing checks only."]
    return "\n".join(lines) + "\n"
