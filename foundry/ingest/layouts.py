"""Which files of a dataset repo hold which split, and how to read their rows (one reader a layout).

File selection and file-to-split assignment are `datasets`' own (its default split patterns, the
card's ``configs:`` list, module inference by extension), run over the repo's file *names* so the
Hub path can decide what to download before downloading anything. Split folder names match
case-insensitively (``Data/Train``, ``Valid``), as the Hub viewer shows them.

Readers yield plain rows ``(file, row, dict)`` in a fixed order, so an item's ``(file, row)``
address is stable, a shard job can ask for just its rows, and memory follows the shard: parquet is
read by row group, text formats and tars are streamed, an audiofolder reads only its rows' audio.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import hashlib
import importlib.metadata
import io
import json
import lzma
import posixpath
import re
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from foundry.atomic import write_text
from foundry.errors import UserError

PARQUET_BRANCH = "refs/convert/parquet"
METADATA_NAMES = ("metadata.csv", "metadata.jsonl", "metadata.json", "metadata.parquet")
READABLE = ("parquet", "csv", "json", "audiofolder", "webdataset")
_COMPRESSED = (".gz", ".bz2", ".xz")
# Upstream split name -> our split. Names from `datasets`' split keywords.
SPLIT_ALIASES = {
    "train": "train",
    "training": "train",
    "validation": "dev",
    "valid": "dev",
    "dev": "dev",
    "val": "dev",
    "test": "test",
    "testing": "test",
    "eval": "test",
    "evaluation": "test",
}


class LayoutError(ValueError, UserError):
    """The repo's files cannot be read as configured; the message names what was found."""


@dataclass(frozen=True)
class Layout:
    """What ingest selected: the builder, its options, data files per split, extra files."""

    builder: str
    splits: dict[str, list[str]]
    options: dict[str, Any] = field(default_factory=dict)
    metadata: list[str] = field(default_factory=list)
    config: str | None = None

    @property
    def files(self) -> list[str]:
        """Every file ingest must fetch (data files and audiofolder metadata), sorted."""
        out = {f for fs in self.splits.values() for f in fs} | set(self.metadata)
        return sorted(out)

    def to_json(self) -> dict[str, Any]:
        return {
            "builder": self.builder,
            "options": dict(sorted(self.options.items())),
            "config": self.config,
            "splits": {s: sorted(fs) for s, fs in sorted(self.splits.items())},
            "metadata": sorted(self.metadata),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Layout:
        return cls(
            builder=data["builder"],
            splits={s: list(fs) for s, fs in data["splits"].items()},
            options=dict(data.get("options") or {}),
            metadata=list(data.get("metadata") or []),
            config=data.get("config"),
        )

    def split_of(self) -> dict[str, str]:
        """Data file -> upstream split name."""
        return {f: s for s, fs in self.splits.items() for f in fs}


def card_configs(readme: str | None) -> dict[str, dict[str, Any]]:
    """The ``configs:`` list of a dataset card's YAML header, by config name (may be empty)."""
    if not readme or not readme.startswith("---"):
        return {}
    parts = readme.split("---", 2)
    if len(parts) < 3:
        return {}
    try:
        header = yaml.safe_load(parts[1]) or {}
    except yaml.YAMLError:
        return {}
    out = {}
    for c in header.get("configs") or []:
        if isinstance(c, dict) and "config_name" in c:
            out[str(c["config_name"])] = c
    return out


def _resolve_names(
    names: list[str], patterns: dict[str, list[str]] | None
) -> tuple[dict[str, list[str]], str | None, dict[str, Any]]:
    """Run `datasets`' data-file resolution over file names (empty placeholders in a temp dir).

    Names are lower-cased for the match (unless that would merge two files) so that split folders
    such as ``Train/`` are found the way the Hub viewer finds them.
    """
    from datasets.data_files import DataFilesDict, EmptyDatasetError, get_data_patterns
    from datasets.load import infer_module_for_data_files

    folded = {n.lower(): n for n in names}
    fold = len(folded) == len(names) and patterns is None
    back = folded if fold else {n: n for n in names}
    with tempfile.TemporaryDirectory(prefix="foundry-layout-") as tmp:
        for n in back:
            p = Path(tmp) / n
            p.parent.mkdir(parents=True, exist_ok=True)
            p.touch()
        try:
            pats = patterns if patterns is not None else get_data_patterns(tmp)
            dfd = DataFilesDict.from_patterns(pats, base_path=tmp)
        except (EmptyDatasetError, FileNotFoundError):
            return {}, None, {}
        module, kwargs = infer_module_for_data_files(dfd)
        prefix = Path(tmp).resolve().as_posix() + "/"
        splits = {}
        for split, files in dfd.items():
            rel = [Path(str(f)).resolve().as_posix().removeprefix(prefix) for f in files]
            splits[str(split)] = sorted(back[r] for r in rel if r in back)
    return splits, module, dict(kwargs or {})


def _sanitize(data_files: Any) -> dict[str, list[str]]:
    from datasets.data_files import sanitize_patterns

    return {str(k): list(v) for k, v in sanitize_patterns(data_files).items()}


def _selected(
    names: list[str], patterns: Any, cache: str | Path | None
) -> tuple[dict[str, list[str]], str | None, dict[str, Any]]:
    """`datasets`' selection over the names, remembered in ``cache`` when given.

    Importing `datasets` costs about a CPU-second, paid by Snakemake at every DAG build (a local
    dataset's files are the ingest rule's inputs) and again by the ingest job; the answer depends
    only on the names, the patterns and the `datasets` version, so both read it back instead.
    """
    entry = None
    if cache is not None:
        try:
            version = importlib.metadata.version("datasets")
            blob = json.dumps([version, names, patterns], sort_keys=True, ensure_ascii=False)
        except (importlib.metadata.PackageNotFoundError, TypeError, ValueError):
            blob = None  # nothing to key on: resolve without the cache
        if blob is not None:
            entry = Path(cache) / f"{hashlib.sha256(blob.encode('utf-8')).hexdigest()}.json"
            try:
                splits, module, kwargs = json.loads(entry.read_text(encoding="utf-8"))
                return splits, module, kwargs  # unpacked: a malformed entry is a miss
            except (OSError, ValueError, TypeError):
                pass  # absent or unreadable: resolve and write it again
    out = _resolve_names(names, _sanitize(patterns) if patterns is not None else None)
    if entry is not None:
        try:
            write_text(entry, json.dumps(list(out), ensure_ascii=False))  # split order kept
        except (OSError, TypeError, ValueError):
            pass  # a cache that cannot be written only costs the next run the import again
    return out


def resolve(
    ds: str,
    names: list[str],
    readme: str | None = None,
    config: str | None = None,
    data_files: Any = None,
    cache: str | Path | None = None,
) -> Layout:
    """Select the data files of one repo snapshot the way `datasets` would, or raise LayoutError.

    ``data_files`` (config ``datasets.<ds>.data_files``) wins; else the card's config ``config``
    (or its only/default config); else `datasets`' default split patterns. ``cache``: a folder
    that keeps `datasets`' answer per (file names, patterns, `datasets` version) (_selected).
    """
    shown_names = sorted(n for n in names if not n.startswith(".git"))
    names = [n for n in shown_names if not _never_data(n)]
    configs = card_configs(readme)
    patterns = None
    chosen = None
    if data_files is not None:
        patterns = data_files
    elif config is not None:
        if config not in configs:
            raise LayoutError(
                f"dataset '{ds}': config '{config}' is not in the dataset card's configs "
                f"(it has: {', '.join(sorted(configs)) or 'none'}). Set datasets.{ds}.config "
                "to one of them or remove it."
            )
        chosen = config
    elif len(configs) == 1 or "default" in configs:
        chosen = "default" if "default" in configs else next(iter(configs))
    elif len(configs) > 1:
        raise LayoutError(
            f"dataset '{ds}': the dataset card lists several configs "
            f"({', '.join(sorted(configs))}); choose one with datasets.{ds}.config"
        )
    if chosen is not None and configs[chosen].get("data_files") is not None:
        patterns = configs[chosen]["data_files"]
    splits, module, kwargs = _selected(names, patterns, cache)
    splits = {s: fs for s, fs in splits.items() if fs}
    if not splits or module not in READABLE:
        shown = ", ".join(shown_names[:12]) + (" …" if len(shown_names) > 12 else "")
        raise LayoutError(
            f"dataset '{ds}': nothing readable (files: {shown or 'none'}). Readable "
            f"layouts: {', '.join(READABLE)}. Set datasets.{ds}.data_files to the files to read."
        )
    metadata: list[str] = []
    if module == "audiofolder":
        metadata = sorted(n for f in splits.values() for n in f if _is_metadata(n))
        splits = {s: [f for f in fs if not _is_metadata(f)] for s, fs in splits.items()}
        if not metadata:
            metadata = sorted(n for n in names if _is_metadata(n))
    return Layout(module, splits, kwargs, metadata, chosen or config)


def parquet_branch_layout(ds: str, names: list[str], config: str | None) -> Layout:
    """The Hub's parquet conversion: ``<config>/<split>/NNNN.parquet`` (``partial-<split>`` too)."""
    by_config: dict[str, dict[str, list[str]]] = {}
    for n in names:
        parts = n.split("/")
        if len(parts) == 3 and parts[2].endswith(".parquet"):
            split = parts[1].removeprefix("partial-")
            by_config.setdefault(parts[0], {}).setdefault(split, []).append(n)
    if not by_config:
        raise LayoutError(
            f"dataset '{ds}': the {PARQUET_BRANCH} branch holds no parquet conversion"
        )
    if config is None:
        config = "default" if "default" in by_config else sorted(by_config)[0]
        if len(by_config) > 1 and "default" not in by_config:
            raise LayoutError(
                f"dataset '{ds}': the parquet conversion has configs {', '.join(sorted(by_config))}"
                f"; choose one with datasets.{ds}.config"
            )
    if config not in by_config:
        raise LayoutError(
            f"dataset '{ds}': config '{config}' is not in the parquet conversion "
            f"(it has: {', '.join(sorted(by_config))}); fix datasets.{ds}.config"
        )
    splits = {s: sorted(fs) for s, fs in sorted(by_config[config].items())}
    partial = sorted({n.split("/")[1] for n in names if n.split("/")[1].startswith("partial-")})
    return Layout("parquet", splits, {"partial": partial} if partial else {}, [], config)


def _never_data(name: str) -> bool:
    """Cards, scripts and dotfiles: what `datasets` never reads as rows."""
    base = posixpath.basename(name)
    return base.startswith(".") or base.lower().endswith((".md", ".py", ".txt.lock", ".ipynb"))


def _is_metadata(name: str) -> bool:
    return posixpath.basename(name) in METADATA_NAMES


def our_split(upstream: str | None, split_map: dict[str, str] | None = None) -> str | None:
    """Upstream split name -> train/dev/test, or None when the name says nothing."""
    if not upstream:
        return None
    if split_map and upstream in split_map:
        return split_map[upstream]
    return SPLIT_ALIASES.get(upstream.lower())


# --- readers: (file, row, record) in a fixed order ------------------------------------------


@dataclass(frozen=True)
class Row:
    file: str
    row: int
    split: str | None
    record: dict[str, Any]


def _open_text(path: Path) -> IO[str]:
    name = path.name.lower()
    if name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    if name.endswith(".bz2"):
        return io.TextIOWrapper(bz2.open(path, "rb"), encoding="utf-8-sig", newline="")
    if name.endswith(".xz"):
        return io.TextIOWrapper(lzma.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def _stem(name: str) -> str:
    for ext in _COMPRESSED:
        if name.lower().endswith(ext):
            name = name[: -len(ext)]
    return name


# The key of a record that could not be read as one (its value says why, with the line): the
# row is rejected as malformed_row in its shard job instead of vanishing or ending the dataset.
MALFORMED = "__malformed__"


def iter_csv(path: Path, sep: str | None = None) -> Iterator[dict[str, Any]]:
    """Rows of a CSV/TSV with a header line (TSV by extension or ``sep``), as strings; a row
    with more or fewer fields than the header is a MALFORMED record (never cut to fit)."""
    if sep is None:
        sep = "\t" if _stem(path.name).lower().endswith(".tsv") else ","
    with _open_text(path) as fh:
        reader = csv.reader(fh, delimiter=sep)
        header = next(reader, None)
        if header is None:
            return
        for values in reader:
            if not values:
                continue
            if len(values) != len(header):
                yield {
                    MALFORMED: f"line {reader.line_num} has {len(values)} fields, "
                    f"the header has {len(header)}"
                }
                continue
            yield dict(zip(header, values, strict=True))


def iter_json(path: Path, field_name: str | None = None) -> Iterator[dict[str, Any]]:
    """Records of JSON Lines, or of a JSON array / ``{field: [...]}`` document."""
    with _open_text(path) as fh:
        first = ""
        while True:
            ch = fh.read(1)
            if not ch or not ch.isspace():
                first = ch
                break
        rest = fh.read() if first in ("[", "{") and field_name else None
        if first == "[" or rest is not None:
            doc = json.loads(first + (rest if rest is not None else fh.read()))
            if isinstance(doc, dict):
                doc = doc.get(field_name or "", [])
            for rec in doc:
                yield rec if isinstance(rec, dict) else {"value": rec}
            return
        line_no = 0
        buf = first
        for line in fh:
            text = (buf + line).strip()
            buf = ""
            line_no += 1
            if not text:
                continue
            try:
                rec = json.loads(text)
            except json.JSONDecodeError as exc:
                yield {MALFORMED: f"line {line_no} is not JSON ({exc.msg})"}
                continue
            yield rec if isinstance(rec, dict) else {"value": rec}
        if buf.strip():
            yield json.loads(buf)


def _webdataset_samples(path: Path) -> Iterator[dict[str, Any]]:
    """Samples of a WebDataset tar: members grouped by key (name up to the first dot)."""
    with tarfile.open(path, mode="r:*") as tar:
        key, sample = None, {}
        for m in tar:
            if not m.isfile():
                continue
            base = posixpath.basename(m.name)
            if "." not in base or base.startswith("."):
                continue
            k = posixpath.join(posixpath.dirname(m.name), base.split(".", 1)[0])
            ext = base.split(".", 1)[1].lower()
            if key is not None and k != key:
                yield _wds_record(key, sample)
                sample = {}
            key = k
            fh = tar.extractfile(m)
            sample[ext] = fh.read() if fh else b""
        if key is not None:
            yield _wds_record(key, sample)


WDS_TEXT = ("txt", "text", "cls", "label", "transcript")


def _wds_record(key: str, sample: dict[str, bytes]) -> dict[str, Any]:
    """One sample's fields; a sidecar that is not UTF-8 (or not JSON) makes the whole sample a
    MALFORMED record naming it: replacing its bytes would put a corrupt transcript in silver."""
    rec: dict[str, Any] = {"__key__": key}
    for ext, data in sample.items():
        if ext == "json" or ext in WDS_TEXT:
            try:
                decoded = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                return {MALFORMED: f"{key}.{ext} is not UTF-8 (byte {exc.start}: {exc.reason})"}
        if ext == "json":
            try:
                value = json.loads(decoded)
            except (json.JSONDecodeError, RecursionError) as exc:
                why = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deep"
                return {MALFORMED: f"{key}.json is not JSON ({why})"}
            rec["json"] = value
            if isinstance(value, dict):
                for k, v in value.items():
                    rec.setdefault(k, v)
        elif ext in WDS_TEXT:
            rec[ext] = decoded.strip()
        else:
            rec[ext] = data
    return rec


def _metadata_rows(path: Path) -> Iterator[dict[str, Any]]:
    name = path.name.lower()
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        for batch in pf.iter_batches(batch_size=256):
            yield from batch.to_pylist()
    elif name.endswith(".csv"):
        yield from iter_csv(path, ",")
    else:
        yield from iter_json(path)


def record_files(layout: Layout) -> list[str]:
    """The files whose records are items: data files, or an audiofolder's metadata files."""
    if layout.builder == "audiofolder" and layout.metadata:
        return sorted(layout.metadata)
    return sorted(f for fs in layout.splits.values() for f in fs)


def iter_rows(
    layout: Layout, root: Path, file: str, wanted: set[int] | None = None
) -> Iterator[Row]:
    """Records of one non-parquet record file, with their 0-based row numbers."""
    split_of = layout.split_of()
    path = root / file
    if layout.builder == "csv":
        records: Iterator[dict[str, Any]] = iter_csv(path, layout.options.get("sep"))
    elif layout.builder == "json":
        records = iter_json(path, layout.options.get("field"))
    elif layout.builder == "webdataset":
        records = _webdataset_samples(path)
    elif layout.builder == "audiofolder":
        yield from _audiofolder_rows(layout, root, file, wanted, split_of)
        return
    else:
        raise LayoutError(f"{file}: no reader for layout '{layout.builder}'")
    for n, rec in enumerate(records):
        if wanted is not None and n not in wanted:
            continue
        yield Row(file, n, split_of.get(file), rec)


def _audiofolder_rows(
    layout: Layout, root: Path, file: str, wanted: set[int] | None, split_of: dict[str, str]
) -> Iterator[Row]:
    if not layout.metadata:
        # No metadata: one row per audio file, in sorted order.
        if wanted is None or 0 in wanted:
            yield Row(file, 0, split_of.get(file), {"audio": {"path": file}, "file_name": file})
        return
    base = posixpath.dirname(file)
    for n, rec in enumerate(_metadata_rows(root / file)):
        if wanted is not None and n not in wanted:
            continue
        if MALFORMED in rec:
            yield Row(file, n, None, rec)
            continue
        name = rec.get("file_name")
        rel = _inside(posixpath.join(base, str(name))) if name else None
        rec = dict(rec)
        rec["audio"] = {"path": rel} if rel is not None and rel in split_of else None
        yield Row(file, n, split_of.get(rel) if rel else None, rec)


def _inside(rel: str) -> str | None:
    """Normalize a repo-relative path; None when it would leave the repo."""
    if rel.startswith("/") or "\\" in rel:
        return None
    norm = posixpath.normpath(rel)
    if norm.startswith("..") or norm == ".":
        return None
    return norm


def read_path_audio(value: str, root: Path, near: str) -> bytes | None:
    """Audio stored as a path: beside the record's file, else from the repo root; never outside."""
    for cand in (posixpath.join(posixpath.dirname(near), value), value):
        rel = _inside(cand)
        if rel is None:
            continue
        p = (root / rel).resolve()
        if root.resolve() in p.parents and p.is_file():
            return p.read_bytes()
    return None


_CODEC_RE = re.compile(r"(^|_)(codes?|tokens?|nano_layer_\d+|encodec|snac)($|_)", re.I)


def looks_like_codec(name: str, value: Any) -> bool:
    """A list of integers (audio-codec token ids) rather than a waveform."""
    if isinstance(value, list | tuple) and value:
        inner = value[0]
        while isinstance(inner, list | tuple) and inner:
            inner = inner[0]
        return isinstance(inner, int) and not isinstance(inner, bool)
    return bool(_CODEC_RE.search(name)) and isinstance(value, list | tuple)
