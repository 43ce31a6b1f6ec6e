"""Rerun triggers tell the truth: each config key reruns exactly the jobs whose step reads it.

Each step reads only its params (foundry.steps), so a dry run after one config edit lists just the
jobs that use that key; re-sorting the config with the same values reruns nothing.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from workflow import planned_jobs

pytestmark = pytest.mark.slow


def reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: reversed_keys(value[k]) for k in reversed(list(value))}
    return value


def edit(cfg: dict, key: str, value: Any) -> None:
    *path, last = key.split(".")
    for k in path:
        cfg = cfg.setdefault(k, {})
    cfg[last] = value


CASES: list[tuple[str, Callable[[dict], None], dict[str, int]]] = [
    ("reordered", lambda c: c, {}),
    ("licence", lambda c: edit(c, "datasets.demo_massive.license", "cc-by-4.0"), {"card": 1}),
    (
        "description",
        lambda c: edit(c, "datasets.demo_sentiment.description", "new words"),
        {"card": 1},
    ),
    ("salt", lambda c: edit(c, "splits.salt", "other"), {"allocate": 5, "card": 5}),
    (
        "balance",
        lambda c: edit(c, "balance.max_class_ratio", 2.0),
        {"allocate": 2, "card": 2},  # intent and sentiment only
    ),
    (
        "audio check",
        lambda c: edit(c, "audio.min_duration", 0.4),
        # the two speech datasets (2 shards each) and the engines they feed; text ones untouched
        {"plan": 2, "standardize": 4, "merge_silver": 2, "allocate": 2, "card": 2},
    ),
    (
        "one dataset's filter",
        lambda c: edit(c, "datasets.demo_indicst.filter", {"task": ["asr", "st"]}),
        {"plan": 1, "standardize": 1, "merge_silver": 1, "allocate": 1, "card": 1},
    ),
    (
        "label map",
        lambda c: edit(c, "datasets.demo_sentiment.label_map", {"Mixed feelings": None}),
        {"plan": 1, "standardize": 1, "merge_silver": 1, "allocate": 1, "card": 1},
    ),
    # upstream split handling is allocate's alone: no shard is decoded again
    (
        "split map",
        lambda c: edit(c, "datasets.demo_massive.split_map", {"validation": "test"}),
        {"allocate": 1, "card": 1},
    ),
    (
        "keep splits",
        lambda c: edit(c, "datasets.demo_massive.keep_splits", False),
        {"allocate": 1, "card": 1},
    ),
    ("hub transport", lambda c: edit(c, "hub.timeout_seconds", 5), {}),
    ("training only", lambda c: edit(c, "engines.intent.epochs", 3), {}),
    ("serve limits", lambda c: edit(c, "serve", {"limits": {"max_text_chars": 100}}), {}),
]


@pytest.mark.parametrize("name,change,expected", CASES, ids=[c[0] for c in CASES])
def test_one_config_edit_reruns_exactly_its_readers(demo_gold, tmp_path, name, change, expected):
    proj = tmp_path / "p"
    shutil.copytree(demo_gold, proj, symlinks=True)
    path = proj / "config/config.yaml"
    cfg = reversed_keys(yaml.safe_load(path.read_text(encoding="utf-8")))
    change(cfg)
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    jobs = planned_jobs(proj, "gold/")
    want = Counter(expected)
    if want:
        want["gold"] = 1  # gold/ republishes whatever changed below it
    assert jobs == want, name


DEPLOY_CASES: list[tuple[str, Callable[[dict], None], dict[str, int]]] = [
    ("unchanged", lambda c: c, {}),
    ("every engine's gate", lambda c: edit(c, "deploy.min_test_samples", 25), {"deploy_engine": 4}),
    (
        "the stt threshold",
        lambda c: edit(c, "deploy.thresholds", {"stt": {"max_cer_increase": 1.0}}),
        {"deploy_engine": 1},
    ),
    (
        "one engine's override",
        lambda c: edit(c, "deploy.engines.intent", {"min_test_samples": 5}),
        {"deploy_engine": 1},
    ),
    ("traffic share", lambda c: edit(c, "traffic_percentage", 25), {"deploy_engine": 4}),
    # the shadow replay serves with the configured request checks, so they re-judge every engine
    (
        "serve limits",
        lambda c: edit(c, "serve", {"limits": {"max_text_chars": 100}}),
        {"deploy_engine": 4},
    ),
    ("serve threads", lambda c: edit(c, "serve", {"threads": 2}), {}),
    ("training only", lambda c: edit(c, "engines.intent.epochs", 3), {"train": 1}),
]


@pytest.mark.parametrize("name,change,expected", DEPLOY_CASES, ids=[c[0] for c in DEPLOY_CASES])
def test_one_deploy_edit_redeploys_exactly_its_readers(
    readme_build, tmp_path, name, change, expected
):
    """On the README's deployed build: a dry run with the edited config (--configfile, so the
    shared build is not touched) plans only the deploy jobs that read the key."""
    proj = readme_build.project
    cfg = yaml.safe_load((proj / "config/config.yaml").read_text(encoding="utf-8"))
    change(cfg)
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    jobs = planned_jobs(proj, "deploy", "--configfile", str(edited))
    want = Counter(expected)
    if want:
        want["deploy"] = 1
    if "train" in want:
        want.update({"deploy_engine": 1})  # the retrained engine is judged again
    assert jobs == want, name
