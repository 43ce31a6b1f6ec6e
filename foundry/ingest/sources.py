"""Read a raw dataset's rows (any layout) through its column mapping, one batch at a time.

Checks the mapping against the real schema first, so a wrong column name or a dataset that holds
audio-codec tokens fails with a message listing what the dataset does have and the key to set.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from foundry import integrity, paths
from foundry.errors import UserError
from foundry.ingest import layouts

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class DatasetError(ValueError, UserError):
    """The dataset does not match its config; the message says which key to change."""


@dataclass(frozen=True)
class Item:
    id: str
    source_file: str
    source_row: int
    audio: bytes | None
    text: str | None
    label: str | None
    speaker: str | None
    translation: str | None
    split: str | None = None
    dialect: str | None = None
    fields: dict[str, str | None] = field(default_factory=dict)
    segments: Any = None  # utterance timestamps of a long recording (list or JSON text)
    malformed: str | None = None  # why the source record could not be read (malformed_row)


ROLES = ("audio", "text", "label", "speaker", "id", "translation", "dialect", "segments")


def read_manifest(ds: str, root: str | Path = ".") -> dict[str, Any]:
    return json.loads((Path(root) / paths.raw_manifest(ds)).read_text(encoding="utf-8"))


def verify_raw(ds: str, manifest: dict[str, Any], root: str | Path = ".") -> None:
    """Every raw file is the size and sha256 ingest recorded, or standardizing stops here."""
    record = {f["path"]: f for f in manifest.get("files", [])}
    rel = paths.raw_manifest(ds)
    fix = integrity.rebuild(rel, "re-ingest it")
    integrity.require_files(root, paths.raw_files(ds), record, rel, fix)


def manifest_layout(manifest: dict[str, Any]) -> layouts.Layout:
    """The layout ingest chose (manifests from before layouts: every parquet file, one split)."""
    if "layout" in manifest:
        return layouts.Layout.from_json(manifest["layout"])
    files = sorted(f["path"] for f in manifest["files"] if f["path"].endswith(".parquet"))
    return layouts.Layout("parquet", {"train": files})


def item_id(ds: str, source_file: str, row: int) -> str:
    """Stable id from where the item lives upstream; safe as a file name and tar member."""
    stem = source_file
    for ext in (".gz", ".bz2", ".xz", ".parquet", ".jsonl", ".json", ".csv", ".tsv", ".tar"):
        stem = stem[: -len(ext)] if stem.lower().endswith(ext) else stem
    return f"{ds}-{_UNSAFE.sub('_', stem).strip('_')}-{row:06d}"


def _is_codec_tokens(t: pa.DataType) -> bool:
    while pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        t = t.value_type
        if pa.types.is_integer(t):
            return True
    return False


def _codec_error(ds: str, col: str, what: str) -> DatasetError:
    return DatasetError(
        f"dataset '{ds}': column '{col}' holds audio-codec tokens ({what}), not waveforms, so it "
        f"can never feed an audio engine; use its text only (remove datasets.{ds}.columns.audio "
        "and the audio engines from its engines)."
    )


def check_columns(ds: str, columns: dict[str, str], have: list[str], source: str) -> None:
    """Every mapped column must exist; the message lists what the dataset does have."""
    for role, col in sorted(columns.items()):
        if col not in have:
            raise DatasetError(
                f"dataset '{ds}': column '{col}' (config datasets.{ds}.columns.{role}) is not in "
                f"{source}; the dataset has columns: {', '.join(have)}. Set "
                f"datasets.{ds}.columns.{role} to one of them."
            )


# Roles whose values are sentences: a struct, list or bytes there is the wrong column.
TEXT_ROLES = ("text", "translation")


def _is_text_type(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t)


def _text_type_error(ds: str, role: str, col: str, found: str, strings: list[str]) -> DatasetError:
    have = ", ".join(strings) or "none"
    return DatasetError(
        f"dataset '{ds}': column '{col}' (config datasets.{ds}.columns.{role}) holds {found}, "
        f"not text; the dataset's text columns are: {have}. Set datasets.{ds}.columns.{role} "
        "to one of them."
    )


def check_schema(ds: str, columns: dict[str, str], schema: pa.Schema, source: str) -> None:
    """Fail early and helpfully when the mapping does not fit the data."""
    check_columns(ds, columns, schema.names, source)
    for role in TEXT_ROLES:
        col = columns.get(role)
        if col and not _is_text_type(t := schema.field(col).type):
            strings = [f.name for f in schema if _is_text_type(f.type)]
            raise _text_type_error(ds, role, col, f"values of type {t}", strings)
    audio = columns.get("audio")
    if audio:
        t = schema.field(audio).type
        if _is_codec_tokens(t):
            raise _codec_error(ds, audio, str(t))
        ok = pa.types.is_struct(t) and t.get_field_index("bytes") >= 0
        is_path = pa.types.is_string(t) or pa.types.is_large_string(t)
        if not (ok or is_path or pa.types.is_binary(t) or pa.types.is_large_binary(t)):
            raise DatasetError(
                f"dataset '{ds}': column '{audio}' has type {t}; expected Hub audio (a struct with "
                f"'bytes' and 'path'), raw bytes or a path in the repo. Check "
                f"datasets.{ds}.columns.audio."
            )


def audio_bytes(value: Any, files_root: Path, near: str) -> bytes | None:
    """Waveform bytes of one audio cell: struct, raw bytes or a path inside the repo."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        return bytes(value) or None
    if isinstance(value, str):
        return layouts.read_path_audio(value, files_root, near) if value else None
    if isinstance(value, dict):
        data = value.get("bytes")
        if data:
            return bytes(data)
        rel = value.get("path")
        if rel:
            return layouts.read_path_audio(str(rel), files_root, near)
    return None


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN from a CSV/JSON reader
        return None
    return value if isinstance(value, str) else str(value)


def iter_items(
    ds: str,
    columns: dict[str, str],
    manifest: dict[str, Any],
    root: str | Path = ".",
    rows: dict[str, set[int]] | None = None,
    with_audio: bool = True,
    batch_size: int = 64,
    fields: tuple[str, ...] = (),
) -> Iterator[Item]:
    """Yield items in (file, row) order; ``rows`` restricts to {file: {row, ...}} (one shard).

    ``fields`` are extra columns (row filters, metadata) carried as strings in ``Item.fields``.
    """
    files_root = Path(root) / paths.raw_files(ds)
    layout = manifest_layout(manifest)
    split_of = layout.split_of()
    wanted = {role: col for role, col in columns.items() if with_audio or role != "audio"}
    need = sorted(set(wanted.values()) | set(fields))
    for rel in layouts.record_files(layout):
        if rows is not None and not rows.get(rel):
            continue
        selected = rows.get(rel) if rows is not None else None
        if layout.builder == "parquet":
            records = _parquet_rows(ds, columns, files_root, rel, need, batch_size, selected)
            split = split_of.get(rel)
            stream = ((n, split, rec) for n, rec in records)
        else:
            stream = _checked(ds, columns, need, layout, files_root, rel, selected)
        for row, split, rec in stream:
            if layouts.MALFORMED in rec:
                nothing = dict.fromkeys(("audio", "text", "label", "speaker", "translation"))
                why = f"{rel}: {rec[layouts.MALFORMED]}"
                yield Item(item_id(ds, rel, row), rel, row, **nothing, split=split, malformed=why)
                continue
            get = {role: rec.get(col) for role, col in wanted.items()}
            for role in TEXT_ROLES:
                if isinstance(get.get(role), dict | list | bytes):
                    strings = sorted(k for k, v in rec.items() if isinstance(v, str))
                    found = f"a {type(get[role]).__name__} in {rel} row {row}"
                    raise _text_type_error(ds, role, columns[role], found, strings)
            own = _str(get.get("id"))
            audio_value = get.get("audio")
            if "audio" in get and layouts.looks_like_codec(columns["audio"], audio_value):
                raise _codec_error(ds, columns["audio"], "lists of integers")
            yield Item(
                id=f"{ds}-{_UNSAFE.sub('_', own)}" if own else item_id(ds, rel, row),
                source_file=rel,
                source_row=row,
                audio=audio_bytes(audio_value, files_root, rel) if "audio" in get else None,
                text=_str(get.get("text")),
                label=_str(get.get("label")),
                speaker=_str(get.get("speaker")),
                translation=_str(get.get("translation")),
                split=split,
                dialect=_str(get.get("dialect")),
                fields={f: _str(rec.get(f)) for f in fields},
                segments=get.get("segments"),
            )


def _checked(
    ds: str,
    columns: dict[str, str],
    need: list[str],
    layout: layouts.Layout,
    files_root: Path,
    rel: str,
    selected: set[int] | None,
) -> Iterator[tuple[int, str | None, dict[str, Any]]]:
    """Rows of a text/tar/audiofolder file; the first one proves the mapped columns exist."""
    checked = False
    try:
        for r in layouts.iter_rows(layout, files_root, rel, selected):
            if not checked and layouts.MALFORMED not in r.record:
                have = sorted(r.record)
                extra = {f: f for f in need if f not in columns.values()}
                check_columns(ds, {**columns, **extra}, have, rel)
                checked = True
            yield r.row, r.split, r.record
    except (layouts.LayoutError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, DatasetError):
            raise
        raise DatasetError(
            f"dataset '{ds}': {rel} could not be read as {layout.builder} ({exc}); check the "
            f"file or set datasets.{ds}.data_files"
        ) from None


def _parquet_rows(
    ds: str,
    columns: dict[str, str],
    files_root: Path,
    rel: str,
    need: list[str],
    batch_size: int,
    selected: set[int] | None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    pf = pq.ParquetFile(files_root / rel)
    check_schema(ds, columns, pf.schema_arrow, rel)
    check_columns(ds, {f: f for f in need}, pf.schema_arrow.names, rel)
    for offset, batch in _batches(pf, need, batch_size, selected):
        data = {c: batch.column(c).to_pylist() for c in need}
        for i in range(batch.num_rows):
            row = offset + i
            if selected is not None and row not in selected:
                continue
            yield row, {c: data[c][i] for c in need}


def _batches(
    pf: pq.ParquetFile, columns: list[str], batch_size: int, selected: set[int] | None
) -> Iterator[tuple[int, pa.RecordBatch]]:
    """(first row, batch) for batches holding a selected row (all batches without a selection).

    Row groups holding none of the selected rows are skipped unread, so a shard job decompresses
    its own part of a file rather than the whole file.
    """
    wanted = sorted(selected) if selected is not None else None

    def hit(lo: int, hi: int) -> bool:
        if wanted is None:
            return True
        i = bisect.bisect_left(wanted, lo)
        return i < len(wanted) and wanted[i] < hi

    start = 0
    for g in range(pf.metadata.num_row_groups):
        size = pf.metadata.row_group(g).num_rows
        if hit(start, start + size):
            offset = start
            for batch in pf.iter_batches(batch_size=batch_size, row_groups=[g], columns=columns):
                if hit(offset, offset + batch.num_rows):
                    yield offset, batch
                offset += batch.num_rows
        start += size
