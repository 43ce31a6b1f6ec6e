"""Damage never travels: a step checks what it reads against what the step that wrote it recorded.

Every layer records the size and sha256 of what it writes (raw/<ds>/manifest.json, the silver
manifest's audio_sha256 per clip, splits/<engine>/checksums.json, the base model's foundry.json,
the ``artifacts`` of models/<engine>/metrics.json, the registry's candidate.json). The step that
reads such a file checks it first; a mismatch raises :class:`DamagedInput`, one sentence naming
the file (and item), what differs, and the command that rebuilds it from upstream, so the job
fails and nothing downstream runs on the damaged bytes. ``foundry validate`` reports the same
findings without failing on the first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from foundry.atomic import TMP_PREFIX, sha256_file
from foundry.errors import UserError

Record = dict[str, Any]  # {"sha256": …, "size": …}


class DamagedInput(UserError):
    """An input differs from what its producing step recorded: the reading step stops here."""


def rebuild(target: str, what: str = "rebuild it", upto: str = "gold/") -> str:
    """Force the job that writes ``target``, then everything downstream of it up to ``upto``."""
    return f"{what}: `snakemake --cores 1 --forcerun {target} -- {upto}`"


def file_record(path: str | Path) -> Record:
    p = Path(path)
    return {"sha256": sha256_file(p), "size": p.stat().st_size}


def files_record(folder: str | Path, names: list[str]) -> dict[str, Record]:
    """{name: {"sha256", "size"}} for files of one folder, sorted by name."""
    return {name: file_record(Path(folder) / name) for name in sorted(names)}


# Snakemake's own mark in a directory output, written after the step recorded its files.
SNAKEMAKE_MARKER = ".snakemake_timestamp"


def tree_hashes(folder: str | Path, with_marker: bool = False) -> dict[str, str]:
    """sha256 of each file under ``folder`` by relative POSIX path; temp files and (unless
    ``with_marker``) Snakemake's timestamp file are not part of what a step wrote."""
    root = Path(folder)
    skip = () if with_marker else (SNAKEMAKE_MARKER,)
    return {
        p.relative_to(root).as_posix(): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(TMP_PREFIX) and p.name not in skip
    }


def record_finding(got: Record, want: Record) -> str | None:
    """What differs between two records of one file (None: the same bytes)."""
    if got["size"] != want["size"]:
        return f"{got['size']} bytes where {want['size']} were written"
    if got["sha256"] != want["sha256"]:
        return "content differs (same size, other sha256)"
    return None


def file_finding(path: Path, want: Record) -> str | None:
    """What differs between a file and its record (None: it is exactly what was written)."""
    try:
        if not path.is_file():
            return "missing"
        if (size := path.stat().st_size) != want["size"]:  # no hashing for a cut file
            return record_finding({"size": size, "sha256": ""}, want)
        return record_finding(file_record(path), want)
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"


def require_record(value: Any, recorded_in: str, what: str, fix: str) -> dict[str, Any]:
    """A step's record of its files, or DamagedInput when its producer wrote none."""
    if not isinstance(value, dict):
        raise DamagedInput(
            f"{recorded_in} records no {what} hashes (written by an older version), so they "
            f"cannot be checked: {fix}"
        )
    return value


def tree_findings(
    folder: Path, recorded: dict[str, str], ignore: tuple[str, ...] = ()
) -> list[tuple[str, str]]:
    """(file, what) for each file of a folder whose sha256 differs from ``recorded`` (missing and
    extra ones too); ``ignore`` names files that hold the record themselves."""
    found = tree_hashes(folder) if folder.is_dir() else {}
    for rel in ignore:
        found.pop(rel, None)
    out = []
    for rel in sorted(set(recorded) | set(found)):
        want, got = recorded.get(rel), found.get(rel)
        if want != got:
            what = "missing" if got is None else "not recorded" if want is None else "changed"
            out.append((rel, what))
    return out


def damaged(file: str, finding: str, recorded_in: str, fix: str, item: str | None = None) -> str:
    """The one sentence of a damaged input (used by the steps and by validate)."""
    where = f"{file} item {item}" if item else file
    return (
        f"{where}: {finding}, unlike what {recorded_in} recorded when it was written; "
        f"nothing was built from it: {fix}"
    )


def require_files(
    root: str | Path, folder: str, record: dict[str, Record], recorded_in: str, fix: str
) -> None:
    """Raise DamagedInput on the first file of ``folder`` that differs from its record."""
    for name, want in sorted(record.items()):
        rel = f"{folder}/{name}"
        if finding := file_finding(Path(root) / rel, want):
            raise DamagedInput(damaged(rel, finding, recorded_in, fix))


def require_tree(
    folder: Path,
    rel: str,
    recorded: dict[str, str],
    recorded_in: str,
    fix: str,
    ignore: tuple[str, ...] = (),
) -> None:
    """Raise DamagedInput unless every file under ``folder`` is what ``recorded`` says."""
    if findings := tree_findings(folder, recorded, ignore):
        what = "; ".join(f"{name} {finding}" for name, finding in findings)
        raise DamagedInput(damaged(rel, what, recorded_in, fix))
