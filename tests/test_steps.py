"""Every config key reaches exactly the steps that read it (foundry/steps.py).

The walk changes one leaf of the validated demo config at a time, recomputes every step's params
(each dataset's and each engine's), and compares which steps changed with READERS. Snakemake's
params trigger reruns exactly those jobs (tests/end_to_end/test_rerun_triggers.py runs a few).
"""

from __future__ import annotations

import copy
import fnmatch
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from workflow import ROOT

from foundry import config, engines, steps
from foundry.deploy.settings import Serve

# key pattern -> the steps whose params it must change; the first match wins.
READERS: list[tuple[str, set[str]]] = [
    ("seed", {"base_model", "train"}),
    ("default_shards", {"standardize", "language_id", "merge"}),
    # deploy: the shadow replay's request checks; serve: `foundry serve --config` applies them
    ("audio.*", {"standardize", "deploy", "serve"}),
    ("text.min_malayalam_ratio", {"standardize", "deploy", "serve"}),
    ("quality.language.enabled", {"merge"}),
    ("quality.language.window_seconds", {"language_id"}),
    # the verdict's settings re-merge only where the language gate is on (off in the demo)
    ("quality.language.*", set()),
    ("quality.*", {"standardize"}),
    ("splits.*", {"allocate"}),
    ("balance.*", {"allocate"}),
    ("engines.*.resources.*", set()),  # scheduling, not results
    ("engines.*.base.*", {"base_model", "train"}),
    ("engines.*.arch", {"base_model", "train"}),
    ("engines.*", {"train"}),
    ("deploy.*", {"deploy"}),
    ("traffic_percentage", {"deploy"}),
    ("serve.limits*", {"deploy", "serve"}),
    ("serve.*", {"serve"}),  # the running service's own settings
    ("hub.*", set()),  # how a download is fetched, never what it holds
    ("lockfile", set()),  # the lock's commits reach ingest through rules/common.smk
    ("report*", set()),
    ("datasets.*.description", {"card", "publish"}),
    ("datasets.*.license", {"card", "publish", "report_datasets"}),
    ("datasets.*.path", {"card", "ingest", "publish", "report_datasets"}),
    ("datasets.*.hub", {"card", "ingest", "publish", "report_datasets"}),
    ("datasets.*.revision", {"ingest"}),
    ("datasets.*.config", {"ingest"}),
    ("datasets.*.data_files", {"ingest"}),
    ("datasets.*.extra_files", {"ingest"}),
    ("datasets.*.columns.*", {"standardize", "report_datasets"}),
    ("datasets.*.engines", {"standardize", "allocate", "card", "publish", "report_datasets"}),
    ("datasets.*.shards", {"standardize", "language_id", "merge"}),
    ("datasets.*.keep_splits", {"allocate"}),
    ("datasets.*.split_map*", {"allocate"}),
    ("datasets.*.filter*", {"standardize"}),
    ("datasets.*.label_map*", {"standardize"}),
    ("datasets.*.metadata", {"standardize"}),
    ("dialect_map.*", {"allocate"}),  # district -> region: the dialect engine's labels
]
PER_DATASET = ("ingest", "standardize", "language_id", "merge")
PER_ENGINE = ("allocate", "card", "base_model", "train", "deploy")


def leaves(d: dict[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple, Any]]:
    for k, v in d.items():
        if isinstance(v, dict) and v:
            yield from leaves(v, (*prefix, k))
        else:
            yield (*prefix, k), v


def changed(v: Any) -> Any:
    """Another valid value of the same type (None: the leaf cannot be changed in place)."""
    if isinstance(v, bool):
        return not v
    if isinstance(v, int):
        return v + 1
    if isinstance(v, float):
        return v * 0.9 if v else 0.5
    if isinstance(v, str):
        return v + "x"
    if isinstance(v, list) and v and set(v) <= set(engines.NAMES):  # one engine more
        return [*v, next(e for e in engines.NAMES if e not in v)]
    if isinstance(v, list):
        return v[:-1] if len(v) > 1 else [*v, f"{v[0]}x"] if v else None
    return None


def all_params(cfg: dict[str, Any]) -> dict[tuple[str, str], str]:
    out = {}
    for ds in sorted(cfg["datasets"]):
        for name in PER_DATASET:
            out[name, ds] = steps.encode(getattr(steps, name)(cfg, ds))
    for e in engines.NAMES:
        for name in PER_ENGINE:
            try:
                out[name, e] = steps.encode(getattr(steps, name)(cfg, e))
            except KeyError:  # an engine without a trainer or a gate has no such step
                out[name, e] = "-"
    out["publish", ""] = steps.encode(steps.publish(cfg))
    out["report_datasets", ""] = steps.encode(steps.report_datasets(cfg))
    out["serve", ""] = repr(Serve.from_config(cfg))  # not a rule: `foundry serve --config`
    return out


def readers(key: str) -> set[str]:
    for pattern, names in READERS:
        if fnmatch.fnmatchcase(key, pattern):
            return names
    raise AssertionError(f"config key {key!r} has no entry in READERS: say which steps read it")


def steps_changed(base: dict[str, Any], edit) -> set[str]:
    cfg = copy.deepcopy(base)
    edit(cfg)
    before, after = all_params(base), all_params(cfg)
    return {name for name, _ in before if before[name, _] != after[name, _]}


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    raw = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
    return config.validate(raw)


def test_every_config_key_reaches_exactly_its_readers(demo):
    wrong, walked = [], 0
    for path, value in leaves(demo):
        new = changed(value)
        if new is None:
            continue

        def edit(cfg, path=path, new=new):
            d = cfg
            for k in path[:-1]:
                d = d[k]
            d[path[-1]] = new

        key = ".".join(path)
        got, want = steps_changed(demo, edit), readers(key)
        walked += 1
        if got != want:
            wrong.append(f"{key}: changes {sorted(got)}, READERS says {sorted(want)}")
    assert walked > 150 and wrong == []


def setter(key: str, value: Any):
    """An edit that sets one dotted key (creating its parents) to value."""

    def edit(cfg: dict[str, Any]) -> None:
        *path, last = key.split(".")
        for k in path:
            cfg = cfg.setdefault(k, {})
        cfg[last] = value

    return edit


@pytest.mark.parametrize(
    "key, value, want",
    [
        ("datasets.demo_massive.split_map", {"validation": "test"}, {"allocate"}),
        ("serve.limits.max_text_chars", 100, {"deploy", "serve"}),
        ("serve.limits.min_audio_seconds", 0.5, {"deploy", "serve"}),
        ("datasets.demo_massive.keep_splits", False, {"allocate"}),
        ("deploy.thresholds.classifier.min_macro_f1", 0.3, {"deploy"}),
        ("deploy.engines.intent", {"min_test_samples": 5}, {"deploy"}),
        ("datasets.demo_speech.filter", {"gender": "female"}, {"standardize"}),
        ("serve.threads", 2, {"serve"}),
    ],
)
def test_keys_the_demo_leaves_empty(demo, key, value, want):
    assert steps_changed(demo, setter(key, value)) == want, key


def test_reordered_keys_change_nothing(demo):
    def reverse(d: Any) -> Any:
        return {k: reverse(d[k]) for k in reversed(list(d))} if isinstance(d, dict) else d

    assert all_params(reverse(demo)) == all_params(demo)
