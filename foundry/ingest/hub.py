"""Phase 1: fetch a dataset at a pinned revision into raw/<ds>/ and describe it in a manifest.

The manifest is written last and atomically, so its presence means the files beside it are
complete and verified. Transient network faults retry with backoff; permanent ones (gated,
missing, wrong revision) fail at once with a message saying what to do. The token comes from
HF_TOKEN via huggingface_hub and is never written or logged.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import os
import random
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from foundry import __version__, config, paths
from foundry.atomic import atomic_dir, sha256_file, write_json
from foundry.errors import UserError
from foundry.ingest import layouts

log = logging.getLogger("foundry.ingest.hub")
PARQUET_BRANCH = layouts.PARQUET_BRANCH
T = TypeVar("T")


_TOKEN_RE = re.compile(r"hf_[A-Za-z0-9]{8,}")


def redact(text: str) -> str:
    """Strip anything token-like (the HF_TOKEN value, ``hf_…`` strings) from a message."""
    token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")
    if token:
        text = text.replace(token, "<redacted>")
    return _TOKEN_RE.sub("hf_<redacted>", text)


class IngestError(RuntimeError, UserError):
    """A dataset could not be fetched; the message says what to do (never holds a token)."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))


class PermanentHubError(IngestError):
    """Retrying will not help (401/403/404, bad revision, gated repo)."""


class TransientHubError(IngestError):
    """Worth retrying (timeout, reset, 5xx, 429, truncated or corrupt download)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def tool_versions() -> dict[str, str]:
    import huggingface_hub
    import numpy
    import pyarrow
    import soundfile
    import soxr

    return {
        "foundry": __version__,
        "huggingface_hub": huggingface_hub.__version__,
        "numpy": numpy.__version__,
        "pyarrow": pyarrow.__version__,
        "soundfile": soundfile.__version__,
        "soxr": soxr.__version__,
    }


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def classify(exc: BaseException, ds: str, repo: str, revision: str) -> IngestError:
    """Turn a library/network exception into a permanent or transient error a person can act on."""
    from huggingface_hub import errors

    if isinstance(exc, IngestError):
        return exc
    status = _status(exc)
    if isinstance(exc, errors.OfflineModeIsEnabled):
        return PermanentHubError(
            f"dataset '{ds}': {repo}@{revision} is not available because Hugging Face offline "
            "mode is on (HF_HUB_OFFLINE=1). Unset HF_HUB_OFFLINE to download, or pin the "
            "revision to a commit sha that is already in the Hugging Face cache."
        )

    if isinstance(exc, errors.GatedRepoError):
        return PermanentHubError(
            f"dataset '{ds}': {repo} is gated and access was refused (HTTP {status}). Accept its "
            "terms on the Hub with your account, then export HF_TOKEN=<a read token> and rerun. "
            "Nothing was downloaded."
        )
    if isinstance(exc, errors.RevisionNotFoundError):
        return PermanentHubError(
            f"dataset '{ds}': revision '{revision}' does not exist in {repo}. Fix "
            f"datasets.{ds}.revision (a branch, tag or full commit sha) or run `foundry refresh`."
        )
    # The Hub answers 401 both for a missing repo and for a private one without a token.
    if isinstance(exc, errors.RepositoryNotFoundError | errors.RemoteEntryNotFoundError) or (
        status == 404
    ):
        return PermanentHubError(
            f"dataset '{ds}': {repo} (revision '{revision}') was not found on the Hub "
            f"(HTTP {status}). Check datasets.{ds}.hub for typos; if the repo is private or "
            "gated, export HF_TOKEN=<a read token> with access to it and rerun."
        )
    if status in (401, 403):
        return PermanentHubError(
            f"dataset '{ds}': access to {repo} was refused (HTTP {status}). Check that HF_TOKEN "
            "is set and valid and that your account may read this repo, then rerun. "
            "Nothing was downloaded."
        )
    retry_after = None
    response = getattr(exc, "response", None)
    if response is not None:
        value = response.headers.get("Retry-After") if hasattr(response, "headers") else None
        try:
            retry_after = float(value) if value is not None else None
        except ValueError:
            retry_after = None
    what = f"HTTP {status}" if status else type(exc).__name__
    return TransientHubError(
        f"dataset '{ds}': transient failure talking to the Hub for {repo} ({what}: {exc})",
        retry_after=retry_after,
    )


def with_retries(
    fn: Callable[[], T],
    *,
    what: Callable[[BaseException], IngestError],
    max_retries: int,
    backoff: float,
    max_backoff: float,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``fn``; retry transient failures with capped exponential backoff and jitter."""
    attempt = 0
    while True:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - classified just below
            err = what(exc)
            if isinstance(err, PermanentHubError) or attempt >= max_retries:
                if isinstance(err, TransientHubError):
                    raise TransientHubError(
                        f"{err} — gave up after {attempt + 1} attempts; rerun the workflow to "
                        "resume (finished files are kept in the Hugging Face cache)."
                    ) from exc
                raise err from exc
            delay = min(max_backoff, backoff * (2**attempt)) * (0.5 + random.random() / 2)
            if isinstance(err, TransientHubError) and err.retry_after is not None:
                delay = min(max(delay, err.retry_after), max_backoff)
            attempt += 1
            log.warning("%s; retry %d/%d in %.1fs", err, attempt, max_retries, delay)
            sleep(delay)


def _git_head(path: Path) -> str | None:
    if not (path / ".git").exists():
        return None
    out = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return out.stdout.strip() or None


def _tree(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    )


def _extra(names: list[str], spec: dict[str, Any]) -> list[str]:
    """Files named by ``extra_files`` globs (e.g. audio that a parquet refers to by path)."""
    pats = spec.get("extra_files") or []
    pats = [pats] if isinstance(pats, str) else pats
    return sorted(n for n in names if any(fnmatch.fnmatch(n, p) for p in pats))


def _readme(root: Path) -> str | None:
    p = root / "README.md"
    return p.read_text(encoding="utf-8", errors="replace") if p.is_file() else None


def local_layout(
    ds: str, spec: dict[str, Any], cache: str | None = None
) -> tuple[layouts.Layout, list[str]]:
    """Layout of a local Hub-layout folder and every file ingest takes (relative, sorted).
    ``cache``: where `datasets`' file selection is remembered (paths.layout_cache())."""
    root = Path(spec["path"])
    if not root.is_dir():
        raise IngestError(
            f"dataset '{ds}': local folder {root} (config datasets.{ds}.path) does not exist; "
            "fix the path or use hub: <org/name>"
        )
    names = _tree(root)
    try:
        lay = layouts.resolve(
            ds,
            names,
            _readme(root),
            spec.get("config"),
            spec.get("data_files"),
            cache=cache,
        )
    except layouts.LayoutError as exc:
        raise IngestError(str(exc)) from None
    files = sorted(set(lay.files) | set(_extra(names, spec)) | ({"README.md"} & set(names)))
    return lay, files


def local_files(ds: str, spec: dict[str, Any], cache: str | None = None) -> list[str]:
    """Files of a local dataset that ingest takes (the rule's inputs: an edit reruns it)."""
    return local_layout(ds, spec, cache)[1]


def _describe(
    root: Path, files: list[str], known: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Path, size and sha256 per file; ``known`` hashes (checked at download) are not redone."""
    known = known or {}
    return [
        {
            "path": f,
            "size": (root / f).stat().st_size,
            "sha256": known.get(f) or sha256_file(root / f),
        }
        for f in files
    ]


def _tree_hash(entries: list[dict[str, Any]]) -> str:
    h = hashlib.sha256()
    for e in entries:
        h.update(f"{e['path']}\0{e['sha256']}\n".encode())
    return h.hexdigest()


def ingest_local(
    ds: str, spec: dict[str, Any], out_dir: str | Path, cache: str | None = None
) -> dict[str, Any]:
    """Link a local Hub-layout folder's selected files into raw/<ds>/files; return the manifest.

    Hard links where the folder shares raw/'s filesystem (else copies): ingest then costs one hash
    of each file, and raw/ does not double the dataset on disk. raw/ therefore shows the folder as
    it is now; the manifest pins each file's sha256. A file edited in place changes under raw/
    too: the edit is newer than the manifest, so the next run re-ingests the dataset (the files
    are the rule's inputs), and `foundry validate` names the file until then.
    """
    src = Path(spec["path"])
    lay, files = local_layout(ds, spec, cache)
    for f in layouts.record_files(lay):
        _check_record_file(ds, src / f)
    target = Path(out_dir) / "files"
    with atomic_dir(target) as tmp:
        for f in files:
            (tmp / f).parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(src / f, tmp / f)
    entries = _describe(target, files)
    head = _git_head(src)
    return {
        "dataset": ds,
        "source": {"type": "path", "path": str(spec["path"]), "via": "local"},
        "requested_revision": "local",
        "resolved_revision": head or "tree-" + _tree_hash(entries),
        "layout": lay.to_json(),
        "files": entries,
        "tools": tool_versions(),
    }


def resolve_revision(
    repo: str, revision: str, *, ds: str = "?", timeout: float | None = None
) -> tuple[str, list[Any]]:
    """Ask the Hub which commit ``revision`` points at; returns (sha, siblings with metadata)."""
    from huggingface_hub import HfApi

    if timeout is None:
        timeout = float(transport(None)["timeout_seconds"])
    info = HfApi().dataset_info(repo, revision=revision, timeout=timeout, files_metadata=True)
    if not info.sha:
        raise TransientHubError(
            f"dataset '{ds}': the Hub returned no commit sha for {repo}@{revision}"
        )
    return info.sha, list(info.siblings or [])


SHA_RE = re.compile(r"^[0-9a-f]{40}$")


def is_commit_sha(revision: str) -> bool:
    """A full commit sha never moves, so it is used as is (no Hub round trip to resolve it)."""
    return bool(SHA_RE.match(revision))


def transport(hub_cfg: dict[str, Any] | None) -> dict[str, Any]:
    """Config ``hub:`` over the schema's defaults (a caller may pass only what it changes)."""
    return {**config.defaults("hub"), **(hub_cfg or {})}


def retry_settings(hub_cfg: dict[str, Any]) -> dict[str, float]:
    t = transport(hub_cfg)
    return {
        "max_retries": int(t["max_retries"]),
        "backoff": float(t["backoff_seconds"]),
        "max_backoff": float(t["max_backoff_seconds"]),
    }


def _hub_readme(repo: str, sha: str, names: list[str], timeout: float) -> str | None:
    """The dataset card at ``sha`` (its ``configs:`` list decides which files are data)."""
    if "README.md" not in names:
        return None
    from huggingface_hub import hf_hub_download

    path = hf_hub_download(
        repo, "README.md", repo_type="dataset", revision=sha, etag_timeout=timeout
    )
    return Path(path).read_text(encoding="utf-8", errors="replace")


def resolve_data_revision(
    ds: str, spec: dict[str, Any], hub_cfg: dict[str, Any], revision: str | None = None
) -> tuple[str, str, list[Any], layouts.Layout]:
    """Which commit holds this dataset's data and which files: (sha, branch, siblings, layout).

    Files and splits are chosen as `datasets` chooses them (card ``configs:``, default split
    patterns). A repo with nothing readable on its branch (a loading script, an unknown format)
    is read from the Hub's parquet conversion (``refs/convert/parquet``) instead; its code never
    runs. A ``partial-*`` conversion is recorded in the layout.
    """
    repo, requested = spec["hub"], revision or spec["revision"]
    retry = retry_settings(hub_cfg)
    timeout = float(transport(hub_cfg)["timeout_seconds"])

    def at(rev: str) -> tuple[str, list[Any], list[str], str | None]:
        sha, siblings = with_retries(
            lambda: resolve_revision(repo, rev, ds=ds, timeout=timeout),
            what=lambda exc: classify(exc, ds, repo, rev),
            **retry,
        )
        names = sorted(s.rfilename for s in siblings)
        readme = with_retries(
            lambda: _hub_readme(repo, sha, names, timeout),
            what=lambda exc: classify(exc, ds, repo, rev),
            **retry,
        )
        return sha, siblings, names, readme

    sha, siblings, names, readme = at(requested)
    try:
        lay = layouts.resolve(ds, names, readme, spec.get("config"), spec.get("data_files"))
        return sha, requested, siblings, lay
    except layouts.LayoutError as exc:
        first = str(exc)
    if spec.get("data_files") is not None:
        raise PermanentHubError(first)
    log.info("%s: %s; reading %s", ds, first, PARQUET_BRANCH)
    try:
        sha, siblings, names, _ = at(PARQUET_BRANCH)
    except PermanentHubError as exc:
        raise PermanentHubError(
            f"{first} The Hub has no parquet conversion of {repo} either ({exc})."
        ) from None
    try:
        lay = layouts.parquet_branch_layout(ds, names, spec.get("config"))
    except layouts.LayoutError as exc:
        raise PermanentHubError(f"{first} {exc}") from None
    if lay.options.get("partial"):
        log.warning(
            "%s: the Hub converted only part of %s (%s): the data is a subset",
            ds,
            repo,
            ", ".join(lay.options["partial"]),
        )
    return sha, PARQUET_BRANCH, siblings, lay


def _check_record_file(ds: str, p: Path) -> None:
    """A file whose rows are items must hold something readable, or the whole dataset stops
    later in plan with an error naming no file: say which file, now."""
    fix = f"replace it, or leave it out with datasets.{ds}.data_files"
    if p.stat().st_size == 0:
        raise IngestError(f"dataset '{ds}': {p} is empty (0 bytes); {fix}")
    if p.name.lower().endswith(".parquet"):
        try:
            _check_parquet(p)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for bad files
            raise IngestError(
                f"dataset '{ds}': {p} is not a readable parquet file ({exc}); {fix}"
            ) from None


def _check_parquet(p: Path) -> None:
    """A parquet file must at least open (footer + schema): catches truncated downloads."""
    import pyarrow.parquet as pq

    pq.ParquetFile(p).close()


def ingest_hub(
    ds: str, spec: dict[str, Any], out_dir: str | Path, hub_cfg: dict[str, Any]
) -> dict[str, Any]:
    """Download ``spec['hub']`` at its pinned revision, verify every file, return the manifest."""
    from huggingface_hub import constants, snapshot_download

    repo, requested = spec["hub"], spec["revision"]
    retry = retry_settings(hub_cfg)
    timeout = float(transport(hub_cfg)["timeout_seconds"])
    # Read at call time by huggingface_hub: a stalled body fails after `timeout`, then retries.
    constants.HF_HUB_DOWNLOAD_TIMEOUT = timeout

    def classify_here(exc: BaseException) -> IngestError:
        return classify(exc, ds, repo, requested)

    sha, via, siblings, lay = resolve_data_revision(ds, spec, hub_cfg)
    names = sorted(s.rfilename for s in siblings)
    extra = {"README.md"} & set(names) if via != PARQUET_BRANCH else set()
    files = sorted(set(lay.files) | set(_extra(names, spec)) | extra)
    expected = {}
    verified: dict[str, str] = {}  # sha256 of files checked at download (hashed once)
    for s in siblings:
        lfs = getattr(s, "lfs", None)
        if s.rfilename in files and lfs is not None:
            expected[s.rfilename] = (getattr(lfs, "sha256", None), getattr(lfs, "size", None))

    def download() -> Path:
        snap = Path(
            snapshot_download(
                repo,
                repo_type="dataset",
                revision=sha,
                allow_patterns=files,
                etag_timeout=timeout,
                max_workers=4,
            )
        )
        for f in files:
            _check_downloaded(ds, repo, sha, snap / f, f, expected.get(f, (None, None)), verified)
        return snap

    snap = with_retries(download, what=classify_here, **retry)
    target = Path(out_dir) / "files"
    with atomic_dir(target) as tmp:
        for f in files:
            (tmp / f).parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(snap / f, tmp / f)
    return {
        "dataset": ds,
        "source": {"type": "hub", "repo": repo, "via": via},
        "requested_revision": requested,
        "resolved_revision": sha,
        "layout": lay.to_json(),
        "files": _describe(target, files, verified),
        "tools": tool_versions(),
    }


def _check_downloaded(
    ds: str,
    repo: str,
    sha: str,
    p: Path,
    f: str,
    want: tuple[str | None, int | None],
    verified: dict[str, str],
) -> None:
    """One downloaded file: present, the size and sha256 the Hub lists, a readable parquet.
    A bad one is evicted from the cache and raises TransientHubError, so the retry refetches."""
    if not p.is_file():
        raise TransientHubError(f"dataset '{ds}': {f} missing after download of {repo}@{sha}")
    want_sha, want_size = want
    if want_size is not None and p.stat().st_size != want_size:
        _evict(p)
        raise TransientHubError(
            f"dataset '{ds}': {f} is {p.stat().st_size} bytes, the Hub says {want_size}"
        )
    if want_sha:
        got = verified[f] = sha256_file(p)
        if got != want_sha:
            _evict(p)
            raise TransientHubError(f"dataset '{ds}': {f} failed its sha256 check; refetching")
    if f.endswith(".parquet"):
        try:
            _check_parquet(p)
        except Exception as exc:  # noqa: BLE001 - any read failure = corrupt download
            _evict(p)
            raise TransientHubError(
                f"dataset '{ds}': {f} from {repo}@{sha} is not a readable parquet file "
                f"({exc}); refetching"
            ) from exc


def _link_or_copy(cached: Path, dest: Path) -> None:
    """raw/ shares the file (a Hugging Face cache blob, or a local dataset's file) by a hard link
    where both live on one filesystem, so a 70 GB dataset does not need 140 GB; else a copy."""
    try:
        os.link(cached.resolve(), dest)
    except OSError:
        shutil.copyfile(cached, dest)


def _evict(p: Path) -> None:
    """Drop a corrupt cached file (and its blob) so the next attempt downloads it again."""
    real = p.resolve()
    for q in (p, real):
        try:
            os.unlink(q)
        except FileNotFoundError:
            pass


def ingest(
    ds: str, spec: dict[str, Any], hub_cfg: dict[str, Any], revision: str | None = None
) -> Path:
    """Run phase 1 for one dataset; the manifest appears only after everything is verified."""
    out_dir = Path(paths.raw_dir(ds))
    if "path" in spec:
        manifest = ingest_local(ds, spec, out_dir, cache=paths.layout_cache())
    else:
        spec = dict(spec)
        if revision:
            spec["revision"] = revision
        manifest = ingest_hub(ds, spec, out_dir, hub_cfg)
    target = Path(paths.raw_manifest(ds))
    write_json(target, manifest)
    return target
