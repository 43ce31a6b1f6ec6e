"""The typed, frozen settings of each workflow step.

``foundry.steps`` builds one of these per job from the validated config (the only place that
reads the config for a step); the rule's ``params.settings`` is its :meth:`Params.to_params`
serialization, and the job rebuilds it with :meth:`Params.from_params`, so the step reads exactly
what Snakemake's params trigger watches. Defaults are the schema's (config/schema.json), filled
in by validation: nothing here invents a value.

Deliberately light (standard library only): the Snakefile builds these at parse time.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar

from foundry import engines
from foundry.config import def_defaults, defaults, needed_columns

P = TypeVar("P", bound="Params")


class Params:
    """Mixin of the step settings: to and from the JSON a rule's params carry."""

    def to_params(self) -> dict[str, Any]:
        """The init fields as plain JSON values (tuples as lists, nested settings as dicts)."""
        return {
            f.name: _dump(getattr(self, f.name))
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if f.init
        }

    @classmethod
    def from_params(cls: type[P], data: dict[str, Any]) -> P:
        """Rebuild from :meth:`to_params` output (``from_params(s.to_params()) == s``)."""
        hints = _hints(cls)
        fields = {f.name for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
        return cls(**{k: _load(hints[k], v) for k, v in data.items() if k in fields})


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _dump(value: Any) -> Any:
    if isinstance(value, Params):
        return value.to_params()
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    return value


def _load(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        return _load(next(a for a in typing.get_args(tp) if a is not type(None)), value)
    if isinstance(tp, type) and issubclass(tp, Params):
        return tp.from_params(value)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_load(args[0], v) for v in value)
        return tuple(_load(a, v) for a, v in zip(args, value, strict=True))
    if tp is float:
        return float(value)
    return value


# --- plan and standardize -------------------------------------------------------------------

_AUDIO = defaults("audio")


@dataclass(frozen=True)
class AudioChecks(Params):
    """Quality thresholds; names mirror the `audio.*` config keys quoted in reject details."""

    min_duration: float = _AUDIO["min_duration"]  # seconds, after standardization
    max_duration: float = _AUDIO["max_duration"]
    silence_dbfs: float = _AUDIO["silence_dbfs"]  # RMS in dBFS below which a clip is silence
    clip_fraction: float = _AUDIO["clip_fraction"]  # share of samples at |x| >= 0.999: clipping

    def __post_init__(self) -> None:
        if not (0.0 <= self.min_duration < self.max_duration):
            raise ValueError(
                f"audio checks need 0 <= min_duration < max_duration, got "
                f"{self.min_duration} and {self.max_duration}"
            )
        if not (0.0 <= self.clip_fraction <= 1.0):
            raise ValueError(f"audio clip_fraction must be in [0, 1], got {self.clip_fraction}")
        if not self.silence_dbfs <= 0.0:
            raise ValueError(f"audio silence_dbfs must be <= 0, got {self.silence_dbfs}")

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> AudioChecks:
        a = cfg["audio"]
        return cls(**{k: float(a[k]) for k in _AUDIO})


def _as_text(v: Any) -> str:
    """Filter values compare as the readers' strings (True -> 'True', 3 -> '3')."""
    return v if isinstance(v, str) else str(v)


@dataclass(frozen=True)
class Standardize(Params):
    """Plan and shard jobs of one dataset: its mapping and options, text checks, and the audio
    checks and quality gates where one of its engines takes audio (``checks`` None otherwise,
    so a text dataset does not rerun for an audio setting)."""

    dataset: str
    columns: dict[str, str]
    engines: tuple[str, ...]
    shards: int
    checks: AudioChecks | None
    min_malayalam_ratio: float
    filter: tuple[tuple[str, tuple[str, ...]], ...] = ()
    label_map: tuple[tuple[str, str | None], ...] = ()
    metadata: tuple[str, ...] = ()
    quality: dict[str, Any] = field(default_factory=dict)
    # the column roles its engines need, worked out once: the stages ask for every item
    roles: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        needed = {c for e in self.engines for c in needed_columns(e, self.columns)}
        object.__setattr__(self, "roles", frozenset(needed))

    @classmethod
    def from_config(cls, cfg: dict[str, Any], ds: str) -> Standardize:
        spec = cfg["datasets"][ds]
        takes_audio = any(engines.get(e).is_audio for e in spec["engines"])
        flt = []
        for col, allowed in sorted((spec.get("filter") or {}).items()):
            values = allowed if isinstance(allowed, list) else [allowed]
            flt.append((col, tuple(sorted({_as_text(v) for v in values}))))
        return cls(
            dataset=ds,
            columns=dict(spec["columns"]),
            engines=tuple(spec["engines"]),
            shards=int(spec["shards"] if "shards" in spec else cfg["default_shards"]),
            checks=AudioChecks.from_config(cfg) if takes_audio else None,
            min_malayalam_ratio=float(cfg["text"]["min_malayalam_ratio"]),
            filter=tuple(flt),
            label_map=tuple(sorted((spec.get("label_map") or {}).items())),
            metadata=tuple(spec.get("metadata") or ()),
            # the language gate is its own job (language_id, then merge): not a re-decode trigger
            quality=(
                {k: v for k, v in cfg["quality"].items() if k != "language"} if takes_audio else {}
            ),
        )

    def needs(self, role: str) -> bool:
        return role in self.roles

    @property
    def fields(self) -> tuple[str, ...]:
        """Extra columns the steps read: filter columns and carried metadata."""
        return tuple(sorted({c for c, _ in self.filter} | set(self.metadata)))

    def filtered_out(self, item: Any) -> str | None:
        """Why the row filter drops this item (None when it is kept)."""
        for col, allowed in self.filter:
            value = item.fields.get(col)
            if value not in allowed:
                return f"{col}={value!r} is not in the filter {list(allowed)}"
        return None

    def map_label(self, label: str | None) -> tuple[str | None, bool]:
        """(label after label_map, dropped?)."""
        if label is None:
            return None, False
        table = dict(self.label_map)
        key = label.strip()
        if key in table:
            return table[key], table[key] is None
        return key, False


# --- allocate -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source(Params):
    """One dataset feeding an engine, as its splits see it."""

    name: str
    keep_splits: bool
    split_map: dict[str, str | None] | None = None


@dataclass(frozen=True)
class Allocate(Params):
    """Splits of one engine: its sources and their split options, split ratios and salt, the
    class cap where the engine is balanced, the region table where it labels by region."""

    engine: str
    sources: tuple[Source, ...]
    ratios: dict[str, float]
    salt: str
    max_class_ratio: float | None = None  # None: the engine is not balanced
    dialect_map: dict[str, list[str]] | None = None

    @classmethod
    def from_config(cls, cfg: dict[str, Any], engine: str) -> Allocate:
        sources = tuple(
            Source(ds, bool(spec["keep_splits"]), spec.get("split_map"))
            for ds, spec in sorted(cfg["datasets"].items())
            if engine in spec["engines"]
        )
        balanced = engine in cfg["balance"]["engines"]
        return cls(
            engine=engine,
            sources=sources,
            ratios={k: float(v) for k, v in cfg["splits"]["ratios"].items()},
            salt=str(cfg["splits"]["salt"]),
            max_class_ratio=float(cfg["balance"]["max_class_ratio"]) if balanced else None,
            dialect_map=cfg["dialect_map"] if engines.get(engine).regions else None,
        )

    @property
    def datasets(self) -> list[str]:
        return [s.name for s in self.sources]


# --- base model and training ----------------------------------------------------------------


def _engine_spec(cfg: dict[str, Any], engine: str) -> dict[str, Any]:
    """engines.<engine> (schema defaults filled) minus resources, its production base from
    ``models.<engine>`` when set, and a tiny base's dimensions filled from the schema."""
    spec = dict(cfg["engines"].get(engine) or def_defaults("engine"))
    spec.pop("resources", None)
    if engine in (cfg.get("models") or {}):  # production: models.<engine>: {hub, revision}
        spec["base"] = cfg["models"][engine]
    if "tiny" in spec["base"]:
        spec["base"] = {"tiny": {**def_defaults("tiny_base"), **spec["base"]["tiny"]}}
    return spec


@dataclass(frozen=True)
class BaseModel(Params):
    """What a base model depends on: its spec (tiny, packaged or a pinned Hub repo), the
    architecture and seed; not the hyperparameters (an epochs edit retrains, it does not
    rebuild the base)."""

    engine: str
    base: dict[str, Any]
    seed: int
    arch: str | None = None

    @classmethod
    def from_config(cls, cfg: dict[str, Any], engine: str) -> BaseModel:
        spec = _engine_spec(cfg, engine)
        seed = int(spec["seed"] if "seed" in spec else cfg["seed"])
        return cls(engine, spec["base"], seed, spec.get("arch"))

    @property
    def reads_splits(self) -> bool:
        """Built from the engine's training text (a tiny base's vocabulary); a Hub or packaged
        base is not, so it is fetched before the splits exist."""
        return "tiny" in self.base


@dataclass(frozen=True)
class Train(Params):
    """One engine's training: its hyperparameters (``engines.<engine>``, defaults filled),
    its base, the seed. ``threads`` is the job's core count, not a setting (never in params)."""

    engine: str
    raw: dict[str, Any]
    seed: int
    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    warmup_ratio: float
    max_grad_norm: float
    lora: dict[str, Any]
    threads: int = field(default=2, compare=False)

    @classmethod
    def from_config(cls, cfg: dict[str, Any], engine: str) -> Train:
        raw = _engine_spec(cfg, engine)
        return cls(
            engine=engine,
            raw=raw,
            seed=int(raw["seed"] if "seed" in raw else cfg["seed"]),
            epochs=int(raw["epochs"]),
            batch_size=int(raw["batch_size"]),
            lr=float(raw["lr"]),
            weight_decay=float(raw["weight_decay"]),
            warmup_ratio=float(raw["warmup_ratio"]),
            max_grad_norm=float(raw["max_grad_norm"]),
            lora=dict(raw["lora"]),
        )

    def to_params(self) -> dict[str, Any]:
        out = super().to_params()
        out.pop("threads")
        return out

    def get(self, key: str, default: Any = None) -> Any:
        """A per-engine key the schema leaves optional (arch, language, freeze_encoder)."""
        return self.raw.get(key, default)


# --- deploy ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deploy(Params):
    """Gate, shadow and promotion of one engine: ``deploy:`` with ``deploy.engines.<engine>:``
    over it, the thresholds of its own gate kind, the traffic share, and the request checks
    the shadow replay applies as ``foundry serve --config`` does."""

    engine: str
    kind: str
    gate: dict[str, Any]
    gate_channel: str
    channel: dict[str, Any]
    bootstrap: dict[str, Any]
    shadow: dict[str, Any]
    min_test_samples: int
    replay_split: str
    test_split: str
    batch_size: int
    max_prediction_mismatch: float
    traffic_percentage: float
    request_limits: dict[str, Any]

    @classmethod
    def from_config(cls, cfg: dict[str, Any], engine: str) -> Deploy:
        dep = {k: v for k, v in cfg["deploy"].items() if k != "engines"}
        merged = _merge(dep, (cfg["deploy"].get("engines") or {}).get(engine, {}))
        eng = engines.get(engine)
        kind = eng.gate or engines.GATE_CLASSIFIER
        bootstrap = dict(merged["bootstrap"])
        if bootstrap["seed"] is None:
            bootstrap["seed"] = int(cfg["seed"])
        return cls(
            engine=engine,
            kind=kind,
            gate=dict(merged["thresholds"][kind]),  # only its own kind's
            # text engines have no channel to judge on
            gate_channel=merged["gate_channel"] if eng.is_audio else "clean",
            channel=dict(merged["channel"]),
            bootstrap=bootstrap,
            shadow=dict(merged["shadow"]),
            min_test_samples=int(merged["min_test_samples"]),
            replay_split=str(merged["replay_split"]),
            test_split=str(merged["test_split"]),
            batch_size=int(merged["batch_size"]),
            max_prediction_mismatch=float(merged["max_prediction_mismatch"]),
            traffic_percentage=float(cfg["traffic_percentage"]),
            request_limits={
                "audio": cfg["audio"],
                "text": {"min_malayalam_ratio": cfg["text"]["min_malayalam_ratio"]},
                "serve": {"limits": cfg["serve"]["limits"]},
            },
        )


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out
