"""The seven demo datasets, served as git repos by the test Hub, ingest through the real client
into raw/ with exactly the bytes of the repos (the production code path, end to end)."""

from __future__ import annotations

import shutil

import pytest
import yaml
from factory import ROOT, read_json
from hubserver import hub_project, run_snakemake

from foundry.atomic import sha256_file

pytestmark = pytest.mark.slow
DEMO = ROOT / "demo/hub/datasets/foundry-demo"


def test_demo_datasets_ingest_from_the_hub_byte_for_byte(hub_server, tmp_path):
    cfg = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
    datasets = {}
    for ds, spec in sorted(cfg["datasets"].items()):
        src = ROOT / spec["path"]
        assert src.is_dir(), f"demo data {src} missing (run demo/make_demo.py)"
        repo = f"foundry-demo/{src.name}"
        if not hub_server.repo_dir(repo).exists():
            files = {
                p.relative_to(src).as_posix(): p.read_bytes()
                for p in sorted(src.rglob("*"))
                if p.is_file()
            }
            hub_server.commit(repo, files, "demo")
        spec = {k: v for k, v in spec.items() if k != "path"}
        datasets[ds] = {**spec, "hub": repo}
    project = hub_project(tmp_path / "p", datasets, default_shards=cfg["default_shards"])
    shutil.rmtree(project / "demo", ignore_errors=True)  # nothing may come from the local copy
    env = hub_server.env(tmp_path / "hf")
    run_snakemake(project, *[f"raw/{ds}/manifest.json" for ds in datasets], env=env, timeout=300)
    for ds, spec in datasets.items():
        manifest = read_json(project / f"raw/{ds}/manifest.json")
        src = DEMO / spec["hub"].split("/")[1]
        assert manifest["resolved_revision"] == hub_server.head(spec["hub"])
        assert manifest["files"], ds
        for f in manifest["files"]:
            assert f["sha256"] == sha256_file(src / f["path"]), (ds, f["path"])
            assert (project / f"raw/{ds}/files" / f["path"]).read_bytes() == (
                src / f["path"]
            ).read_bytes()
