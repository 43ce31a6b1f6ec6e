"""What the deploy rules ask of the config (kept here so rules/deploy.smk stays declarative)."""

from __future__ import annotations

from typing import Any

from foundry import paths, steps
from foundry.config import View


def engines(view: View) -> list[str]:
    """Engines that are configured, trained and served (``text`` only adapts an encoder)."""
    return [e for e in view.engines if e in paths.TRAIN_ENGINES and e in paths.DEPLOY_ENGINES]


def decisions(view: View) -> list[str]:
    return [paths.deploy_decision(e) for e in engines(view)]


def inputs(cfg: dict[str, Any], engine: str) -> dict[str, str]:
    """The trained adapter + base, its metrics, and the gate's test and shadow replay splits."""
    opts = steps.deploy(cfg, engine)
    return {
        "adapter": paths.adapter_dir(engine),
        "base": paths.base_model_dir(engine),
        "metrics": paths.metrics(engine),
        "predictions": paths.test_predictions(engine),
        "labels": paths.split_labels(engine),
        "test": paths.split_file(engine, opts.test_split),
        "replay": paths.split_file(engine, opts.replay_split),
    }
