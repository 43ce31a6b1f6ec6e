"""Read a raw dataset's parquet rows through its column mapping, one batch at a time.

Checks the mapping against the real schema first, so a wrong column name or a dataset that holds
audio-codec tokens fails with a message listing what the dataset does have and the key to set.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from foundry import paths

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class DatasetError(ValueError):
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


def read_manifest(ds: str, root: str | Path = ".") -> dict[str, Any]:
    return json.loads((Path(root) / paths.raw_manifest(ds)).read_text(encoding="utf-8"))


def parquet_files(manifest: dict[str, Any]) -> list[str]:
    return sorted(f["path"] for f in manifest["files"] if f["path"].endswith(".parquet"))


def item_id(ds: str, source_file: str, row: int) -> str:
    """Stable id from where the item lives upstream; safe as a file name and tar member."""
    stem = source_file[: -len(".parquet")] if source_file.endswith(".parquet") else source_file
    return f"{ds}-{_UNSAFE.sub('_', stem).strip('_')}-{row:06d}"


def _is_codec_tokens(t: pa.DataType) -> bool:
    while pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        t = t.value_type
        if pa.types.is_integer(t):
            return True
    return False


def check_schema(ds: str, columns: dict[str, str], schema: pa.Schema, source: str) -> None:
    """Fail early and helpfully when the mapping does not fit the data."""
    have = schema.names
    for role, col in sorted(columns.items()):
        if col not in have:
            raise DatasetError(
                f"dataset '{ds}': column '{col}' (config datasets.{ds}.columns.{role}) is not in "
                f"{source}; the dataset has columns: {', '.join(have)}. Set "
                f"datasets.{ds}.columns.{role} to one of them."
            )
    audio = columns.get("audio")
    if audio:
        t = schema.field(audio).type
        if _is_codec_tokens(t):
            raise DatasetError(
                f"dataset '{ds}': column '{audio}' holds audio-codec tokens ({t}), not waveforms; "
                "they cannot be decoded into audio here. Use the dataset for text/labels only "
                f"(remove datasets.{ds}.columns.audio and audio engines) or map a waveform column."
            )
        ok = pa.types.is_struct(t) and t.get_field_index("bytes") >= 0
        if not (ok or pa.types.is_binary(t) or pa.types.is_large_binary(t)):
            raise DatasetError(
                f"dataset '{ds}': column '{audio}' has type {t}; expected Hub audio (a struct with "
                f"'bytes' and 'path') or raw bytes. Check datasets.{ds}.columns.audio."
            )


def _audio_bytes(value: Any, files_root: Path) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        return bytes(value) or None
    data = value.get("bytes")
    if data:
        return bytes(data)
    rel = value.get("path")
    if rel:
        # Audio stored beside the parquet in the repo: only ever read inside raw/<ds>/files.
        p = (files_root / rel).resolve()
        if files_root.resolve() in p.parents and p.is_file():
            return p.read_bytes()
    return None


def _str(value: Any) -> str | None:
    if value is None:
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
) -> Iterator[Item]:
    """Yield items in (file, row) order; ``rows`` restricts to {file: {row, ...}} (one shard)."""
    files_root = Path(root) / paths.raw_files(ds)
    wanted = {role: col for role, col in columns.items() if with_audio or role != "audio"}
    for rel in parquet_files(manifest):
        if rows is not None and not rows.get(rel):
            continue
        pf = pq.ParquetFile(files_root / rel)
        check_schema(ds, columns, pf.schema_arrow, rel)
        selected = rows.get(rel) if rows is not None else None
        proj = sorted(set(wanted.values()))
        for offset, batch in _batches(pf, proj, batch_size, selected):
            n = batch.num_rows
            data = {c: batch.column(c).to_pylist() for c in proj}
            for i in range(n):
                row = offset + i
                if selected is not None and row not in selected:
                    continue
                get = {role: data[col][i] for role, col in wanted.items()}
                own = _str(get.get("id"))
                yield Item(
                    id=f"{ds}-{_UNSAFE.sub('_', own)}" if own else item_id(ds, rel, row),
                    source_file=rel,
                    source_row=row,
                    audio=_audio_bytes(get.get("audio"), files_root) if "audio" in get else None,
                    text=_str(get.get("text")),
                    label=_str(get.get("label")),
                    speaker=_str(get.get("speaker")),
                    translation=_str(get.get("translation")),
                )


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
