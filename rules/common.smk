# Config validation, path helpers and input functions: the only logic the rules see.
import json
import sys
from pathlib import Path

sys.path.insert(0, workflow.basedir)

from snakemake.exceptions import WorkflowError  # noqa: E402

from foundry import config as foundry_config  # noqa: E402
from foundry import paths  # noqa: E402
from foundry.hub import local_files  # noqa: E402

try:
    CFG = foundry_config.validate(config)
except foundry_config.ConfigError as exc:
    raise WorkflowError(str(exc)) from None
VIEW = foundry_config.View(CFG)
DATA_ENV = "../envs/foundry.yaml"


wildcard_constraints:
    ds="[A-Za-z0-9][A-Za-z0-9_]*",
    shard=r"\d{5}",
    engine="|".join(paths.ENGINES),


def locked_revisions():
    """Resolved commits from the lock file written by `foundry refresh` (empty if none)."""
    lock = Path(CFG["lockfile"])
    if not lock.exists():
        return {}
    return json.loads(lock.read_text(encoding="utf-8")).get("datasets", {})


def ingest_inputs(wildcards):
    """Local datasets: their files, so an edit reruns exactly that dataset."""
    spec = VIEW.dataset(wildcards.ds)
    if "path" in spec:
        root = Path(spec["path"])
        return [str(root / f) for f in local_files(root, spec["data_files"])]
    return []


def ingest_source(wildcards):
    """Everything that identifies what to download; a change reruns the ingest."""
    spec = VIEW.dataset(wildcards.ds)
    if "path" in spec:
        return {"path": spec["path"], "data_files": spec["data_files"]}
    pinned = locked_revisions().get(wildcards.ds, {})
    revision = spec["revision"]
    if pinned.get("requested") == revision and pinned.get("sha"):
        revision = pinned["sha"]
    return {"hub": spec["hub"], "revision": revision, "data_files": spec["data_files"]}


def dataset_settings(wildcards):
    """The slice of config phase 2 depends on (params: changing it reruns that dataset)."""
    spec = VIEW.dataset(wildcards.ds)
    return {
        "columns": spec["columns"],
        "engines": spec["engines"],
        "shards": VIEW.shards(wildcards.ds),
        "audio": CFG["audio"],
        "text": CFG["text"],
    }


def shard_parts(wildcards):
    ks = VIEW.shard_ids(wildcards.ds)
    return {
        "parts": [paths.shard_part(wildcards.ds, k) for k in ks],
        "rejects": [paths.shard_rejects(wildcards.ds, k) for k in ks],
        "tars": [paths.shard_tar(wildcards.ds, k) for k in ks],
        "plan": paths.plan(wildcards.ds),
    }


def engine_silver(wildcards):
    """Silver files of the datasets feeding one engine (audio engines also read shards)."""
    out = []
    for ds in VIEW.engine_datasets(wildcards.engine):
        out.append(paths.silver_manifest(ds))
        if wildcards.engine in paths.AUDIO_ENGINES:
            out += [paths.shard_tar(ds, k) for k in VIEW.shard_ids(ds)]
    return out


def engine_settings(wildcards):
    """Config that shapes one engine's splits (params: changing it reruns that engine)."""
    e = wildcards.engine
    return {
        "datasets": VIEW.engine_datasets(e),
        "splits": CFG["splits"],
        "balance": CFG["balance"] if e in CFG["balance"]["engines"] else None,
        "dialect_map": CFG.get("dialect_map") if e == "dialect" else None,
    }


def all_split_outputs():
    return [f for e in VIEW.engines for f in paths.split_outputs(e)]
