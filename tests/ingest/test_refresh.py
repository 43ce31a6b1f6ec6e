"""Dataset updates: `foundry refresh` pins each tracked branch's current commit in the lock
file; a new upstream commit rebuilds exactly that dataset and the engines it feeds; sha pins
never move."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from factory import read_json, text_rows
from hubserver import hub_project, parquet_bytes, planned_jobs, run_snakemake

pytestmark = pytest.mark.slow

LIC = {"license": "cc0-1.0"}


def _refresh(project, env, *args):
    run = subprocess.run(
        [sys.executable, "-m", "foundry.cli", "refresh", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_refresh_then_build_moves_only_the_updated_dataset(hub_server, tmp_path):
    rows = text_rows(24)
    data = {"data/train-00000.parquet": parquet_bytes(rows)}
    hub_server.add_dataset("ref/a", data)
    hub_server.add_dataset(
        "ref/b",
        {
            "data/train-00000.parquet": parquet_bytes(
                [
                    {"text": r["text"], "label": ["pos", "neg", "neu"][i % 3]}
                    for i, r in enumerate(rows)
                ]
            )
        },
    )
    pinned = hub_server.add_dataset("ref/c", data)
    datasets = {
        "a": {
            "hub": "ref/a",
            "columns": {"text": "text", "label": "intent"},
            "engines": ["intent"],
            **LIC,
        },
        "b": {
            "hub": "ref/b",
            "columns": {"text": "text", "label": "label"},
            "engines": ["sentiment"],
            **LIC,
        },
        "c": {
            "hub": "ref/c",
            "revision": pinned,
            "columns": {"text": "text"},
            "engines": ["text"],
            **LIC,
        },
    }
    project = hub_project(tmp_path / "p", datasets)
    env = hub_server.env(tmp_path / "hf")
    lock = project / "config/hub.lock.json"

    out = _refresh(project, env)
    assert "created (3 Hub dataset(s) pinned)" in out
    first = lock.read_bytes()
    # Deterministic: a second project refreshed from the same Hub state writes the same bytes.
    twin = hub_project(tmp_path / "twin", datasets)
    _refresh(twin, env)
    assert (twin / "config/hub.lock.json").read_bytes() == first
    # Nothing changed upstream: the file is not rewritten at all.
    before = lock.stat().st_mtime_ns
    assert "up to date" in _refresh(project, env)
    assert lock.stat().st_mtime_ns == before and lock.read_bytes() == first

    run_snakemake(project, "gold", env=env, timeout=400)
    assert planned_jobs(project, "gold", env=env) == []
    gold_before = {p: p.read_bytes() for p in sorted((project / "gold").rglob("*")) if p.is_file()}

    # Upstream moves: a gets a new commit, and so does the sha-pinned c.
    new_a = hub_server.commit("ref/a", {"data/train-00000.parquet": parquet_bytes(rows[:21])})
    hub_server.commit("ref/c", {"data/train-00000.parquet": parquet_bytes(rows[:18])})
    # Without a refresh the build does not move (the lock pins the old commits).
    assert planned_jobs(project, "gold", env=env) == []
    out = _refresh(project, env)
    assert out.splitlines()[0].startswith("a: ") and "1 of 3 Hub dataset(s) moved" in out
    entries = read_json(lock)["datasets"]
    assert entries["a"]["sha"] == new_a
    assert entries["c"]["sha"] == pinned  # pinned to a sha: never moves
    assert {k: v for k, v in read_json(lock)["datasets"].items() if k != "a"} == {
        k: v for k, v in json.loads(first)["datasets"].items() if k != "a"
    }

    jobs = planned_jobs(project, "gold", env=env)
    assert jobs == [
        ("allocate", "engine=intent"),
        ("card", "engine=intent"),
        ("gold", ""),
        ("ingest", "ds=a"),
        ("merge_silver", "ds=a"),
        ("plan", "ds=a"),
        ("standardize", "ds=a, shard=00000"),
    ], jobs
    run_snakemake(project, "gold", env=env, timeout=400)
    assert read_json(project / "raw/a/manifest.json")["resolved_revision"] == new_a
    assert read_json(project / "raw/c/manifest.json")["resolved_revision"] == pinned
    gold_after = {p: p.read_bytes() for p in sorted((project / "gold").rglob("*")) if p.is_file()}
    changed = sorted(
        p.relative_to(project).as_posix() for p in gold_after if gold_after[p] != gold_before.get(p)
    )
    assert changed and all(c.startswith("gold/intent/") for c in changed), changed
