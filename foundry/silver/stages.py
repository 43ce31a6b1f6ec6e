"""The per-item stages of a shard job, in order: each one small, named and tested on its own.

A stage takes the dataset's settings, the item on its way (``Candidate``) and the shard job's
record (``Record``); it returns a reject row, which ends the item's way, or None to pass it on
(it may enrich the candidate: the mapped label, the raw-audio hash). This is the NeMo SDP shape:
one transformation per function, the pipeline a tuple of them (``ITEM_STAGES``), so a new check
is one function in the right place, not another branch of a long loop.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from foundry import reasons, text


@dataclass
class Candidate:
    """One source item and what the stages have found out about it so far."""

    it: Any  # foundry.ingest.sources.Item
    raw_text: str
    norm: str  # normalized text (the stages judge this, the manifest keeps both)
    label: str | None = None

    @classmethod
    def of(cls, it: Any) -> Candidate:
        raw = it.text or ""
        return cls(it, raw, text.normalize(raw))


@dataclass
class Record:
    """What a shard job writes besides its kept rows: rejects and raw-audio hashes."""

    rejected: list[dict[str, Any]] = field(default_factory=list)
    hashes: list[dict[str, Any]] = field(default_factory=list)


def reject_row(
    settings: Any, it: Any, reason: str, detail: str, seg: str | None = None
) -> dict[str, Any]:
    """A rejects.parquet row: the item (or one segment of it), the reason and its detail."""
    if reasons.REGISTRY[reason].step is None:
        raise ValueError(f"reason {reason!r} is not one a silver step records")
    return {
        "id": segment_id(it.id, seg) if seg is not None else it.id,
        "dataset": settings.dataset,
        "reason": reason,
        "detail": detail,
        "source_file": it.source_file,
        "source_row": it.source_row,
        "parent_id": it.id if seg is not None else "",
    }


def segment_id(parent: str, seg: str) -> str:
    """A segment's own stable id: the recording's id + the segment's (safe as a tar member)."""
    return f"{parent}-seg{re.sub(r'[^A-Za-z0-9._-]+', '_', seg)}"


Stage = Callable[[Any, Candidate, Record], "dict[str, Any] | None"]


def readable(settings: Any, c: Candidate, record: Record) -> dict[str, Any] | None:
    """A record the source format could not read (a CSV row with the wrong field count)."""
    if c.it.malformed:
        return reject_row(settings, c.it, "malformed_row", c.it.malformed)
    return None


def row_filter(settings: Any, c: Candidate, record: Record) -> dict[str, Any] | None:
    """The dataset's ``filter:`` (e.g. one speaker group, one split)."""
    why = settings.filtered_out(c.it)
    return reject_row(settings, c.it, "filtered", why) if why else None


def raw_hash(settings: Any, c: Candidate, record: Record) -> None:
    """The raw audio's sha256, for duplicates across shards (resolved at merge)."""
    if c.it.audio:
        record.hashes.append(
            {
                "id": c.it.id,
                "raw_sha256": hashlib.sha256(c.it.audio).hexdigest(),
                "source_file": c.it.source_file,
                "source_row": c.it.source_row,
            }
        )


def label_map(settings: Any, c: Candidate, record: Record) -> dict[str, Any] | None:
    """``label_map:`` renames a label or drops the item (mapped to null)."""
    c.label, dropped = settings.map_label(c.it.label)
    if dropped:
        return reject_row(
            settings, c.it, "label_dropped", f"label {c.it.label!r} dropped by label_map"
        )
    return None


def malayalam_text(settings: Any, c: Candidate, record: Record) -> dict[str, Any] | None:
    """The text is Malayalam (a segmented recording is judged per segment, later)."""
    if not settings.needs("text") or c.it.segments:
        return None
    try:
        text.check_text(c.norm, settings.min_malayalam_ratio)
    except text.TextReject as exc:
        return reject_row(settings, c.it, exc.reason, exc.detail)
    return None


def has_label(settings: Any, c: Candidate, record: Record) -> dict[str, Any] | None:
    if settings.needs("label") and not (c.label or "").strip():
        col = settings.columns.get("label")
        return reject_row(settings, c.it, "missing_label", f"column '{col}' is empty")
    return None


def has_audio(settings: Any, c: Candidate, record: Record) -> dict[str, Any] | None:
    if settings.needs("audio") and c.it.audio is None:
        col = settings.columns["audio"]
        return reject_row(settings, c.it, "missing_audio", f"column '{col}' is empty")
    return None


# Before the audio is decoded: each stage sees only items every earlier stage passed.
ITEM_STAGES: tuple[Stage, ...] = (
    readable,
    row_filter,
    raw_hash,
    label_map,
    malayalam_text,
    has_label,
    has_audio,
)


def first_reject(settings: Any, c: Candidate, record: Record) -> dict[str, Any] | None:
    """Run the stages in order; the first reject ends the item's way."""
    for stage in ITEM_STAGES:
        row = stage(settings, c, record)
        if row is not None:
            return row
    return None
