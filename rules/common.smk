# Config validation, path helpers and input functions: the only logic the rules see.
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, workflow.basedir)
# Jobs started with plain entry points (`python -m foundry.silver`) import this workflow's own
# foundry package too: they inherit this environment (cluster jobs load this file again first).
os.environ.update(
    PYTHONPATH=os.pathsep.join(
        [workflow.basedir, *filter(None, [os.getenv("PYTHONPATH")])]
    )
)

from snakemake.exceptions import WorkflowError  # noqa: E402
from snakemake.logging import logger  # noqa: E402

from foundry import config as foundry_config  # noqa: E402
from foundry import atomic, engines, paths, steps  # noqa: E402
from foundry.ingest.hub import IngestError, local_files  # noqa: E402

try:
    CFG = foundry_config.validate(config)
except foundry_config.ConfigError as exc:
    raise WorkflowError(str(exc)) from None
VIEW = foundry_config.View(CFG)
# How ingest jobs fetch (config hub: retries, timeouts) reaches them through the environment, not
# as a param: changing a timeout must not rerun ingest (foundry/ingest/__main__.py).
os.environ.update({steps.TRANSPORT_ENV: steps.encode(steps.transport(CFG))})
DATA_ENV = "../envs/foundry.yaml"
# --default-storage-provider (profiles/s3, docs/s3.md): every declared file lives in the bucket.
OBJECT_STORAGE = workflow.storage_settings.default_storage_provider is not None


def storage_view():
    """Make the working directory Snakemake's local copy of the storage prefix (docs/s3.md).

    Snakemake keeps local copies of storage files under <local-storage-prefix>/<provider>/<bucket>/
    <prefix>/<path>, while the steps read and write project-relative paths (foundry.paths). A link
    from that folder to the working directory makes both name the same file: an output is written
    where Snakemake uploads it from, and an input is retrieved where the step reads it.
    """
    prefix = (workflow.storage_settings.default_storage_prefix or "").rstrip("/")
    probe = workflow.storage_registry.default_storage_provider.object(f"{prefix}/probe")
    valid = probe.is_valid_query()
    if not valid:
        raise WorkflowError(
            f"default storage prefix {prefix!r}: {valid.reason}; give "
            "--default-storage-prefix s3://<bucket>/<prefix> (profiles/s3 reads $FOUNDRY_S3_PREFIX)"
        )
    view = Path(probe.local_path()).parent
    here = Path.cwd()
    if view.is_symlink() and view.resolve() == here.resolve():
        return
    if view.is_symlink():
        view.unlink()  # the project folder moved
    elif view.exists():
        raise WorkflowError(
            f"{view} is a folder, so it would hide the working directory from the storage "
            f"copies: move it away (it holds only local copies of {prefix}) and run again"
        )
    view.parent.mkdir(parents=True, exist_ok=True)
    try:
        view.symlink_to(os.path.relpath(here, view.parent), target_is_directory=True)
    except FileExistsError:  # another Snakemake process made it at the same moment
        if view.resolve() != here.resolve():
            raise


if OBJECT_STORAGE:
    storage_view()


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
    """Local datasets: their files, so an edit reruns exactly that dataset.

    local(): a `path:` dataset is a folder on this machine (ingest is a localrule), never a
    storage object, also when everything else lives in a bucket.
    """
    spec = VIEW.dataset(wildcards.ds)
    if "path" in spec:
        try:
            files = local_files(wildcards.ds, spec, cache=paths.layout_cache())
        except IngestError as exc:
            raise WorkflowError(str(exc)) from None
        return [local(str(Path(spec["path"]) / f)) for f in files]
    return []


def ingest_settings(wildcards):
    """What identifies the files to fetch, with a branch resolved through the lock file."""
    settings = steps.ingest(CFG, wildcards.ds)
    spec = settings["datasets"][wildcards.ds]
    if "hub" in spec:
        pinned = locked_revisions().get(wildcards.ds, {})
        same = (
            pinned.get("repo") == spec["hub"]
            and pinned.get("requested") == spec["revision"]
        )
        if same and pinned.get("sha"):
            spec["revision"] = pinned["sha"]
    return steps.encode(settings)


def raw_inputs(wildcards):
    """What plan and standardize read of phase 1: the manifest, and with object storage also the
    files (a cluster node must retrieve them from the bucket). Local builds keep the input set
    they recorded, so adding this reran nothing there."""
    out = {"manifest": paths.raw_manifest(wildcards.ds)}
    if OBJECT_STORAGE:
        out["files"] = paths.raw_files(wildcards.ds)
    return out


def shard_parts(wildcards):
    ks = VIEW.shard_ids(wildcards.ds)
    return {
        "parts": [paths.shard_part(wildcards.ds, k) for k in ks],
        "rejects": [paths.shard_rejects(wildcards.ds, k) for k in ks],
        "hashes": [paths.shard_hashes(wildcards.ds, k) for k in ks],
        "tars": [paths.shard_tar(wildcards.ds, k) for k in ks],
        "plan": paths.plan(wildcards.ds),
        "language": (
            [paths.shard_language(wildcards.ds, k) for k in ks]
            if VIEW.language_checked(wildcards.ds)
            else []
        ),
    }


def engine_silver(wildcards):
    """Silver files of the datasets feeding one engine (audio engines also read shards)."""
    out = []
    for ds in VIEW.engine_datasets(wildcards.engine):
        out += [paths.silver_manifest(ds), paths.silver_rejects(ds)]
        if wildcards.engine in paths.AUDIO_ENGINES:
            out += [paths.shard_tar(ds, k) for k in VIEW.shard_ids(ds)]
    return out


def all_split_outputs():
    return [f for e in VIEW.engines for f in paths.split_outputs(e)]


# --- models (issue 3): per-engine training settings and outputs ---
TRAIN_ENV = "../envs/train.yaml"


def trained_engines():
    """Trainable engines that some configured dataset feeds."""
    return steps.trained(CFG)


def all_model_outputs():
    return [f for e in trained_engines() for f in paths.model_outputs(e)]


def base_inputs(wildcards):
    """A tiny base builds its character vocabulary from the training text; a Hub or packaged base
    needs none, so it is fetched or built while the data is still being prepared."""
    if not steps.base_model(CFG, wildcards.engine).reads_splits:
        return []
    return [paths.split_file(wildcards.engine, "train")]


def train_priority(wildcards):
    """Longest training first (its runtime), and its base with it: on a machine with fewer cores
    than jobs, the job that bounds the build's wall time starts before the short ones.
    """
    return train_resource(wildcards.engine, "runtime")


def train_nice(wildcards):
    """Unix niceness of a training and its base: 0 for the longest training, SIDE_NICE for the
    others. Priority only orders job starts; on a machine with fewer cores than running jobs the
    short trainings would still share the longest one's core and lengthen the whole build. A
    cluster job has its own cores, where niceness changes nothing.
    """
    longest = max(train_resource(e, "runtime") for e in paths.TRAIN_ENGINES)
    return 0 if train_resource(wildcards.engine, "runtime") >= longest else SIDE_NICE


SIDE_NICE = 10


def train_resource(engine, key):
    """engines.<engine>.resources.<key>, else the engine registry's default (cluster profiles)."""
    spec = CFG.get("engines", {}).get(engine, {}).get("resources", {})
    return int(spec.get(key, engines.get(engine).resources[key]))


# The language_id jobs run Whisper's encoder: they ask for the GPU the engines they serve train on.
LANGUAGE_ID_GPU = max(
    train_resource(e.name, "gpu") for e in engines.REGISTRY.values() if e.language_id
)
