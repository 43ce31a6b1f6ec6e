"""`foundry refresh`: ask the Hub which commit each dataset's tracked branch is at now, and pin it.

The lock file (``config/hub.lock.json`` by default) is what the workflow downloads: the ingest
rule passes the locked sha as the revision, so a build never moves by itself, and a refresh that
finds a new commit changes exactly that dataset's ingest params — Snakemake then rebuilds that
dataset and the engines it feeds, nothing else. Commit the lock file to make builds repeatable.

The file is canonical JSON (sorted keys), rewritten only when some commit changed, so identical
content is identical bytes. A dataset pinned to a full commit sha in the config is recorded
without asking the Hub and never moves.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foundry.atomic import dumps_json, write_text
from foundry.ingest import hub

log = logging.getLogger("foundry.ingest.refresh")


@dataclass(frozen=True)
class Change:
    """One dataset whose pinned commit moved (``old`` is None for a new entry)."""

    dataset: str
    old: str | None
    new: str

    def __str__(self) -> str:
        was = self.old[:12] if self.old else "unpinned"
        return f"{self.dataset}: {was} -> {self.new[:12]}"


def read_lock(path: str | Path) -> dict[str, dict[str, str]]:
    """Entries of a lock file; {} when there is none yet."""
    p = Path(path)
    if not p.exists():
        return {}
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise hub.IngestError(
            f"lock file {p} is not valid JSON ({exc}); delete it and run `foundry refresh`"
        ) from None
    return dict(data.get("datasets", {}))


def lock_entry(ds: str, spec: dict[str, Any], hub_cfg: dict[str, Any]) -> dict[str, str]:
    """The pin for one Hub dataset: repo, requested revision, resolved sha, branch read."""
    requested = spec["revision"]
    if hub.is_commit_sha(requested):
        return {"repo": spec["hub"], "requested": requested, "sha": requested, "via": requested}
    sha, via, _, _ = hub.resolve_data_revision(ds, spec, hub_cfg)
    return {"repo": spec["hub"], "requested": requested, "sha": sha, "via": via}


def refresh(
    cfg: dict[str, Any], lock_path: str | Path, only: list[str] | None = None
) -> list[Change]:
    """Re-resolve every Hub dataset (or ``only`` these) and rewrite the lock file if needed.

    Entries of datasets no longer in the config are dropped; local ``path:`` datasets are not
    locked (their files are inputs, so an edit already reruns them).
    """
    old = read_lock(lock_path)
    hub_datasets = sorted(d for d, s in cfg["datasets"].items() if "hub" in s)
    unknown = sorted(set(only or []) - set(cfg["datasets"]))
    if unknown:
        raise hub.IngestError(
            f"refresh: dataset(s) {unknown} are not in config 'datasets:' "
            f"(Hub datasets: {', '.join(hub_datasets) or 'none'})"
        )
    new: dict[str, dict[str, str]] = {}
    changes: list[Change] = []
    for ds in hub_datasets:
        prev = old.get(ds)
        if only and ds not in only and prev is not None:
            new[ds] = prev
            continue
        entry = lock_entry(ds, cfg["datasets"][ds], cfg["hub"])
        if prev == entry:
            new[ds] = prev
            continue
        new[ds] = entry
        if prev is None or prev.get("sha") != entry["sha"]:
            changes.append(Change(ds, prev.get("sha") if prev else None, entry["sha"]))
    text = dumps_json({"datasets": new})
    p = Path(lock_path)
    if not p.exists() or p.read_text(encoding="utf-8") != text:
        write_text(p, text)
        log.info("wrote %s", p)
    return changes


def summary(lock_path: str | Path, changes: list[Change], created: bool) -> str:
    """One line saying what a refresh did to the lock file, so "up to date" is never a guess."""
    pinned = len(read_lock(lock_path))
    if created:
        what = f"{pinned} Hub dataset(s) pinned" if pinned else "no Hub datasets in the config"
        return f"{lock_path}: created ({what})"
    if changes:
        return f"{lock_path}: {len(changes)} of {pinned} Hub dataset(s) moved, lock file rewritten"
    return f"{lock_path}: up to date ({pinned} Hub dataset(s) pinned, none moved; file unchanged)"
