"""Crash recovery: SIGKILL the whole workflow (process group) while standardization is running;
the documented resume (`snakemake --unlock`, then the same command again; the default profile has
rerun-incomplete) finishes with outputs byte-identical to a clean run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from factory import make_project, speech_rows, write_dataset
from hubserver import run_snakemake, tree_bytes

pytestmark = pytest.mark.slow

OUTPUTS = ("raw/**/*", "silver/**/*", "splits/**/*", "gold/**/*")


def _project(tmp: Path) -> Path:
    tmp.mkdir(parents=True)
    spec = {
        "path": "upstream/speech",
        "columns": {"audio": "audio", "text": "sentence", "speaker": "spk"},
        "engines": ["stt"],
        "license": "cc0-1.0",
        "shards": 3,
    }
    project = make_project(tmp, {"speech": spec})
    write_dataset(project / "upstream/speech", speech_rows(n=18, sr=44100, seconds=1.5))
    return project


def _wait_for(cond, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    """Poll a filesystem marker (bounded); fail if the workflow ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        assert proc.poll() is None, "the workflow finished before the crash point was reached"
        time.sleep(0.01)
    raise TimeoutError("crash marker never appeared")


def _durable(root: Path) -> dict[str, bytes]:
    files = tree_bytes(root, *OUTPUTS)
    return {p: b for p, b in files.items() if "/.tmp-" not in "/" + p}


def test_sigkill_mid_standardize_then_resume_is_byte_identical(tmp_path):
    clean = _project(tmp_path / "clean")
    run_snakemake(clean, "--cores", "1", "gold", env=dict(os.environ), timeout=400)
    want = _durable(clean)
    assert any(p.startswith("gold/stt/") for p in want)

    crashed = _project(tmp_path / "crashed")
    proc = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "1", "gold"],
        cwd=crashed,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: we kill all of it at once
    )
    try:
        # Crash point: shard 0 is complete and the job for shard 1 has started (its log exists)
        # but has not produced its outputs yet.
        shards = crashed / "silver/speech/shards"
        _wait_for(
            lambda: (
                (shards / "shard-00000.tar").exists()
                and (crashed / "logs/standardize/speech-00001.log").exists()
            ),
            proc,
        )
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    assert not (crashed / "silver/speech/manifest.parquet").exists()
    assert not (crashed / "gold").exists()

    # Documented resume: unlock (the killed run left its lock), then the same command again.
    locked = run_snakemake(crashed, "--cores", "1", "gold", env=dict(os.environ), check=False)
    assert locked.returncode != 0 and "lock" in (locked.stdout + locked.stderr).lower()
    run_snakemake(crashed, "--unlock", env=dict(os.environ))
    run_snakemake(crashed, "--cores", "1", "gold", env=dict(os.environ), timeout=400)

    got = _durable(crashed)
    assert sorted(got) == sorted(want)
    assert got == want


def test_sigkill_mid_hub_download_then_resume_is_byte_identical(hub_server, tmp_path):
    """Crash point made deterministic by the fault proxy: the parquet download is stalled, and the
    workflow is killed while that request is in flight (a half-written file sits in the cache)."""
    from factory import text_rows
    from faultproxy import Fault, FaultProxy
    from hubserver import hub_project, parquet_bytes

    hub_server.add_dataset(
        "crash/dl",
        {
            "data/train-00000.parquet": parquet_bytes(text_rows(24)[:12]),
            "data/train-00001.parquet": parquet_bytes(text_rows(24)[12:]),
        },
    )
    spec = {
        "hub": "crash/dl",
        "columns": {"text": "text", "label": "intent"},
        "engines": ["intent"],
        "license": "cc0-1.0",
    }
    targets = ["silver/dl/manifest.parquet"]
    clean = hub_project(tmp_path / "clean", {"dl": spec})
    run_snakemake(clean, *targets, env=hub_server.env(tmp_path / "hf-clean"))

    crashed = hub_project(tmp_path / "crashed", {"dl": spec})
    with FaultProxy(hub_server.olah_url, stall_seconds=120) as proxy:
        proxy.add(Fault(r"crash/dl/resolve/.*/train-00001\.parquet", "stall", method="GET"))
        env = hub_server.env(tmp_path / "hf-crashed", endpoint=proxy.url)
        proc = subprocess.Popen(
            [sys.executable, "-m", "snakemake", "--cores", "1", *targets],
            cwd=crashed,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _wait_for(lambda: any(o == "stall" for _, _, o in proxy.requests()), proc)
            os.killpg(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(30)
        assert not (crashed / "raw/dl/manifest.json").exists()
        assert not (crashed / "raw/dl/files").exists()  # only a .tmp-* dir, if anything
        run_snakemake(crashed, "--unlock", env=env)
        run_snakemake(crashed, *targets, env=env)

    patterns = ("raw/**/*", "silver/**/*")
    want = {p: b for p, b in tree_bytes(clean, *patterns).items() if "/.tmp-" not in "/" + p}
    got = {p: b for p, b in tree_bytes(crashed, *patterns).items() if "/.tmp-" not in "/" + p}
    assert sorted(got) == sorted(want)
    assert got == want
