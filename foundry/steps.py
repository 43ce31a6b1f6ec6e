"""Each workflow step's settings: one function per step, passed to the rule as ``params``.

A step reads only what its function returns (plus its input files), so Snakemake's params rerun
trigger watches exactly what the code uses: a licence edit rewrites that engine's data card and
nothing else; re-sorting the config with the same values reruns nothing (the params are canonical
JSON with sorted keys). The main steps (plan and standardize, allocate, base model, train, deploy)
get a typed, frozen settings object (foundry.settings) whose serialization is the params; the
small ones (ingest, language_id, merge, card, publish, reports) a config *slice* with the shape
of the full config.

Deliberately not rerun triggers: ``hub.*`` (retries and timeouts change how a download is
fetched, never what it holds: read with :func:`transport`), ``engines.*.resources`` (scheduling)
and ``serve.*`` (the service, not the workflow) except ``serve.limits``, which the deploy step's
shadow replay applies as ``foundry serve --config`` does.
"""

from __future__ import annotations

import json
from typing import Any

from foundry import engines, settings
from foundry.config import View


def encode(step_settings: dict[str, Any] | settings.Params) -> str:
    """Canonical params: key order in the config never matters."""
    if isinstance(step_settings, settings.Params):
        step_settings = step_settings.to_params()
    return json.dumps(step_settings, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def decode(params: str) -> dict[str, Any]:
    return json.loads(params)


def ingest(cfg: dict[str, Any], ds: str) -> dict[str, Any]:
    """What identifies the files to fetch: source, revision, config, file selection."""
    spec = cfg["datasets"][ds]
    keys = ("hub", "revision", "path", "config", "data_files", "extra_files")
    return {"datasets": {ds: {k: spec[k] for k in keys if k in spec}}}


def standardize(cfg: dict[str, Any], ds: str) -> settings.Standardize:
    """Plan and shard jobs: the dataset's mapping and options, text checks, and the audio checks
    where one of its engines takes audio (a text dataset does not rerun for an audio setting);
    where the files come from reaches them through the raw manifest (an input), and the split
    keys are allocate's."""
    return settings.Standardize.from_config(cfg, ds)


def language_id(cfg: dict[str, Any], ds: str) -> dict[str, Any]:
    """What the detections depend on: the shards and how much of each clip Whisper hears."""
    window = cfg["quality"]["language"]["window_seconds"]
    return {
        "datasets": {ds: {"shards": View(cfg).shards(ds)}},
        "quality": {"language": {"window_seconds": window}},
    }


def merge(cfg: dict[str, Any], ds: str) -> dict[str, Any]:
    """The shards, and the language verdict where quality.language applies (a threshold edit
    re-merges; the detections stay)."""
    out: dict[str, Any] = {"datasets": {ds: {"shards": View(cfg).shards(ds)}}}
    if View(cfg).language_checked(ds):
        lang = cfg["quality"]["language"]
        out["quality"] = {"language": {k: lang[k] for k in ("expect", "min_probability")}}
    return out


def allocate(cfg: dict[str, Any], engine: str) -> settings.Allocate:
    """Splits of one engine: which datasets feed it, their split options, split and balance."""
    return settings.Allocate.from_config(cfg, engine)


def card(cfg: dict[str, Any], engine: str) -> dict[str, Any]:
    """The data card: where each source came from and under which licence."""
    view = View(cfg)
    keys = ("hub", "path", "license", "description")
    datasets = {
        ds: {k: cfg["datasets"][ds][k] for k in keys if k in cfg["datasets"][ds]}
        for ds in view.engine_datasets(engine)
    }
    return {"datasets": datasets}


def publish(cfg: dict[str, Any]) -> dict[str, Any]:
    """The engines to publish and each one's card settings (publish renders the gold card)."""
    engines = View(cfg).engines
    return {"engines": engines, "cards": {e: card(cfg, e) for e in engines}}


def base_model(cfg: dict[str, Any], engine: str) -> settings.BaseModel:
    """What a base model depends on: its spec (tiny or pinned Hub repo), arch and seed; not the
    hyperparameters (an epochs edit retrains, it does not rebuild the base)."""
    return settings.BaseModel.from_config(cfg, engine)


def train(cfg: dict[str, Any], engine: str) -> settings.Train:
    """engines.<engine> minus resources, its production base, the seed."""
    return settings.Train.from_config(cfg, engine)


def report_datasets(cfg: dict[str, Any]) -> dict[str, Any]:
    keys = ("hub", "path", "license", "engines", "columns")
    return {
        "datasets": {
            ds: {k: spec[k] for k in keys if k in spec} for ds, spec in cfg["datasets"].items()
        }
    }


# The ingest job's environment variable that carries transport() (set in rules/common.smk).
TRANSPORT_ENV = "FOUNDRY_HUB_TRANSPORT"


def transport(cfg: dict[str, Any]) -> dict[str, Any]:
    """Hub retry/timeout settings: how to fetch, never what (so never a rerun trigger)."""
    return dict(cfg["hub"])


def trained(cfg: dict[str, Any]) -> list[str]:
    """Trainable engines that some configured dataset feeds."""
    return [e for e in engines.TRAINED if e in View(cfg).engines]


def deploy(cfg: dict[str, Any], engine: str) -> settings.Deploy:
    """Gate, shadow and promotion of one engine: ``deploy:`` (defaults from the schema) with
    ``deploy.engines.<engine>:`` over it, its gate kind and thresholds, the traffic share."""
    return settings.Deploy.from_config(cfg, engine)
