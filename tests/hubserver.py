"""A real Hugging Face Hub API on 127.0.0.1 for tests: local git repos served by olah (offline).

Repos live as ordinary git repositories under ``<root>/mirrors/datasets/<org>/<name>``; olah
answers the Hub API (``dataset_info``, tree listings, ``resolve`` downloads) from them, so the
project's real ``huggingface_hub`` code path runs end to end. A ``FaultProxy`` sits in front (no
faults by default) to work around one olah routing quirk, see ``faultproxy.PARQUET_ALIAS``.

``huggingface_hub`` reads HF_ENDPOINT/HF_HOME at import time, so ingestion must run in a child
process (a snakemake run or ``python -m``) with ``server.env(...)`` applied.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from faultproxy import PARQUET_ALIAS, FaultProxy
from workflow import tree_bytes  # noqa: F401 - re-exported for the hub tests

GIT_ENV = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
README = "---\nconfigs:\n- config_name: default\n  data_files: {pattern}\n---\ntest dataset\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    """Poll until something accepts connections on 127.0.0.1:port (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"test hub server exited early with code {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


class HubServer:
    """olah over local git repos + a fault-free front proxy; see module docstring."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.mirrors = self.root / "mirrors"
        self.proc: subprocess.Popen | None = None
        self.front: FaultProxy | None = None
        self.olah_port = _free_port()
        self.olah_url = f"http://127.0.0.1:{self.olah_port}"

    # -- repositories ---------------------------------------------------------------------------
    def repo_dir(self, repo_id: str) -> Path:
        return self.mirrors / "datasets" / repo_id

    def _git(self, repo_id: str, *args: str) -> str:
        out = subprocess.run(
            ["git", "-C", str(self.repo_dir(repo_id)), *args],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **GIT_ENV},
            timeout=60,
        )
        return out.stdout.strip()

    def commit(
        self,
        repo_id: str,
        files: dict[str, bytes | str],
        message: str = "update",
        branch: str = "main",
        replace: bool = False,
    ) -> str:
        """Write ``files`` into ``branch`` of the repo (created if new) and return the commit."""
        d = self.repo_dir(repo_id)
        if not (d / ".git").exists():
            d.mkdir(parents=True, exist_ok=True)
            self._git(repo_id, "init", "-q", "-b", "main")
        elif self._git(repo_id, "branch", "--show-current") != branch:
            have = self._git(repo_id, "branch", "--list", branch)
            self._git(repo_id, "checkout", "-q", *([] if have else ["--orphan"]), branch)
        if replace:
            for p in d.iterdir():
                if p.name != ".git":
                    shutil.rmtree(p) if p.is_dir() else p.unlink()
        for rel, data in files.items():
            p = d / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data.encode() if isinstance(data, str) else data)
        self._git(repo_id, "add", "-A")
        self._git(repo_id, "commit", "-q", "--allow-empty", "-m", message)
        sha = self._git(repo_id, "rev-parse", "HEAD")
        if branch != "main":
            self._git(repo_id, "checkout", "-q", "main")
        return sha

    def add_dataset(
        self, repo_id: str, data: dict[str, bytes], pattern: str = "data/*.parquet"
    ) -> str:
        """A Hub-layout dataset repo: README with a ``configs:`` header + parquet files."""
        return self.commit(repo_id, {"README.md": README.format(pattern=pattern), **data}, "init")

    def add_script_dataset(self, repo_id: str, data: dict[str, bytes]) -> tuple[str, str]:
        """A repo whose main branch holds only a loading script; the data sits on the Hub's
        ``refs/convert/parquet`` branch (returns (main sha, parquet sha))."""
        main = self.commit(
            repo_id,
            {"README.md": "script dataset\n", repo_id.split("/")[-1] + ".py": "# loader\n"},
            "init",
        )
        pq_sha = self.commit(
            repo_id, data, "parquet conversion", branch=PARQUET_ALIAS, replace=True
        )
        self._git(repo_id, "update-ref", "refs/convert/parquet", pq_sha)
        return main, pq_sha

    def head(self, repo_id: str, branch: str = "main") -> str:
        return self._git(repo_id, "rev-parse", branch)

    # -- server ---------------------------------------------------------------------------------
    def start(self) -> HubServer:
        (self.root / "repos").mkdir(parents=True, exist_ok=True)
        (self.mirrors / "datasets").mkdir(parents=True, exist_ok=True)
        toml = self.root / "olah.toml"
        toml.write_text(
            "[basic]\n"
            'host = "127.0.0.1"\n'
            f"port = {self.olah_port}\n"
            f'mirror-netloc = "127.0.0.1:{self.olah_port}"\n'
            f'mirror-lfs-netloc = "127.0.0.1:{self.olah_port}"\n'
            f'mirrors-path = ["{self.mirrors}"]\n'
            f'repos-path = "{self.root / "repos"}"\n'
            "[accessibility]\n"
            "offline = true\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
        log = open(self.root / "olah.log", "wb")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "olah.server", "-c", str(toml)],
            cwd=self.root,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        wait_for_port(self.olah_port, 60, self.proc)
        self.front = FaultProxy(self.olah_url).__enter__()
        return self

    def stop(self) -> None:
        if self.front:
            self.front.close()
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if getattr(self, "_log", None):
            self._log.close()

    @property
    def url(self) -> str:
        assert self.front is not None, "call start() first"
        return self.front.url

    def env(self, hf_home: Path, endpoint: str | None = None, **extra: str) -> dict[str, str]:
        """Environment for a child process that should talk to this server (and nothing else)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
        env.update(
            HF_ENDPOINT=endpoint or self.url,
            HF_HOME=str(hf_home),
            HF_HUB_DISABLE_XET="1",
            HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_DISABLE_PROGRESS_BARS="1",
            HF_HUB_ETAG_TIMEOUT="10",
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
        )
        env.update(extra)
        return env


@contextlib.contextmanager
def running(root: Path) -> Iterator[HubServer]:
    server = HubServer(root).start()
    try:
        yield server
    finally:
        server.stop()


# -- helpers for workflow tests against the server ------------------------------------------------
FAST_HUB = {
    "max_retries": 6,
    "backoff_seconds": 0.05,
    "max_backoff_seconds": 1.0,
    "timeout_seconds": 3,
}


def parquet_bytes(rows: list[dict[str, object]]) -> bytes:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), buf)
    return buf.getvalue()


def hub_project(tmp: Path, datasets: dict[str, dict], **overrides: object) -> Path:
    """A runnable project copy whose datasets come from the test Hub (fast retry settings)."""
    from factory import make_project

    overrides.setdefault("hub", dict(FAST_HUB))
    overrides.setdefault("default_shards", 1)
    tmp.mkdir(parents=True, exist_ok=True)
    return make_project(tmp, datasets, **overrides)


def run_snakemake(
    cwd: Path, *args: str, env: dict[str, str], timeout: float = 300, check: bool = True
) -> subprocess.CompletedProcess:
    t0 = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    print(f"snakemake {' '.join(args)}: {time.monotonic() - t0:.1f}s")
    if check and run.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed ({run.returncode}):\n"
            f"{run.stdout[-3000:]}\n{run.stderr[-5000:]}"
        )
    return run


def planned_jobs(cwd: Path, *targets: str, env: dict[str, str]) -> list[tuple[str, str]]:
    """Sorted (rule, wildcards) of the jobs a dry run would execute."""
    import re

    run = run_snakemake(cwd, "-n", *targets, env=env, timeout=120)
    out = run.stdout + run.stderr
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", out):
        m = re.match(r"(?:local)?rule (\w+):", block.strip())
        if not m:
            continue
        w = re.search(r"^\s*wildcards: (.*)$", block, re.M)
        jobs.append((m.group(1), w.group(1).strip() if w else ""))
    return sorted(jobs)
