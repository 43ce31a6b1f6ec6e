"""Snakemake overhead at scale: the real workflow vs a bare Snakefile with the same job graph.

Both get D datasets x S shards (default 100 x 100 = 10,000 standardize jobs, plus ingest, plan,
merge, allocate, gold; target `gold`). Measured: `snakemake -n` from nothing (DAG building),
and a no-op re-run with every output present (written cheaply by hand, layer by layer, each
newer than its inputs).

Caveat: hand-written outputs have no Snakemake metadata records (.snakemake/metadata), so the
params/code/software-env rerun triggers find nothing to compare on either side. `--touch` would
record them but sleeps 0.1 s per job in Snakemake 9.27 (about 20 minutes for 10,000 jobs).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import yaml

from bench import measure

ROOT = Path(__file__).resolve().parent.parent
# The data graph (raw -> silver -> splits -> gold): training/deploy rules add a handful of jobs
# per engine and are not what scales with datasets x shards.
TARGET = "gold"
COPY = ("Snakefile", "rules", "scripts", "config", "envs", "foundry")

BARE = """# Bare floor: the same files and job graph as the real workflow, trivial rules.
D = {n_ds}
S = {n_shards}
DS = [f"ds{{i:03d}}" for i in range(D)]
K = [f"{{k:05d}}" for k in range(S)]
SPLIT = [f"splits/stt/{{s}}.parquet" for s in ("train", "dev", "test")]
SPLIT += ["splits/stt/labels.json", "splits/stt/stats.json", "splits/stt/README.md"]

wildcard_constraints:
    ds="[A-Za-z0-9][A-Za-z0-9_]*",
    shard=r"\\d{{5}}",

rule all:
    input: "gold"

rule gold:
    input: SPLIT
    output: directory("gold")
    shell: "mkdir -p {{output}}"

rule allocate:
    input:
        [f"silver/{{d}}/manifest.parquet" for d in DS],
        [f"silver/{{d}}/shards/shard-{{k}}.tar" for d in DS for k in K],
    output: SPLIT
    shell: "touch {{output}}"

rule merge_silver:
    input:
        parts=lambda w: [f"silver/{{w.ds}}/parts/shard-{{k}}.parquet" for k in K],
        rejects=lambda w: [f"silver/{{w.ds}}/parts/rejects-{{k}}.parquet" for k in K],
        hashes=lambda w: [f"silver/{{w.ds}}/parts/hashes-{{k}}.parquet" for k in K],
        tars=lambda w: [f"silver/{{w.ds}}/shards/shard-{{k}}.tar" for k in K],
        plan="silver/{{ds}}/plan.parquet",
    output: "silver/{{ds}}/manifest.parquet", "silver/{{ds}}/rejects.parquet"
    shell: "touch {{output}}"

rule standardize:
    input: "raw/{{ds}}/manifest.json", "silver/{{ds}}/plan.parquet"
    output:
        "silver/{{ds}}/shards/shard-{{shard}}.tar",
        "silver/{{ds}}/parts/shard-{{shard}}.parquet",
        "silver/{{ds}}/parts/rejects-{{shard}}.parquet",
        "silver/{{ds}}/parts/hashes-{{shard}}.parquet",
    shell: "touch {{output}}"

rule plan:
    input: "raw/{{ds}}/manifest.json"
    output: "silver/{{ds}}/plan.parquet"
    shell: "touch {{output}}"

rule ingest:
    input: lambda w: [f"hub/{{w.ds}}/README.md", f"hub/{{w.ds}}/data/train-00000.parquet"]
    output: "raw/{{ds}}/manifest.json", directory("raw/{{ds}}/files")
    shell: "mkdir -p {{output[1]}} && touch {{output[0]}}"
"""


def datasets(n_ds: int) -> list[str]:
    return [f"ds{i:03d}" for i in range(n_ds)]


def make_inputs(folder: Path, n_ds: int) -> None:
    for ds in datasets(n_ds):
        d = folder / "hub" / ds
        (d / "data").mkdir(parents=True, exist_ok=True)
        (d / "README.md").write_text("---\nconfigs:\n- config_name: default\n---\n")
        (d / "data" / "train-00000.parquet").write_bytes(b"PAR1")


def make_real(folder: Path, n_ds: int, n_shards: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, folder / name)
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    cfg["datasets"] = {
        ds: {
            "path": f"hub/{ds}",
            "columns": {"audio": "audio", "text": "sentence", "speaker": "speaker"},
            "engines": ["stt"],
            "license": "cc0-1.0",
            "shards": n_shards,
        }
        for ds in datasets(n_ds)
    }
    (folder / "config" / "config.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True))
    make_inputs(folder, n_ds)


def make_bare(folder: Path, n_ds: int, n_shards: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Snakefile").write_text(BARE.format(n_ds=n_ds, n_shards=n_shards))
    make_inputs(folder, n_ds)


def write_outputs(folder: Path, n_ds: int, n_shards: int) -> int:
    """Every output of the graph, layer by layer, each layer newer than the one before."""
    layers: list[list[str]] = [[], [], [], [], []]
    for ds in datasets(n_ds):
        layers[0].append(f"raw/{ds}/manifest.json")
        layers[1].append(f"silver/{ds}/plan.parquet")
        for k in range(n_shards):
            layers[2] += [
                f"silver/{ds}/shards/shard-{k:05d}.tar",
                f"silver/{ds}/parts/shard-{k:05d}.parquet",
                f"silver/{ds}/parts/rejects-{k:05d}.parquet",
                f"silver/{ds}/parts/hashes-{k:05d}.parquet",
            ]
        layers[3] += [f"silver/{ds}/manifest.parquet", f"silver/{ds}/rejects.parquet"]
    layers[4] = [f"splits/stt/{s}.parquet" for s in ("train", "dev", "test")]
    layers[4] += ["splits/stt/labels.json", "splits/stt/stats.json", "splits/stt/README.md"]
    t = time.time() - 3600
    # Inputs, config and workflow sources (Snakemake reruns a script rule whose script is newer
    # than its outputs): all older than every output.
    for p in folder.rglob("*"):
        if ".snakemake" not in p.parts:
            os.utime(p, (t - 10, t - 10))
    for n, layer in enumerate(layers):
        for rel in layer:
            p = folder / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.touch()
            os.utime(p, (t + n * 10, t + n * 10))
    for ds in datasets(n_ds):  # ingest's snapshot folder: written with the manifest
        (folder / f"raw/{ds}/files").mkdir(parents=True, exist_ok=True)
        os.utime(folder / f"raw/{ds}/files", (t, t))
    (folder / "gold").mkdir(exist_ok=True)
    (folder / "gold" / "stt").mkdir(exist_ok=True)
    os.utime(folder / "gold", (t + 60, t + 60))
    return sum(len(layer) for layer in layers) + 1


def snakemake(folder: Path, *args: str) -> tuple[dict, str]:
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--workflow-profile", "none"]
    cmd += list(args)
    m = measure.run(cmd, cwd=str(folder), merge_stderr=True)
    if m.returncode != 0:
        raise RuntimeError(f"snakemake {' '.join(args)} failed in {folder}:\n{m.stdout[-3000:]}")
    return {"wall_s": round(m.wall_s, 2), "cpu_s": round(m.cpu_s, 2)}, m.stdout


def job_count(log: str) -> int:
    """Total from Snakemake's job-count table ("total  10302")."""
    for line in log.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "total" and parts[1].isdigit():
            return int(parts[1])
    return -1


def measure_one(folder: Path, n_ds: int, n_shards: int) -> dict:
    dry, log = snakemake(folder, "-n", TARGET)
    jobs = job_count(log)
    write_outputs(folder, n_ds, n_shards)
    noop, log2 = snakemake(folder, TARGET)
    if "Nothing to be done" not in log2:
        raise RuntimeError(f"no-op re-run in {folder} wanted to run jobs:\n{log2[-3000:]}")
    return {
        "jobs": jobs,
        "dry_run": dry,
        "noop": noop,
    }


def benchmark(work: Path, n_ds: int, n_shards: int) -> dict:
    shutil.rmtree(work, ignore_errors=True)
    real, bare = work / "real", work / "bare"
    make_real(real, n_ds, n_shards)
    make_bare(bare, n_ds, n_shards)
    out = {"datasets": n_ds, "shards": n_shards}
    out["bare"] = measure_one(bare, n_ds, n_shards)
    out["real"] = measure_one(real, n_ds, n_shards)
    out["jobs"] = out["real"]["jobs"]
    if out["bare"]["jobs"] != out["real"]["jobs"]:
        raise RuntimeError(
            f"job graphs differ: real {out['real']['jobs']} jobs, bare {out['bare']['jobs']}"
        )
    shutil.rmtree(work, ignore_errors=True)
    return out
