"""Config access: load, validate against config/schema.json, fill defaults, answer questions.

Validation happens before any job runs (Snakefile calls ``validate`` at parse time), and every
error names the offending key path so a user knows exactly what to edit.
"""

from __future__ import annotations

import copy
import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foundry import dialects, engines, paths
from foundry.errors import UserError

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "config" / "schema.json"


class ConfigError(ValueError, UserError):
    """The config is wrong; the message names the key and what to do."""


@functools.cache
def _schema() -> dict[str, Any]:
    """config/schema.json, read once per process (never mutated: defaults are deep-copied)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _key_path(parts: Any) -> str:
    return ".".join(str(p) for p in parts) or "<top level>"


def _fill_defaults(schema: dict[str, Any], data: dict[str, Any], root: dict[str, Any]) -> None:
    for key, sub in schema.get("properties", {}).items():
        if "$ref" in sub:
            sub = root["$defs"][sub["$ref"].split("/")[-1]]
        if key not in data and "default" in sub:
            data[key] = copy.deepcopy(sub["default"])
        if key not in data and sub.get("type") == "object" and "properties" in sub:
            data[key] = {}
        if isinstance(data.get(key), dict):
            _fill_defaults(sub, data[key], root)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        if "$ref" in extra:
            extra = root["$defs"][extra["$ref"].split("/")[-1]]
        for key, value in data.items():
            if key not in schema.get("properties", {}) and isinstance(value, dict):
                _fill_defaults(extra, value, root)


@functools.cache
def _defaults(name: str | None = None) -> dict[str, Any]:
    """The schema's defaults, of the whole config or of one ``$defs`` entry (computed once)."""
    schema = _schema()
    data: dict[str, Any] = {}
    _fill_defaults(schema if name is None else schema["$defs"][name], data, schema)
    return data


def defaults(*keys: str) -> Any:
    """The schema's default at a key path (``defaults("audio")``, ``defaults("serve", "limits")``):
    the one place a default lives, so a dataclass field that mirrors a config key takes it
    from here instead of repeating the number."""
    node: Any = _defaults()
    for k in keys:
        node = node[k]
    return copy.deepcopy(node)


def def_defaults(name: str) -> dict[str, Any]:
    """Defaults of a ``$defs`` entry of the schema (one engine's settings, a tiny base)."""
    return copy.deepcopy(_defaults(name))


SHOWN_ERRORS = 10  # a config with more wrong keys is told how many more there are


def _non_finite(node: Any, path: tuple[str, ...] = ()) -> list[tuple[str, float]]:
    """(key, value) of every NaN or infinite number: YAML's .nan passes any schema bound (every
    comparison with NaN is false) and would only fail deep inside a step."""
    if isinstance(node, float) and not math.isfinite(node):
        return [(".".join(path), node)]
    if isinstance(node, dict):
        return [hit for k, v in node.items() for hit in _non_finite(v, (*path, str(k)))]
    if isinstance(node, list):
        return [hit for i, v in enumerate(node) for hit in _non_finite(v, (*path, str(i)))]
    return []


def validate(raw: dict[str, Any]) -> dict[str, Any]:
    """Return a validated copy of ``raw`` with defaults filled in, or raise ConfigError."""
    import jsonschema

    schema = _schema()
    data = copy.deepcopy(dict(raw))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    lines = [f"config key '{k}': must be a finite number, got {v}" for k, v in _non_finite(data)]
    if errors or lines:
        shown = errors[: max(0, SHOWN_ERRORS - len(lines))]
        for err in shown:
            where = _key_path(err.absolute_path)
            msg = err.message
            if err.validator == "additionalProperties":
                allowed = sorted(err.schema.get("properties", {}))
                msg += f"; allowed keys here: {', '.join(allowed)}"
            elif (
                err.validator == "oneOf"
                and err.absolute_path
                and err.absolute_path[0] == "datasets"
            ):
                msg = "a dataset needs exactly one of 'hub:' (repo id) or 'path:' (folder)"
            lines.append(f"config key '{where}': {msg}")
        if len(errors) > len(shown):
            lines.append(f"… and {len(errors) - len(shown)} more (fix these and validate again)")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))
    # every trained engine a dataset feeds has its settings, so the schema's defaults reach it
    fed = {e for ds in data["datasets"].values() for e in ds["engines"]}
    trained = data.setdefault("engines", {})
    for e in engines.TRAINED:
        if e in fed:
            trained.setdefault(e, {})
    _fill_defaults(schema, data, schema)
    if "dialect_map" not in data:
        data["dialect_map"] = dialects.default_map()
    _check_semantics(data)
    return data


def needed_columns(engine: str, columns: dict[str, str]) -> list[str]:
    """Column roles an engine needs; dialect takes its label from a district column if mapped."""
    return list(engines.columns_for(engine, columns))


def _check_semantics(cfg: dict[str, Any]) -> None:
    ratios = cfg["splits"]["ratios"]
    total = sum(ratios.values())
    if abs(total - 1.0) > 1e-6:
        raise ConfigError(
            f"config key 'splits.ratios': train+dev+test must sum to 1, got {total:g}"
        )
    if cfg["audio"]["min_duration"] >= cfg["audio"]["max_duration"]:
        raise ConfigError("config key 'audio.min_duration': must be below audio.max_duration")
    for name, ds in cfg["datasets"].items():
        if "path" in ds and not Path(ds["path"]).is_dir():
            raise ConfigError(
                f"config key 'datasets.{name}.path': folder {ds['path']} does not exist (relative "
                "paths are read from the workflow directory); fix the path or use hub: <org/name>"
            )
        for engine in ds["engines"]:
            missing = [c for c in needed_columns(engine, ds["columns"]) if c not in ds["columns"]]
            if missing:
                raise ConfigError(
                    f"config key 'datasets.{name}.columns': engine '{engine}' needs column "
                    f"mapping(s) {missing}; map the dataset's own column names, e.g. "
                    f"columns: {{{missing[0]}: <column in the dataset>}}"
                )
        if any(engines.get(e).regions for e in ds["engines"]) and not cfg.get("dialect_map"):
            raise ConfigError(
                f"config key 'dialect_map': dataset '{name}' feeds the dialect engine, so map "
                "each region (Travancore, Malabar, Cochin) to the labels found in the data"
            )


def load(path: str | Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Load a YAML config file and validate it."""
    import yaml  # only here: every job imports this module, few read YAML

    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file {p} does not exist") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {p} is not valid YAML: {exc}") from None
    if overrides:
        raw.update(overrides)
    return validate(raw)


@dataclass(frozen=True)
class View:
    """Read-only questions about a validated config (what Snakemake rules and steps ask)."""

    cfg: dict[str, Any]

    @property
    def datasets(self) -> list[str]:
        return sorted(self.cfg["datasets"])

    def dataset(self, name: str) -> dict[str, Any]:
        try:
            return self.cfg["datasets"][name]
        except KeyError:
            raise ConfigError(
                f"dataset '{name}' is not in config 'datasets:' (known: {', '.join(self.datasets)})"
            ) from None

    def shards(self, name: str) -> int:
        return int(self.dataset(name).get("shards", self.cfg["default_shards"]))

    def shard_ids(self, name: str) -> list[int]:
        return list(range(self.shards(name)))

    @property
    def engines(self) -> list[str]:
        """Engines fed by at least one dataset, in the canonical order."""
        used = {e for ds in self.cfg["datasets"].values() for e in ds["engines"]}
        return [e for e in paths.ENGINES if e in used]

    def engine_datasets(self, engine: str) -> list[str]:
        return [d for d in self.datasets if engine in self.cfg["datasets"][d]["engines"]]

    def language_checked(self, name: str) -> bool:
        """quality.language applies: it is on and one of the dataset's engines needs it."""
        on = self.cfg["quality"]["language"]["enabled"]
        feeds = self.dataset(name)["engines"]
        return bool(on) and self.is_audio(name) and any(engines.get(e).language_id for e in feeds)

    def is_audio(self, name: str) -> bool:
        return "audio" in self.dataset(name)["columns"]
