"""What a task module hands back to the runner, and the shared classifier train/evaluate path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from foundry import engines
from foundry.train import common
from foundry.train.data import inputs_of, references
from foundry.train.metrics import classification_metrics, majority_baseline


@dataclass
class Context:
    """Everything a task needs: settings, the engine's split rows, its base model folder."""

    engine: str
    settings: common.Settings
    rows: dict[str, list[dict[str, Any]]]
    labels: dict[str, Any]
    base_dir: Path
    base_meta: dict[str, Any]
    device: torch.device
    board: common.Board

    @property
    def test_inputs(self) -> list[dict[str, Any]]:
        return inputs_of(self.engine, self.rows["test"])

    @property
    def test_refs(self) -> list[str]:
        return references(self.engine, self.rows["test"])


@dataclass
class Result:
    model: Any  # the PEFT model, trained, eval mode
    processors: list[Any]  # objects with save_pretrained (tokenizer, feature extractor)
    meta: dict[str, Any]  # extra keys for the adapter's foundry.json
    predictions: list[str]  # on the test split, from the in-memory model
    metrics: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    # items left out of training on purpose: {"train": {reason: count}, "dev": {...}} + limits
    rejected: dict[str, Any] = field(default_factory=dict)


def classifier_result(
    ctx: Context,
    model: Any,
    processor: Any,
    meta: dict[str, Any],
    untrained: list[str],
    loss_on: Callable[[list[dict[str, Any]]], torch.Tensor],
    predictor_cls: type,
) -> Result:
    """Fit on train (best dev primary metric), predict test, score against untrained, majority."""
    train, dev = ctx.rows["train"], ctx.rows["dev"]
    labels = meta["labels"]
    dev_inputs, dev_refs = inputs_of(ctx.engine, dev), references(ctx.engine, dev)
    metric = engines.get(ctx.engine).metric

    def dev_fn() -> dict[str, float]:
        loss = common.mean_loss(loss_on, dev, ctx.settings.batch_size)
        preds = predictor_cls(ctx.engine, model, processor, meta).predict(dev_inputs)
        scores = classification_metrics(dev_refs, preds, labels)
        return {"loss": loss, metric: scores[metric]}

    training = common.fit(
        model,
        ctx.settings,
        len(train),
        lambda idx: loss_on([train[i] for i in idx]),
        dev_fn if dev else None,
        ctx.board,
        select=selection(ctx.engine),
    )
    preds = predictor_cls(ctx.engine, model, processor, meta).predict(ctx.test_inputs)
    refs = ctx.test_refs
    metrics = {
        "adapted": classification_metrics(refs, preds, labels),
        "untrained_base": classification_metrics(refs, untrained, labels),
        "majority_baseline": majority_baseline([r["label"] for r in train], refs, labels),
    }
    ctx.board.scalars(
        "test", {k: metrics["adapted"][k] for k in ("accuracy", "macro_f1")}, training["steps"]
    )
    procs = processor if isinstance(processor, list) else [processor]
    return Result(model, procs, meta, preds, metrics, training)


def selection(engine: str) -> tuple[str, bool]:
    """The dev metric that picks the best epoch, and whether higher is better (the registry's)."""
    eng = engines.get(engine)
    return eng.metric, eng.higher_is_better
