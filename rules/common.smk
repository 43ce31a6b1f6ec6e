# Config validation, path helpers and input functions: the only logic the rules see.
import json
import sys
from pathlib import Path

sys.path.insert(0, workflow.basedir)

from snakemake.exceptions import WorkflowError  # noqa: E402

from foundry import config as foundry_config  # noqa: E402
from foundry import paths  # noqa: E402
from foundry.hub import IngestError, local_files  # noqa: E402

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
        try:
            files = local_files(wildcards.ds, spec)
        except IngestError as exc:
            raise WorkflowError(str(exc)) from None
        return [str(Path(spec["path"]) / f) for f in files]
    return []


def ingest_source(wildcards):
    """Everything that identifies what to download; a change reruns the ingest."""
    spec = VIEW.dataset(wildcards.ds)
    select = {k: spec[k] for k in ("config", "data_files", "extra_files") if k in spec}
    if "path" in spec:
        return {"path": spec["path"], **select}
    pinned = locked_revisions().get(wildcards.ds, {})
    revision = spec["revision"]
    same = pinned.get("repo") == spec["hub"] and pinned.get("requested") == revision
    if same and pinned.get("sha"):
        revision = pinned["sha"]
    return {"hub": spec["hub"], "revision": revision, **select}


def dataset_settings(wildcards):
    """The slice of config phase 2 depends on (params: changing it reruns that dataset)."""
    spec = VIEW.dataset(wildcards.ds)
    return {
        "columns": spec["columns"],
        "engines": spec["engines"],
        "shards": VIEW.shards(wildcards.ds),
        "audio": CFG["audio"],
        "text": CFG["text"],
        **{k: spec[k] for k in ("filter", "label_map", "metadata") if k in spec},
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
        "published_splits": {
            ds: [VIEW.dataset(ds)["keep_splits"], VIEW.dataset(ds).get("split_map")]
            for ds in VIEW.engine_datasets(e)
        },
    }


def all_split_outputs():
    return [f for e in VIEW.engines for f in paths.split_outputs(e)]


# --- models (issue 3): per-engine training settings and outputs ---
TRAIN_ENV = "../envs/train.yaml"


def trained_engines():
    """Trainable engines that some configured dataset feeds."""
    return [e for e in paths.TRAIN_ENGINES if e in VIEW.engines]


def all_model_outputs():
    return [f for e in trained_engines() for f in paths.model_outputs(e)]


def train_settings(engine):
    """engines.<engine> minus resources (params: a change retrains only this engine)."""
    spec = dict(CFG.get("engines", {}).get(engine, {}))
    spec.pop("resources", None)
    if engine in (CFG.get("models") or {}):
        spec["base"] = CFG["models"][engine]
    return spec


def base_settings(wildcards):
    """What the base model depends on (params: a change rebuilds only this engine's base)."""
    spec = CFG.get("engines", {}).get(wildcards.engine, {})
    models = CFG.get("models") or {}
    return {
        "base": models.get(wildcards.engine, spec.get("base", {"tiny": {}})),
        "arch": spec.get("arch"),
        "seed": spec.get("seed", CFG["seed"]),
    }


def base_inputs(wildcards):
    """A tiny base builds its character vocabulary from the training text; a Hub base needs none."""
    spec = base_settings(wildcards)["base"]
    return [paths.split_file(wildcards.engine, "train")] if "hub" not in spec else []


def train_resource(engine, key, default):
    """engines.<engine>.resources.<key> (threads, mem_mb, runtime, gpu) for cluster profiles."""
    spec = CFG.get("engines", {}).get(engine, {}).get("resources", {})
    return int(spec.get(key, default))
