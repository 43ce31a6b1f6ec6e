"""The model registry as plain files under ``deploy/<engine>/``.

Why files: the serving process, the workflow and a person debugging at 3 a.m. all read the same
state, and every change is one atomic rename (``foundry.atomic``), so a reader never sees half of
it. Layout::

    deploy/<engine>/production.json           the champion (pointer swap = promotion)
    deploy/<engine>/history.jsonl             append-only events: register/promote/reject/rollback
    deploy/<engine>/shadow.json               the shadow in progress (absent when none)
    deploy/<engine>/decision.json             the latest decision (the workflow's marker)
    deploy/<engine>/candidates/<id>/adapter/  immutable copy of a trained adapter
    deploy/<engine>/candidates/<id>/candidate.json   its file hashes, source, training metrics
    deploy/<engine>/bases/<sha>/              content-addressed copy of the base model it needs
    deploy/<engine>/candidates/<id>/{validation,shadow,shadow_report,decision}.json

A candidate id is the first 12 hex digits of the sha256 over its adapter *and* base files, so
retraining (which may also rebuild the base) makes a new candidate and never mutates the folders
production points at. Bases are shared between candidates by content hash.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from foundry import atomic, integrity, paths
from foundry.errors import UserError

ID_LEN = 12


class RegistryError(RuntimeError, UserError):
    """Registry state is missing or inconsistent; the message says what to do."""


class TamperError(RegistryError):
    """A candidate's files do not match the hashes recorded when it was registered."""


@dataclass(frozen=True)
class Candidate:
    engine: str
    id: str
    sha256: str
    adapter: str  # relative to the project root
    files: dict[str, str] = field(default_factory=dict)
    source: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    base: str = ""  # relative to the project root; "" = the base recorded in the adapter
    base_files: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def now() -> str:
    """Registry events carry a UTC timestamp (they are events, not training data)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hash_tree(folder: str | Path) -> dict[str, str]:
    """sha256 of every regular file under ``folder``, keyed by sorted relative POSIX path."""
    root = Path(folder)
    if not root.is_dir():
        raise RegistryError(f"adapter folder {root} does not exist; train the engine first")
    out = integrity.tree_hashes(root, with_marker=True)  # candidate ids as before
    if not out:
        raise RegistryError(f"adapter folder {root} is empty; train the engine first")
    return out


def tree_digest(files: dict[str, str]) -> str:
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(f"{rel}\0{files[rel]}\n".encode())
    return h.hexdigest()


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def candidate_json(root: Path, engine: str, cid: str) -> Path:
    return Path(root) / paths.deploy_candidate(engine, cid) / "candidate.json"


def _copy_tree(src: Path, dst: Path, files: dict[str, str], what: str) -> None:
    """Copy ``files`` into ``dst`` atomically, checked against the hashes before the swap: a
    copy that does not match is thrown away, never left in the registry for the next deploy."""
    with atomic.atomic_dir(dst) as tmp:
        for rel in files:
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / rel, tmp / rel)
        if hash_tree(tmp) != files:
            raise TamperError(
                f"{what} {src} changed while it was being registered; wait for training to "
                "finish and run deploy again"
            )


def register(
    root: str | Path,
    engine: str,
    adapter_dir: str | Path,
    metrics: dict[str, Any] | None = None,
    base_dir: str | Path | None = None,
) -> Candidate:
    """Copy a trained adapter (and its base) into immutable registry folders (idempotent)."""
    root = Path(root)
    files = hash_tree(adapter_dir)
    base_files = hash_tree(base_dir) if base_dir else {}
    combined = {f"adapter/{k}": v for k, v in files.items()}
    combined.update({f"base/{k}": v for k, v in base_files.items()})
    digest = tree_digest(combined)
    cid = digest[:ID_LEN]
    if candidate_json(root, engine, cid).exists():
        return load_candidate(root, engine, cid)
    rel_base = ""
    if base_dir:
        rel_base = f"{paths.deploy_dir(engine)}/bases/{tree_digest(base_files)[:ID_LEN]}"
        if not (root / rel_base).is_dir() or hash_tree(root / rel_base) != base_files:
            # absent, or damaged since another candidate registered it: copied again
            _copy_tree(Path(base_dir), root / rel_base, base_files, f"{engine}: base model")
    rel_adapter = f"{paths.deploy_candidate(engine, cid)}/adapter"
    _copy_tree(Path(adapter_dir), root / rel_adapter, files, f"{engine}: adapter")
    cand = Candidate(
        engine,
        cid,
        digest,
        rel_adapter,
        files,
        str(adapter_dir),
        dict(metrics or {}),
        rel_base,
        base_files,
    )
    atomic.write_json(candidate_json(root, engine, cid), cand.to_json())
    append_history(root, engine, {"event": "register", "candidate": cid, "sha256": digest})
    return cand


def load_candidate(root: str | Path, engine: str, cid: str) -> Candidate:
    p = candidate_json(Path(root), engine, cid)
    if not p.exists():
        raise RegistryError(
            f"{engine}: candidate {cid} is not registered ({p} missing); "
            "run `snakemake deploy` to register the trained adapter"
        )
    return Candidate(**_read_json(p))


def _mismatches(folder: Path, recorded: dict[str, str]) -> list[str]:
    try:
        found = hash_tree(folder)
    except RegistryError as exc:
        return [str(exc)]
    problems = []
    for rel in sorted(set(recorded) | set(found)):
        want, got = recorded.get(rel), found.get(rel)
        if want != got:
            problems.append(
                f"{folder.name}/{rel}: recorded {want[:12] if want else 'absent'}, found "
                f"{got[:12] if got else 'absent'}"
            )
    return problems


def verify(root: str | Path, cand: Candidate) -> None:
    """Raise TamperError naming every file whose bytes differ from the registered hashes."""
    root = Path(root)
    problems = _mismatches(root / cand.adapter, cand.files)
    if cand.base:
        problems += _mismatches(root / cand.base, cand.base_files)
    if problems:
        raise TamperError(
            f"{cand.engine}: candidate {cand.id} ({cand.adapter}) does not match its recorded "
            f"hashes ({'; '.join(problems)}); it was modified after registration, so it is not "
            "deployable: retrain or re-register the adapter from models/"
        )


def base_path(root: str | Path, cand: Candidate) -> str | None:
    """The base folder to load the candidate with (None: the one recorded in the adapter)."""
    return str(Path(root) / cand.base) if cand.base else None


def production(root: str | Path, engine: str) -> dict[str, Any] | None:
    p = Path(root) / paths.deploy_production(engine)
    return _read_json(p) if p.exists() else None


def production_candidate(root: str | Path, engine: str) -> Candidate | None:
    prod = production(root, engine)
    return None if prod is None else load_candidate(root, engine, prod["candidate"])


def history(root: str | Path, engine: str) -> list[dict[str, Any]]:
    """The events in order (a torn last line from a crash is not one: atomic.read_lines)."""
    lines = atomic.read_lines(Path(root) / paths.deploy_history(engine))
    return [json.loads(line.decode("utf-8")) for line in lines]


def append_history(root: str | Path, engine: str, event: dict[str, Any]) -> None:
    """Append one event line (atomic.append_line): a deploy job and a `foundry rollback` at the
    same moment both keep their event (a read, then a rewrite of the whole file, lost one)."""
    line = json.dumps({"engine": engine, "time": now(), **event}, sort_keys=True)
    path = Path(root) / paths.deploy_history(engine)
    atomic.append_line(path, line.encode("utf-8") + b"\n", durable=True)


def _write_production(
    root: Path, cand: Candidate, event: str, reasons: list[str], metrics: dict[str, Any]
) -> dict[str, Any]:
    record = {
        "engine": cand.engine,
        "candidate": cand.id,
        "sha256": cand.sha256,
        "adapter": cand.adapter,
        "files": cand.files,
        "metrics": metrics,
        "event": event,
        "reasons": reasons,
        "time": now(),
    }
    atomic.write_json(root / paths.deploy_production(cand.engine), record)
    return record


def reconcile_history(root: str | Path, engine: str) -> None:
    """Make history.jsonl agree with production.json after a crash between the two writes.

    production.json is swapped first, then the event is appended; a process killed in between
    leaves a production the history does not name, and a rollback replaying that history would
    restore the wrong champion. The missing event is appended, marked as recorded late.
    """
    root = Path(root)
    prod = production(root, engine)
    stack = champion_stack(history(root, engine))
    if prod is None or (stack and stack[-1] == prod["candidate"]):
        return
    late = f"recorded late: production.json named {prod['candidate']}, history.jsonl did not"
    undone = prod.get("event") == "rollback" and len(stack) >= 2 and stack[-2] == prod["candidate"]
    append_history(
        root,
        engine,
        {
            "event": "rollback" if undone else "promote",
            "candidate": prod["candidate"],
            "sha256": prod["sha256"],
            "replaced": stack[-1] if stack else None,
            "reasons": [*prod.get("reasons", []), late],
        },
    )


def promote(
    root: str | Path, cand: Candidate, reasons: list[str], metrics: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Make ``cand`` the champion: verify its bytes, swap production.json, log the event."""
    root = Path(root)
    verify(root, cand)
    reconcile_history(root, cand.engine)
    before = production(root, cand.engine)
    record = _write_production(root, cand, "promote", reasons, dict(metrics or cand.metrics))
    append_history(
        root,
        cand.engine,
        {
            "event": "promote",
            "candidate": cand.id,
            "sha256": cand.sha256,
            "replaced": before["candidate"] if before else None,
            "reasons": reasons,
        },
    )
    return record


def reject(root: str | Path, engine: str, cid: str, reasons: list[str]) -> None:
    """Mark a candidate rejected; production is untouched."""
    root = Path(root)
    atomic.write_json(
        root / paths.deploy_candidate(engine, cid) / "rejected.json",
        {"engine": engine, "candidate": cid, "reasons": reasons},
    )
    append_history(root, engine, {"event": "reject", "candidate": cid, "reasons": reasons})


def champion_stack(events: list[dict[str, Any]]) -> list[str]:
    """Champions in order of promotion, replaying promote (push) and rollback (pop) events."""
    stack: list[str] = []
    for ev in events:
        if ev.get("event") == "promote":
            stack.append(ev["candidate"])
        elif ev.get("event") == "rollback" and stack:
            stack.pop()
    return stack


def rollback(root: str | Path, engine: str, reason: str = "manual rollback") -> dict[str, Any]:
    """Restore the champion that production replaced (from history), after checking its bytes."""
    root = Path(root)
    reconcile_history(root, engine)
    stack = champion_stack(history(root, engine))
    prod = production(root, engine)
    if prod is None or len(stack) < 2:
        raise RegistryError(
            f"{engine}: no previous champion in {paths.deploy_history(engine)} to roll back to "
            f"(champions so far: {', '.join(stack) or 'none'}); promote a candidate first"
        )
    current, previous = stack[-1], stack[-2]
    cand = load_candidate(root, engine, previous)
    verify(root, cand)
    record = _write_production(root, cand, "rollback", [reason], cand.metrics)
    append_history(
        root,
        engine,
        {
            "event": "rollback",
            "candidate": previous,
            "sha256": cand.sha256,
            "replaced": current,
            "reasons": [reason],
        },
    )
    return record
