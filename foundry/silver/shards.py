"""Phase 2: standardize a dataset into silver shards, one independent job per shard.

plan      one pass over the raw rows without their audio: id, shard, source file and row
shard k   read + hash the raw audio, decode → mono → 16 kHz → checks → PCM16 WAV in a
          deterministic tar, kept/rejected rows, and each item's raw-audio hash
merge     concatenate parts into manifest.parquet / rejects.parquet, resolve duplicate audio
          across shards from the hashes, and prove nothing was lost

Each clip's bytes are read and decoded once, in its shard job. Exact duplicates are found where
the shards meet: every group of items with the same raw-audio bytes keeps its smallest id; the
others become ``duplicate_audio`` rejects at merge (a shard that had kept one still holds its WAV
in its tar, unlisted: the tar is that job's output and is not rewritten).
"""

from __future__ import annotations

import io
import json
import logging
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from foundry import audio, paths, reasons, text
from foundry.atomic import atomic_write, write_parquet
from foundry.config import defaults, needed_columns
from foundry.engines import SAMPLE_RATE
from foundry.errors import UserError
from foundry.ingest.sources import DatasetError, iter_items, read_manifest, verify_raw
from foundry.settings import Standardize
from foundry.silver import bandwidth, language, quality, segments, stages, vad
from foundry.silver.stages import segment_id

log = logging.getLogger("foundry.silver.shards")
PROGRESS_EVERY = 200  # items between progress lines in a shard's log

PLAN_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("shard", pa.int32()),
        ("source_file", pa.string()),
        ("source_row", pa.int64()),
    ]
)
HASH_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("raw_sha256", pa.string()),
        ("source_file", pa.string()),
        ("source_row", pa.int64()),
    ]
)
MANIFEST_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("dataset", pa.string()),
        ("shard", pa.string()),
        ("duration", pa.float64()),
        ("sample_rate", pa.int32()),
        ("text", pa.string()),
        ("raw_text", pa.string()),
        ("speaker", pa.string()),
        ("label", pa.string()),
        ("translation", pa.string()),
        ("audio_sha256", pa.string()),
        ("source_file", pa.string()),
        ("source_row", pa.int64()),
        ("source_revision", pa.string()),
        ("source_format", pa.string()),
        ("source_sample_rate", pa.int32()),
        ("source_channels", pa.int32()),
        ("source_split", pa.string()),
        ("dialect", pa.string()),
        ("metadata", pa.string()),
        ("speech_seconds", pa.float64()),
        ("speech_ratio", pa.float64()),
        ("untrimmed_duration", pa.float64()),
        ("graphemes_per_second", pa.float64()),
        ("bandwidth_hz", pa.float64()),
        ("narrowband", pa.bool_()),
        # quality.language: set at merge from the language job ("" / 0.0: not checked)
        ("language", pa.string()),
        ("language_probability", pa.float64()),
        ("parent_id", pa.string()),  # the long recording a segment was cut from ("" if none)
    ]
)
REJECT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("dataset", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("source_file", pa.string()),
        ("source_row", pa.int64()),
        ("parent_id", pa.string()),
    ]
)


class AccountingError(RuntimeError, UserError):
    """Items went missing between plan and manifest: never let that pass silently."""


# the settings of plan and shard jobs (built by foundry.steps.standardize)
Settings = Standardize


def shard_of(index: int, total: int, shards: int) -> int:
    """Contiguous ranges: shard k reads one run of rows, so memory follows the shard."""
    return min(shards - 1, index * shards // max(total, 1))


def make_plan(settings: Settings, root: str | Path = ".") -> pa.Table:
    """One streaming pass over the rows without their audio: ids, shards, source positions."""
    manifest = read_manifest(settings.dataset, root)
    verify_raw(settings.dataset, manifest, root)
    items = [
        (it.id, it.source_file, it.source_row)
        for it in iter_items(
            settings.dataset,
            settings.columns,
            manifest,
            root,
            with_audio=False,
            fields=settings.fields,
        )
    ]
    if settings.needs("audio") and items and not _has_waveform(settings, manifest, root):
        raise DatasetError(_no_waveforms(settings, manifest, root))
    ids = [i[0] for i in items]
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = sorted({i for i in ids if i in seen or seen.add(i)})[:5]
        raise AccountingError(
            f"dataset '{settings.dataset}': item ids are not unique ({dup}); map a unique column "
            f"as datasets.{settings.dataset}.columns.id or remove that mapping"
        )
    rows = [
        {
            "id": i,
            "shard": shard_of(n, len(items), settings.shards),
            "source_file": f,
            "source_row": r,
        }
        for n, (i, f, r) in enumerate(items)
    ]
    return pa.Table.from_pylist(rows, schema=PLAN_SCHEMA)


def _has_waveform(settings: Settings, manifest: dict[str, Any], root: str | Path) -> bool:
    """Whether any kept row has audio bytes: reads rows until the first one that does.

    A dataset of paths into audio that is not in the repo fails here, in its plan, in one line;
    a normal dataset answers at its first row.
    """
    considered = False
    for it in iter_items(
        settings.dataset,
        settings.columns,
        manifest,
        root,
        with_audio=True,
        fields=settings.fields,
        batch_size=8,
    ):
        if settings.filtered_out(it) is None:
            if it.audio:
                return True
            considered = True
    return not considered  # every row filtered out: nothing to say about waveforms


def _no_waveforms(settings: Settings, manifest: dict[str, Any], root: str | Path) -> str:
    """One line: the dataset has rows but no waveform for any of them."""
    ds, col = settings.dataset, settings.columns["audio"]
    audio_engines = [e for e in settings.engines if "audio" in needed_columns(e, settings.columns)]
    sample = next(
        iter_items(ds, {"audio": col}, manifest, root, with_audio=False, fields=(col,)), None
    )
    found = repr(sample.fields.get(col))[:80] if sample else "nothing"
    return (
        f"dataset '{ds}': no row has a waveform in column '{col}' (e.g. {found}): paths into "
        f"audio that is not in the repo cannot feed {', '.join(audio_engines)}; use its text only "
        f"(engines without audio) or, if the audio is in the repo, set datasets.{ds}.extra_files"
    )


def write_plan(settings: Settings, root: str | Path = ".") -> None:
    write_parquet(Path(root) / paths.plan(settings.dataset), make_plan(settings, root))


def _tarinfo(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def safe_member(name: str) -> str:
    """Refuse member names that could escape the extraction folder."""
    if not name or name.startswith(("/", "\\")) or ".." in Path(name).parts or "/" in name:
        raise ValueError(f"unsafe tar member name {name!r}")
    return name


def accounted(ids: list[str], parents: list[str]) -> set[str]:
    """Planned items a set of kept/rejected rows accounts for (a segment counts for its parent)."""
    return {p or i for i, p in zip(ids, parents, strict=True)}


NO_AUDIO_QUALITY = {
    "speech_seconds": 0.0,
    "speech_ratio": 0.0,
    "untrimmed_duration": 0.0,
    "graphemes_per_second": 0.0,
    "bandwidth_hz": 0.0,
    "narrowband": False,
}


# Manifest columns the merge fills in, so the shard's JSON member still holds the defaults.
UNCHECKED_LANGUAGE = {"language": "", "language_probability": 0.0}
# Reject reasons decided at merge: their item stays in its shard tar, unlisted.
MERGE_REJECT_REASONS = reasons.recorded_by("merge")


class Gates:
    """The speech quality gates of one shard job (config ``quality``; docs/quality.md)."""

    def __init__(self, q: dict[str, Any]) -> None:
        spec = q.get("vad") or {}
        self.vad = spec if spec and spec["enabled"] else None  # no section: a text dataset
        self.detector = None
        if self.vad:
            self.detector = vad.SpeechDetector(
                threshold=spec["threshold"],
                min_speech_ms=spec["min_speech_ms"],
                min_silence_ms=spec["min_silence_ms"],
                speech_pad_ms=spec["speech_pad_ms"],
                rate_hz=spec["rate_hz"],
            )
        rate = q.get("speaking_rate") or {}
        self.rate = rate if rate and rate["enabled"] else None
        # measured on every clip (a manifest column); the thresholds are the schema's if unset
        self.band = q.get("bandwidth") or defaults("quality", "bandwidth")

    def measure(self, std: audio.StandardAudio, text_: str) -> tuple[Any, dict[str, Any]]:
        """(the PCM to keep, manifest fields), or QualityReject: speech, trim, rate, bandwidth."""
        import numpy as np

        pcm = std.pcm16
        x = pcm.astype(np.float32) / 32768.0
        sr = SAMPLE_RATE
        floor_db = float(self.band["floor_db"])
        band = bandwidth.effective_bandwidth_hz(x, sr, floor_db)
        narrow = bandwidth.is_narrowband(
            x,
            sr,
            std.source_sample_rate,
            float(self.band["narrowband_hz"]),
            floor_db,
            bandwidth_hz=band,  # one spectrum per clip, not two
        )
        speech, ratio = std.duration, 1.0
        if self.detector is not None:
            st = self.detector.stats(x, sr, self.vad["pad_ms"])
            vad.check_speech(st, self.vad["min_speech_seconds"], self.vad["min_speech_ratio"])
            speech, ratio = st.speech_seconds, st.speech_ratio
            if self.vad["trim"]:
                pcm = pcm[int(round(st.trim_start * sr)) : int(round(st.trim_end * sr))]
        gps = 0.0
        if text_:
            gps = quality.graphemes_per_second(text_, speech)
            if self.rate is not None:
                bounds = (self.rate["min"], self.rate["max"])
                quality.check_speaking_rate(gps, bounds, "absolute bounds")
        return pcm, {
            "speech_seconds": round(speech, 3),
            "speech_ratio": round(ratio, 4),
            "untrimmed_duration": round(std.duration, 6),
            "graphemes_per_second": round(gps, 4),
            "bandwidth_hz": round(band, 1),
            "narrowband": bool(narrow),
        }

    def rate_outliers(self, kept: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Items whose speaking rate is outside the shard's robust bounds: id -> reject row."""
        if self.rate is None:
            return {}
        rates = [r["graphemes_per_second"] for r in kept if r["graphemes_per_second"] > 0]
        lo, hi = quality.rate_bounds(
            rates,
            self.rate["robust_k"],
            min_rate=self.rate["min"],
            max_rate=self.rate["max"],
            min_items=self.rate["min_items"],
        )
        out = {}
        for r in kept:
            g = r["graphemes_per_second"]
            if g > 0 and not lo <= g <= hi:
                out[r["id"]] = {
                    "id": r["id"],
                    "dataset": r["dataset"],
                    "reason": "speaking_rate",
                    "detail": f"{g:.1f} graphemes/s outside [{lo:.1f}, {hi:.1f}] (robust bounds "
                    f"of {len(rates)} items in its shard; config quality.speaking_rate)",
                    "source_file": r["source_file"],
                    "source_row": r["source_row"],
                    "parent_id": r["parent_id"],
                }
        return out


def _row(
    settings: Settings,
    it: Any,
    shard: int,
    revision: str,
    norm: str,
    raw_text: str,
    label: str | None,
    std: audio.StandardAudio | None,
    pcm: Any,
    measured: dict[str, Any],
    seg: str | None = None,
) -> dict[str, Any]:
    """One silver manifest row (an item, or one segment of a long recording)."""
    return {
        "id": segment_id(it.id, seg) if seg is not None else it.id,
        "dataset": settings.dataset,
        "shard": paths.shard_name(shard),
        "duration": round(pcm.size / SAMPLE_RATE, 6) if std else 0.0,
        "sample_rate": std.sample_rate if std else 0,
        "text": norm,
        "raw_text": raw_text,
        "speaker": (it.speaker or "").strip(),
        "label": (label or "").strip(),
        "translation": text.normalize(it.translation or "") if it.translation else "",
        "audio_sha256": audio.audio_sha256(pcm) if std else "",
        "source_file": it.source_file,
        "source_row": it.source_row,
        "source_revision": revision,
        "source_format": std.source_format if std else "",
        "source_sample_rate": std.source_sample_rate if std else 0,
        "source_channels": std.source_channels if std else 0,
        "source_split": it.split or "",
        "dialect": (it.dialect or "").strip(),
        "metadata": json.dumps(
            {k: it.fields.get(k) for k in settings.metadata}, ensure_ascii=False, sort_keys=True
        ),
        **measured,
        **UNCHECKED_LANGUAGE,
        "parent_id": it.id if seg is not None else "",
    }


def _spool_member(spool: IO[bytes], members: list, row: dict[str, Any], wav: bytes) -> None:
    """Queue one tar member pair; the WAV waits in the spool file, not in memory."""
    meta = json.dumps(row, sort_keys=True, ensure_ascii=False).encode("utf-8")
    parked: bytes | _Spooled = b""
    if wav:
        parked = _Spooled(spool, spool.tell(), len(wav))
        spool.write(wav)
    members.append((row["id"], parked, meta))


def long_recording(
    settings: Settings, gates: Gates, it: Any
) -> tuple[list[tuple[str, str, Any, Any, dict]] | None, list[tuple[str, Any]]]:
    """A recording over max_duration cut into utterances (Lhotse's supervision idea).

    At the segment timestamps in its metadata (``columns.segments``: a list of {start, end,
    text, id?}); without timestamps at speech pauses, but only for datasets whose engines need
    no transcript (dialect). Returns (pieces, bad segments) or (None, []) to keep the too_long
    reject. Each piece: (segment id, text, StandardAudio, pcm to keep, manifest fields).
    """
    import numpy as np

    segs = it.segments
    if isinstance(segs, str):
        try:
            segs = json.loads(segs)
        except json.JSONDecodeError:
            segs = None
    transcript_free = not settings.needs("text")
    if not segs and not (transcript_free and gates.detector is not None):
        return None, []
    checks = settings.checks
    x, sr, fmt = audio.decode(it.audio)
    channels = int(x.shape[1])
    y = audio.resample(audio.remove_dc(audio.to_mono(x), inplace=True), sr, SAMPLE_RATE)
    del x
    bad: list[tuple[str, Any]] = []
    if segs:
        cut = segments.segment_by_timestamps(y, SAMPLE_RATE, list(segs), rejects=bad)
    else:
        cut = segments.segment_by_pauses(
            y, SAMPLE_RATE, gates.detector, checks.max_duration, checks.min_duration
        )
    pieces = []
    for seg in cut:
        pcm = audio.to_pcm16(np.asarray(seg.audio, dtype=np.float32))
        seconds = pcm.size / SAMPLE_RATE
        std = audio.StandardAudio(pcm, SAMPLE_RATE, seconds, sr, channels, fmt)
        try:
            audio.check_standard(pcm, checks)
            if segs and settings.needs("text"):
                text.check_text(text.normalize(seg.text), settings.min_malayalam_ratio)
            kept_pcm, measured = gates.measure(std, text.normalize(seg.text) if segs else "")
        except (audio.AudioReject, quality.QualityReject, text.TextReject) as exc:
            bad.append((seg.id, exc))
            continue
        pieces.append((seg.id, seg.text, std, kept_pcm, measured))
    return pieces, bad


def _read(path: Path, columns: list[str] | None = None) -> pa.Table:
    """A whole parquet file; pq.ParquetFile, not pq.read_table, whose dataset layer imports
    pandas (~0.2 s of CPU in every job that reads one file)."""
    return pq.ParquetFile(path).read(columns=columns)


def plan_rows(path: Path, shard: int) -> list[dict[str, Any]]:
    """One shard's plan rows, streamed in batches: a job's memory does not grow with the plan."""
    out: list[dict[str, Any]] = []
    for batch in pq.ParquetFile(path).iter_batches(batch_size=65536):
        out += [r for r in batch.to_pylist() if r["shard"] == shard]
    return out


def standardize_shard(settings: Settings, shard: int, root: str | Path = ".") -> dict[str, int]:
    """Write shard tar + kept/rejected parts for one shard; returns counts for the log."""
    root = Path(root)
    job = _ShardJob(settings, shard, root)
    for n, it in enumerate(job.items(), 1):
        job.progress(n)
        c = stages.Candidate.of(it)
        row = stages.first_reject(settings, c, job.record)
        if row is not None:
            job.record.rejected.append(row)
        elif settings.needs("audio"):
            job.keep_audio(c)
        else:
            job.keep(c, None, None, dict(NO_AUDIO_QUALITY))
    job.drop_rate_outliers()
    counts = job.accounted()  # before anything is written: a failed check leaves no outputs
    job.write()
    return counts


class _ShardJob:
    """One shard's items on their way through the stages, and what the job writes."""

    def __init__(self, settings: Settings, shard: int, root: Path) -> None:
        self.settings, self.shard, self.root = settings, shard, root
        self.manifest = read_manifest(settings.dataset, root)
        self.revision = self.manifest["resolved_revision"]
        # Only this shard's plan rows: a job's memory must not grow with the dataset.
        self.planned = plan_rows(root / paths.plan(settings.dataset), shard)
        self.record = stages.Record()
        self.kept: list[dict[str, Any]] = []
        self.members: list[tuple[str, bytes | _Spooled, bytes]] = []
        # WAVs wait in a temp file (not in memory) until the tar is written in id order.
        self.spool = tempfile.TemporaryFile(prefix="foundry-shard-")
        self.gates = Gates(settings.quality)

    def items(self) -> Iterable[Any]:
        rows: dict[str, set[int]] = {}
        for p in self.planned:
            rows.setdefault(p["source_file"], set()).add(p["source_row"])
        s = self.settings
        return iter_items(
            s.dataset,
            s.columns,
            self.manifest,
            self.root,
            rows=rows,
            with_audio=s.needs("audio"),
            fields=s.fields,
        )

    def progress(self, n: int) -> None:
        if n % PROGRESS_EVERY == 0:
            log.info(
                "%s shard %d: %d/%d items (%d kept, %d rejected so far)",
                self.settings.dataset,
                self.shard,
                n,
                len(self.planned),
                len(self.kept),
                len(self.record.rejected),
            )

    def keep(self, c: stages.Candidate, std: Any, pcm: Any, measured: dict[str, Any]) -> None:
        row = _row(
            self.settings,
            c.it,
            self.shard,
            self.revision,
            c.norm,
            c.raw_text,
            c.label,
            std,
            pcm,
            measured,
        )
        self.kept.append(row)
        _spool_member(self.spool, self.members, row, audio.encode_wav(pcm) if std else b"")

    def keep_audio(self, c: stages.Candidate) -> None:
        """Decode, standardize and measure; a recording over max_duration is cut at its
        timestamps into utterances, each kept (or rejected) on its own."""
        s = self.settings
        try:
            std = audio.standardize(c.it.audio, s.checks)
            pcm, measured = self.gates.measure(std, c.norm if s.needs("text") else "")
        except (audio.AudioReject, quality.QualityReject) as exc:
            pieces, bad = None, []
            if exc.reason == "too_long":
                pieces, bad = long_recording(s, self.gates, c.it)
            if pieces is None:
                self.record.rejected.append(stages.reject_row(s, c.it, exc.reason, exc.detail))
                return
            for sid, seg_text, std, pcm, measured in pieces:
                seg_norm = text.normalize(seg_text) if seg_text else c.norm
                row = _row(
                    s,
                    c.it,
                    self.shard,
                    self.revision,
                    seg_norm,
                    seg_text or c.raw_text,
                    c.label,
                    std,
                    pcm,
                    measured,
                    sid,
                )
                self.kept.append(row)
                _spool_member(self.spool, self.members, row, audio.encode_wav(pcm))
            self.record.rejected += [
                stages.reject_row(s, c.it, r.reason, r.detail, sid) for sid, r in bad
            ]
            return
        self.keep(c, std, pcm, measured)

    def drop_rate_outliers(self) -> None:
        """Transcripts that cannot match their speech: another clip's, or truncated."""
        outliers = self.gates.rate_outliers(self.kept)
        if outliers:
            self.record.rejected += [outliers[r["id"]] for r in self.kept if r["id"] in outliers]
            self.kept = [r for r in self.kept if r["id"] not in outliers]
            self.members = [m for m in self.members if m[0] not in outliers]

    def write(self) -> None:
        ds, shard, root = self.settings.dataset, self.shard, self.root
        with self.spool:
            _write_tar(root / paths.shard_tar(ds, shard), self.members)
        self.kept.sort(key=lambda r: r["id"])
        self.record.rejected.sort(key=lambda r: r["id"])
        self.record.hashes.sort(key=lambda r: r["id"])
        for path, rows, schema in (
            (paths.shard_part(ds, shard), self.kept, MANIFEST_SCHEMA),
            (paths.shard_rejects(ds, shard), self.record.rejected, REJECT_SCHEMA),
            (paths.shard_hashes(ds, shard), self.record.hashes, HASH_SCHEMA),
        ):
            write_parquet(root / path, pa.Table.from_pylist(rows, schema))

    def accounted(self) -> dict[str, int]:
        """Every planned item is kept or rejected (a cut recording through its segments)."""
        kept, rejected = self.kept, self.record.rejected
        rows = kept + rejected
        covered = accounted([r["id"] for r in rows], [r["parent_id"] for r in rows])
        if covered != {p["id"] for p in self.planned}:
            raise AccountingError(
                f"dataset '{self.settings.dataset}' shard {self.shard}: planned "
                f"{len(self.planned)} items, kept {len(kept)}, rejected {len(rejected)}; the raw "
                "files changed since the plan? rerun the workflow"
            )
        return {"planned": len(self.planned), "kept": len(kept), "rejected": len(rejected)}


@dataclass(frozen=True)
class _Spooled:
    """A WAV parked in a shard's temp file: where it starts and how long it is."""

    spool: IO[bytes]
    offset: int
    size: int

    def __len__(self) -> int:
        return self.size

    def reader(self) -> IO[bytes]:
        self.spool.seek(self.offset)
        return self.spool


def _write_tar(path: Path, members: Iterable[tuple[str, bytes | _Spooled, bytes]]) -> None:
    with (
        atomic_write(path, "wb") as fh,
        tarfile.open(fileobj=fh, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for item_id, wav, meta in sorted(members, key=lambda m: m[0]):
            safe_member(item_id)
            if len(wav):
                body = wav.reader() if isinstance(wav, _Spooled) else io.BytesIO(wav)
                tar.addfile(_tarinfo(f"{item_id}.wav", len(wav)), body)
            tar.addfile(_tarinfo(f"{item_id}.json", len(meta)), io.BytesIO(meta))


def read_shard(path: str | Path, ids: set[str] | None = None) -> dict[str, dict[str, bytes]]:
    """Read members of a shard tar without extracting to disk: {id: {"wav": …, "json": …}}."""
    out: dict[str, dict[str, bytes]] = {}
    with tarfile.open(path, mode="r:") as tar:
        for member in tar:
            name = safe_member(member.name)
            if not member.isfile():
                raise ValueError(f"{path}: member {name!r} is not a regular file")
            stem, _, ext = name.rpartition(".")
            if ids is not None and stem not in ids:
                continue
            fh = tar.extractfile(member)
            assert fh is not None
            out.setdefault(stem, {})[ext] = fh.read()
    return out


def duplicates(hashes: pa.Table) -> dict[str, tuple[str, str, int]]:
    """{id: (keeper id, source_file, source_row)} for every item whose raw audio bytes another
    item with a smaller id also has (the keeper never depends on file or shard order)."""
    keeper: dict[str, str] = {}
    out: dict[str, tuple[str, str, int]] = {}
    for r in sorted(hashes.to_pylist(), key=lambda r: r["id"]):
        first = keeper.setdefault(r["raw_sha256"], r["id"])
        if first != r["id"]:
            out[r["id"]] = (first, r["source_file"], r["source_row"])
    return out


def _without(table: pa.Table, gone: set[str]) -> pa.Table:
    """Rows whose item (or whose recording, for a segment) is not in ``gone``."""
    if not gone or table.num_rows == 0:
        return table
    ids, parents = table["id"].to_pylist(), table["parent_id"].to_pylist()
    owners = [p or i for i, p in zip(ids, parents, strict=True)]
    return table.filter(pa.array([o not in gone for o in owners]))


def _language_gate(
    ds: str, shards: int, root: Path, manifest: pa.Table, lang: dict[str, Any]
) -> tuple[pa.Table, pa.Table]:
    """quality.language: each clip's detected language into the manifest, wrong_language rejects."""
    found = (
        pa.concat_tables([_read(root / paths.shard_language(ds, k)) for k in range(shards)])
        if shards
        else language.DETECTION_SCHEMA.empty_table()
    )
    try:
        manifest, rejected = language.apply(manifest, found, lang)
    except KeyError as exc:
        raise AccountingError(
            f"dataset '{ds}': item {exc.args[0]} has no language detection; "
            "rerun with --forcerun language_id"
        ) from None
    return manifest, pa.Table.from_pylist(rejected, REJECT_SCHEMA)


def merge(
    ds: str, shards: int, root: str | Path = ".", lang: dict[str, Any] | None = None
) -> dict[str, int]:
    """Concatenate shard parts, resolve duplicate audio across shards, apply the language gate
    (``lang``: quality.language, when it is on for this dataset), prove nothing was lost."""
    root = Path(root)
    kept = [_read(root / paths.shard_part(ds, k)) for k in range(shards)]
    rej = [_read(root / paths.shard_rejects(ds, k)) for k in range(shards)]
    hashes = [_read(root / paths.shard_hashes(ds, k)) for k in range(shards)]
    dups = duplicates(pa.concat_tables(hashes) if hashes else HASH_SCHEMA.empty_table())
    manifest = pa.concat_tables(kept) if kept else MANIFEST_SCHEMA.empty_table()
    rejects = pa.concat_tables(rej) if rej else REJECT_SCHEMA.empty_table()
    manifest = _without(manifest, set(dups)).sort_by("id")
    dup_rows = [
        {
            "id": i,
            "dataset": ds,
            "reason": "duplicate_audio",
            "detail": f"same audio bytes as {first}",
            "source_file": f,
            "source_row": r,
            "parent_id": "",
        }
        for i, (first, f, r) in sorted(dups.items())
    ]
    rejects = [_without(rejects, set(dups)), pa.Table.from_pylist(dup_rows, REJECT_SCHEMA)]
    wrong = REJECT_SCHEMA.empty_table()
    if lang is not None:
        manifest, wrong = _language_gate(ds, shards, root, manifest, lang)
    rejects = pa.concat_tables([*rejects, wrong]).sort_by("id")
    planned = set(_read(root / paths.plan(ds), ["id"]).column("id").to_pylist())
    seen = manifest.column("id").to_pylist() + rejects.column("id").to_pylist()
    parents = manifest.column("parent_id").to_pylist() + rejects.column("parent_id").to_pylist()
    covered = accounted(seen, parents)
    if len(seen) != len(set(seen)) or covered != planned:
        lost = sorted(planned - covered)[:5]
        raise AccountingError(
            f"dataset '{ds}': {len(planned)} planned items but {len(covered)} accounted for "
            f"(missing e.g. {lost}); rerun with --forcerun standardize"
        )
    write_parquet(root / paths.silver_manifest(ds), manifest)
    write_parquet(root / paths.silver_rejects(ds), rejects)
    return {
        "kept": manifest.num_rows,
        "rejected": rejects.num_rows,
        "duplicates": len(dups),
        "wrong_language": wrong.num_rows,
    }
