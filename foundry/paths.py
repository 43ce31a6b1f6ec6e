"""The one place that knows where files live. Rules, modules and tests all ask here."""

from __future__ import annotations

from foundry import engines as _engines

SPLITS = ("train", "dev", "test")
# Engine lists come from the one registry (foundry.engines); named here for path wildcards.
ENGINES = _engines.NAMES
AUDIO_ENGINES = _engines.AUDIO


def raw_dir(ds: str) -> str:
    return f"raw/{ds}"


def raw_manifest(ds: str) -> str:
    return f"raw/{ds}/manifest.json"


def raw_files(ds: str) -> str:
    return f"raw/{ds}/files"


def layout_cache() -> str:
    """Which files of a dataset `datasets` would read, per file listing (foundry.ingest.layouts).
    Under Snakemake's own folder: a cache, never an output; deleting it only costs time."""
    return ".snakemake/foundry/layouts"


def silver_dir(ds: str) -> str:
    return f"silver/{ds}"


def plan(ds: str) -> str:
    return f"silver/{ds}/plan.parquet"


def _k(k: int | str) -> str:
    """Shard number as 5 digits; a str passes through (Snakemake wildcard patterns)."""
    return k if isinstance(k, str) else f"{k:05d}"


def shard_name(k: int | str) -> str:
    return f"shard-{_k(k)}"


def shard_tar(ds: str, k: int | str) -> str:
    return f"silver/{ds}/shards/{shard_name(k)}.tar"


def shard_part(ds: str, k: int | str) -> str:
    return f"silver/{ds}/parts/{shard_name(k)}.parquet"


def shard_rejects(ds: str, k: int | str) -> str:
    return f"silver/{ds}/parts/rejects-{_k(k)}.parquet"


def shard_hashes(ds: str, k: int | str) -> str:
    """Raw-audio hashes of one shard's items: duplicates are resolved where the shards meet."""
    return f"silver/{ds}/parts/hashes-{_k(k)}.parquet"


def shard_language(ds: str, k: int | str) -> str:
    """The language detected in each clip of one shard (quality.language; silver/language.py)."""
    return f"silver/{ds}/parts/language-{_k(k)}.parquet"


def silver_manifest(ds: str) -> str:
    return f"silver/{ds}/manifest.parquet"


def silver_rejects(ds: str) -> str:
    return f"silver/{ds}/rejects.parquet"


SPLITS_ROOT = "splits"


def split_dir(engine: str) -> str:
    return f"{SPLITS_ROOT}/{engine}"


def split_file(engine: str, split: str) -> str:
    return f"splits/{engine}/{split}.parquet"


def split_labels(engine: str) -> str:
    return f"splits/{engine}/labels.json"


def split_stats(engine: str) -> str:
    return f"splits/{engine}/stats.json"


def split_card(engine: str) -> str:
    return f"splits/{engine}/README.md"


def split_checksums(engine: str) -> str:
    """Size and sha256 of each file allocate wrote, recorded as it wrote them (integrity)."""
    return f"splits/{engine}/checksums.json"


def split_recorded(engine: str) -> list[str]:
    """The allocated data files that split_checksums() records."""
    return [split_file(engine, s) for s in SPLITS] + [split_labels(engine), split_stats(engine)]


def split_data_outputs(engine: str) -> list[str]:
    """What the allocate step writes for one engine (the unit training depends on)."""
    return split_recorded(engine) + [split_checksums(engine)]


def split_outputs(engine: str) -> list[str]:
    """Every file of splits/<engine>/: the allocated data, its record and its data card."""
    return split_data_outputs(engine) + [split_card(engine)]


def gold_names(engine: str) -> list[str]:
    """The files publish puts in gold/<engine>/ besides its checksums.json (sorted)."""
    return sorted(name.rsplit("/", 1)[1] for name in split_recorded(engine) + [split_card(engine)])


GOLD = "gold"


def gold_file(engine: str, split: str) -> str:
    return f"gold/{engine}/{split}.parquet"


# Where the workflow writes (each write is a temp name renamed into place, foundry.atomic): the
# folders swept for a killed run's temp debris at the start of a run and checked by validate.
OUTPUT_FOLDERS = ("raw", "silver", SPLITS_ROOT, GOLD, "models", "deploy", "reports")


def log(step: str, name: str) -> str:
    return f"logs/{step}/{name}.log"


def benchmark(step: str, name: str) -> str:
    return f"benchmarks/{step}/{name}.tsv"


def validation_report() -> str:
    return "reports/validate.json"


# --- deploy/ (registry files; see foundry.deploy.registry) ---
DEPLOY_ENGINES = _engines.DEPLOYABLE


def deploy_dir(engine: str) -> str:
    return f"deploy/{engine}"


def deploy_decision(engine: str) -> str:
    """The per-engine marker the `deploy` target collects (latest decision for this engine)."""
    return f"deploy/{engine}/decision.json"


def deploy_production(engine: str) -> str:
    return f"deploy/{engine}/production.json"


def deploy_history(engine: str) -> str:
    return f"deploy/{engine}/history.jsonl"


def deploy_shadow_active(engine: str) -> str:
    """The shadow in progress (read by `foundry serve`); absent when no candidate is in shadow."""
    return f"deploy/{engine}/shadow.json"


def deploy_candidate(engine: str, cid: str) -> str:
    return f"deploy/{engine}/candidates/{cid}"


# Models (issue 3): one folder per engine; training depends only on splits/<engine>/.
TRAIN_ENGINES = _engines.TRAINED


def model_dir(engine: str) -> str:
    return f"models/{engine}"


def base_model_dir(engine: str) -> str:
    return f"models/{engine}/base"


def adapter_dir(engine: str) -> str:
    return f"models/{engine}/adapter"


def metrics(engine: str) -> str:
    return f"models/{engine}/metrics.json"


def test_predictions(engine: str) -> str:
    return f"models/{engine}/test_predictions.json"


def tensorboard_dir(engine: str) -> str:
    return f"logs/tensorboard/{engine}"


def model_outputs(engine: str) -> list[str]:
    """What one engine's training rule writes (rule all asks for these)."""
    return [adapter_dir(engine), metrics(engine), test_predictions(engine)]
