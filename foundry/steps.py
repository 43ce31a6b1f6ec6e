"""Each workflow step's settings: one function per step, passed to the rule as ``params``.

A step reads only what its function returns (plus its input files), so Snakemake's params rerun
trigger watches exactly what the code uses: a licence edit rewrites that engine's data card and
nothing else; re-sorting the config with the same values reruns nothing (the params are canonical
JSON with sorted keys). Each function returns a config *slice* with the shape of the full config,
so the package functions that take a config take the slice unchanged.

Deliberately not rerun triggers: ``hub.*`` (retries and timeouts change how a download is
fetched, never what it holds: read with :func:`transport`), ``engines.*.resources`` (scheduling)
and ``serve.*`` (the service, not the workflow) except ``serve.limits``, which the deploy step's
shadow replay applies as ``foundry serve --config`` does.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from foundry import engines
from foundry.config import View

# The dataset keys plan and standardize read (silver.shards.Settings); where the files come from
# reaches them through the raw manifest (an input), and the split keys are allocate's.
_SILVER_KEYS = ("columns", "engines", "filter", "label_map", "metadata")


def encode(settings: dict[str, Any]) -> str:
    """Canonical params: key order in the config never matters."""
    return json.dumps(settings, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def decode(params: str) -> dict[str, Any]:
    return json.loads(params)


def _data_spec(cfg: dict[str, Any], ds: str) -> dict[str, Any]:
    spec = {k: v for k, v in cfg["datasets"][ds].items() if k in _SILVER_KEYS}
    spec["shards"] = View(cfg).shards(ds)
    return spec


def ingest(cfg: dict[str, Any], ds: str) -> dict[str, Any]:
    """What identifies the files to fetch: source, revision, config, file selection."""
    spec = cfg["datasets"][ds]
    keys = ("hub", "revision", "path", "config", "data_files", "extra_files")
    return {"datasets": {ds: {k: spec[k] for k in keys if k in spec}}}


def standardize(cfg: dict[str, Any], ds: str) -> dict[str, Any]:
    """Plan and shard jobs: the dataset's mapping and options, text checks, and the audio checks
    where one of its engines takes audio (a text dataset does not rerun for an audio setting)."""
    out = {"datasets": {ds: _data_spec(cfg, ds)}, "text": cfg["text"]}
    if any(engines.get(e).is_audio for e in cfg["datasets"][ds]["engines"]):
        out["audio"] = cfg["audio"]
        # the language gate is its own job (language_id, then merge): not a re-decode trigger
        out["quality"] = {k: v for k, v in cfg["quality"].items() if k != "language"}
    return out


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


def allocate(cfg: dict[str, Any], engine: str) -> dict[str, Any]:
    """Splits of one engine: which datasets feed it, their split options, split and balance."""
    view = View(cfg)
    keys = ("engines", "keep_splits", "split_map")
    datasets = {
        ds: {k: cfg["datasets"][ds][k] for k in keys if k in cfg["datasets"][ds]}
        for ds in view.engine_datasets(engine)
    }
    out: dict[str, Any] = {"datasets": datasets, "splits": cfg["splits"]}
    out["balance"] = cfg["balance"] if engine in cfg["balance"]["engines"] else {"engines": []}
    if engines.get(engine).regions:
        out["dialect_map"] = cfg["dialect_map"]
    return out


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


def _model_spec(cfg: dict[str, Any], engine: str) -> dict[str, Any]:
    spec = dict((cfg.get("engines") or {}).get(engine, {}))
    spec.pop("resources", None)
    out: dict[str, Any] = {"engines": {engine: spec}, "seed": cfg["seed"]}
    if engine in (cfg.get("models") or {}):
        out["models"] = {engine: cfg["models"][engine]}
    return out


def base_model(cfg: dict[str, Any], engine: str) -> dict[str, Any]:
    """What a base model depends on: its spec (tiny or pinned Hub repo), arch and seed; not the
    hyperparameters (an epochs edit retrains, it does not rebuild the base)."""
    full = _model_spec(cfg, engine)
    spec = full["engines"][engine]
    full["engines"][engine] = {k: spec[k] for k in ("base", "arch", "seed") if k in spec}
    return full


def base_reads_splits(settings: dict[str, Any], engine: str) -> bool:
    """Whether the base is built from the engine's training text (a tiny plumbing-check base's
    vocabulary). A Hub or packaged base is not, so it is fetched before the splits exist.
    ``settings``: what ``base_model`` returns."""
    if engine in (settings.get("models") or {}):
        return False
    base = settings["engines"][engine].get("base") or {"tiny": {}}
    return "tiny" in base


def train(cfg: dict[str, Any], engine: str) -> dict[str, Any]:
    """engines.<engine> minus resources, its production base, the seed."""
    return _model_spec(cfg, engine)


def report_datasets(cfg: dict[str, Any]) -> dict[str, Any]:
    keys = ("hub", "path", "license", "engines", "columns")
    return {
        "datasets": {
            ds: {k: spec[k] for k in keys if k in spec} for ds, spec in cfg["datasets"].items()
        }
    }


# The ingest job's environment variable that carries transport() (set in rules/common.smk).
TRANSPORT_ENV = "FOUNDRY_HUB_TRANSPORT"


def transport(config: dict[str, Any]) -> dict[str, Any]:
    """Hub retry/timeout settings: how to fetch, never what (so never a rerun trigger)."""
    return dict(config.get("hub") or {})


def trained(cfg: dict[str, Any]) -> list[str]:
    """Trainable engines that some configured dataset feeds."""
    return [e for e in engines.TRAINED if e in View(cfg).engines]


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def deploy(cfg: dict[str, Any], engine: str) -> dict[str, Any]:
    """Gate, shadow and promotion of one engine: ``deploy:`` (defaults from the schema) with
    ``deploy.engines.<engine>:`` over it, its gate kind and thresholds, the traffic share."""
    dep = copy.deepcopy(cfg["deploy"])
    merged = _merge(dep, (dep.pop("engines", None) or {}).get(engine, {}))
    eng = engines.get(engine)
    merged["kind"] = eng.gate or engines.GATE_CLASSIFIER
    if not eng.is_audio:  # text engines have no channel to judge on
        merged["gate_channel"] = "clean"
    merged["gate"] = merged.pop("thresholds")[merged["kind"]]  # only its own kind's
    merged["traffic_percentage"] = float(cfg["traffic_percentage"])
    if merged["bootstrap"]["seed"] is None:
        merged["bootstrap"]["seed"] = int(cfg["seed"])
    # the shadow replay serves the dev split with the request checks `foundry serve` applies
    merged["request_limits"] = {
        "audio": cfg["audio"],
        "text": {"min_malayalam_ratio": cfg["text"]["min_malayalam_ratio"]},
        "serve": {"limits": cfg["serve"]["limits"]},
    }
    return merged
