"""Ingestion through the real huggingface_hub client against a real Hub API (olah on loopback):
revision pinning by branch and by sha, a loading-script repo read from refs/convert/parquet,
a nested data layout."""

from __future__ import annotations

import subprocess
import sys

import pytest
from factory import read_json, text_rows
from hubserver import hub_project, parquet_bytes, run_snakemake

pytestmark = pytest.mark.slow

INTENT = {
    "columns": {"text": "text", "label": "intent"},
    "engines": ["intent"],
    "license": "cc0-1.0",
}


def test_pins_branch_sha_script_repo_and_nested_layout(hub_server, tmp_path):
    rows = text_rows(12)
    plain = hub_server.add_dataset("pin/plain", {"data/train-00000.parquet": parquet_bytes(rows)})
    first = hub_server.add_dataset("pin/bysha", {"data/train-00000.parquet": parquet_bytes(rows)})
    moved = hub_server.commit(
        "pin/bysha", {"data/train-00000.parquet": parquet_bytes(rows[:6])}, "newer"
    )
    nested = hub_server.add_dataset(
        "pin/nested",
        {
            "data/train/part-a/00000.parquet": parquet_bytes(rows[:6]),
            "data/test/part-b/00000.parquet": parquet_bytes(rows[6:]),
        },
        pattern="data/**/*.parquet",
    )
    main, converted = hub_server.add_script_dataset(
        "pin/script", {"default/train/0000.parquet": parquet_bytes(rows)}
    )
    project = hub_project(
        tmp_path / "p",
        {
            "plain": {"hub": "pin/plain", **INTENT},
            "bysha": {"hub": "pin/bysha", "revision": first, **INTENT},
            "nested": {"hub": "pin/nested", "data_files": "data/**/*.parquet", **INTENT},
            "script": {"hub": "pin/script", **INTENT},
        },
    )
    env = hub_server.env(tmp_path / "hf")
    refresh = subprocess.run(
        [sys.executable, "-m", "foundry.cli", "refresh"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refresh.returncode == 0, refresh.stderr
    lock = read_json(project / "config/hub.lock.json")["datasets"]
    assert lock["plain"] == {"repo": "pin/plain", "requested": "main", "sha": plain, "via": "main"}
    assert lock["bysha"]["sha"] == first != moved  # pinned sha: not asked, never moved
    assert lock["nested"]["sha"] == nested
    assert lock["script"] == {
        "repo": "pin/script",
        "requested": "main",
        "sha": converted,
        "via": "refs/convert/parquet",
    }
    assert main != converted

    targets = [f"silver/{d}/manifest.parquet" for d in ("plain", "bysha", "nested", "script")]
    run_snakemake(project, *targets, env=env)
    raw = {d: read_json(project / f"raw/{d}/manifest.json") for d in lock}
    assert raw["plain"]["resolved_revision"] == plain
    assert raw["bysha"]["resolved_revision"] == first
    assert raw["nested"]["resolved_revision"] == nested
    assert raw["script"]["resolved_revision"] == converted
    assert [f["path"] for f in raw["nested"]["files"]] == [
        "README.md",
        "data/test/part-b/00000.parquet",
        "data/train/part-a/00000.parquet",
    ]
    assert [f["path"] for f in raw["script"]["files"]] == ["default/train/0000.parquet"]
    assert not (project / "raw/script/files/script.py").exists()  # the loader is never fetched
    import pyarrow.parquet as pq

    counts = {d: pq.read_metadata(project / f"silver/{d}/manifest.parquet").num_rows for d in lock}
    rejected = {d: pq.read_metadata(project / f"silver/{d}/rejects.parquet").num_rows for d in lock}
    # bysha reads the first commit (12 rows), not the newer 6-row one.
    assert {d: counts[d] + rejected[d] for d in lock} == {
        "plain": 12,
        "bysha": 12,
        "nested": 12,
        "script": 12,
    }
