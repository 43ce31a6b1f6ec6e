"""Entry points the rules call: build one engine's base model; train + evaluate one engine."""

from __future__ import annotations

import importlib
import json
import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from foundry import engines, integrity, paths
from foundry.atomic import atomic_dir, sha256_file, write_json
from foundry.gold import splits
from foundry.settings import BaseModel, Train
from foundry.train import base as base_mod
from foundry.train import card, channel, common
from foundry.train.data import read_labels, read_split, require
from foundry.train.result import Context

log = logging.getLogger("foundry.train")


def build_base_model(
    settings: BaseModel, root: str | Path = ".", hub_cfg: dict[str, Any] | None = None
) -> dict[str, Any]:
    """models/<engine>/base/: tiny (vocabulary from this engine's training text) or Hub.
    ``hub_cfg``: how to fetch (config ``hub:``), never a rerun trigger."""
    engine = settings.engine
    texts: list[str] = []
    if settings.reads_splits:
        splits.verify(engine, root, [Path(paths.split_file(engine, "train")).name])
        texts = [r["text"] for r in read_split(engine, "train", root) if r.get("text")]
    return base_mod.build_base(
        engine,
        {"base": settings.base, "arch": settings.arch},
        texts,
        Path(root) / paths.base_model_dir(engine),
        settings.seed,
        hub_cfg,
    )


def train_engine(settings: Train, root: str | Path = ".", threads: int = 2) -> dict[str, Any]:
    """Train one engine's adapter and write adapter/, metrics.json, test_predictions.json."""
    t0 = time.monotonic()
    root = Path(root)
    engine = settings.engine
    settings = replace(settings, threads=max(1, int(threads)))
    task = base_mod.task_of(engine, settings.get("arch"))
    common.seed_everything(settings.seed, settings.threads)
    base = _checked_base(root, engine, task)
    rows = {s: read_split(engine, s, root) for s in paths.SPLITS}
    require(engine, rows, ("train", "test"))
    # a configured share of the training audio goes through the telephone channel
    rows["train"] = channel.augmented(engine, settings.raw, rows["train"])
    labels = read_labels(engine, root) if task.endswith("classification") else {}
    dev = common.device()
    board = common.Board(root / paths.tensorboard_dir(engine))
    ctx = Context(engine, settings, rows, labels, base.dir, base.meta, dev, board)
    try:
        trainer = engines.get(engine).trainer
        result = importlib.import_module(f"foundry.train.{trainer}").train(ctx)
    finally:
        board.close()
    counts = common.param_counts(result.model)
    # the adapter folder is staged whole (weights, telephone scores, card) and swapped in once:
    # complete or absent, never an adapter without its card beside an old metrics.json
    with atomic_dir(root / paths.adapter_dir(engine)) as staged:
        _save_adapter(staged, engine, task, settings.seed, base, result)
        metrics = {
            **_header(ctx, task),
            **counts,
            **_sizes(staged, base.dir),
            **result.metrics,
            **({"rejected": result.rejected} if result.rejected else {}),
            "training": result.training,
            "wall_time_s": round(time.monotonic() - t0, 2),
        }
        if engines.get(engine).is_audio:  # the same test split, heard through the telephone
            _telephone_scores(staged, engine, base.dir, rows["test"], settings.raw, labels, metrics)
        adapter_files = _write_card(staged, engine, base, rows, metrics)
    _write_predictions(root, engine, task, [r["id"] for r in rows["test"]], result.predictions)
    _write_record(root, engine, base, adapter_files, metrics)
    log.info("%s: %s", engine, {k: metrics[k] for k in ("adapted", "untrained_base")})
    return metrics


def _header(ctx: Context, task: str) -> dict[str, Any]:
    """What was trained, on what, how: the head of metrics.json."""
    meta, rows = ctx.base_meta, ctx.rows
    return {
        "engine": ctx.engine,
        "task": task,
        "plumbing_check": bool(meta.get("plumbing_check")),
        "base": {
            k: meta.get(k)
            for k in ("source", "repo", "revision", "family", "spec")
            if meta.get(k) is not None
        },
        "device": ctx.device.type,
        "seed": ctx.settings.seed,
        "hyperparameters": ctx.settings.raw,
        "test_items": len(rows["test"]),
        "train_items": len(rows["train"]),
        "dev_items": len(rows["dev"]),
    }


def _sizes(adapter: Path, base_dir: Path) -> dict[str, Any]:
    adapter_bytes, base_bytes = common.weights_bytes(adapter), common.weights_bytes(base_dir)
    ratio = round(adapter_bytes / base_bytes, 6) if base_bytes else None
    out = {"adapter_bytes": adapter_bytes, "base_bytes": base_bytes}
    return {**out, "adapter_to_base_bytes": ratio}


@dataclass(frozen=True)
class _Base:
    rel: str  # models/<engine>/base, as the adapter and metrics.json name it
    dir: Path
    meta: dict[str, Any]
    files: dict[str, str]  # sha256 of each file, as checked


def _checked_base(root: Path, engine: str, task: str) -> _Base:
    """The base model and splits this job trains on, each checked against its record."""
    rel = paths.base_model_dir(engine)
    base_dir = Path(rel) if root == Path(".") else root / rel
    meta = json.loads((base_dir / common.FOUNDRY_META).read_text(encoding="utf-8"))
    files = base_mod.verify_base(base_dir, meta, engine)
    splits.verify(engine, root)  # the bytes allocate wrote, or this job stops here
    if meta.get("task") != task:
        raise common.TrainError(
            f"engine '{engine}': base model {base_dir} was built for '{meta.get('task')}' "
            f"but engines.{engine}.arch asks for '{task}'; rebuild the base (rerun the workflow)"
        )
    return _Base(rel, base_dir, meta, files)


def _write_card(
    staged: Path, engine: str, base: _Base, rows: dict[str, list], metrics: dict[str, Any]
) -> dict[str, str]:
    """The adapter's model card into the staged folder; the folder's hashes, card included."""
    datasets = sorted({r["dataset"] for split in rows.values() for r in split if r.get("dataset")})
    card.write(staged, engine, base.meta, base.rel, datasets, metrics)
    return integrity.tree_hashes(staged)


def _write_record(
    root: Path, engine: str, base: _Base, adapter_files: dict[str, str], metrics: dict[str, Any]
) -> None:
    """metrics.json, last, with the hashes deploy checks the adapter and base against (the base
    was hashed when it was checked: only its record file is new)."""
    base_files = {**base.files, common.FOUNDRY_META: sha256_file(base.dir / common.FOUNDRY_META)}
    metrics["artifacts"] = {"adapter": adapter_files, "base": base_files}
    write_json(root / paths.metrics(engine), metrics)


def _save_adapter(
    folder: Path, engine: str, task: str, seed: int, base: _Base, result: Any
) -> None:
    meta = {
        "engine": engine,
        "task": task,
        "base_dir": base.rel,
        "seed": seed,
        "plumbing_check": bool(base.meta.get("plumbing_check")),
        **result.meta,
    }
    result.model.save_pretrained(str(folder), save_embedding_layers=False)
    common.canonical_adapter_config(folder)
    for proc in result.processors:
        proc.save_pretrained(str(folder))
    write_json(folder / common.FOUNDRY_META, meta)


def _write_predictions(
    root: Path, engine: str, task: str, ids: list[str], predictions: list[str]
) -> None:
    """test_predictions.json: what the trained model answered, for deploy to reproduce."""
    if task == "masked_lm":
        out = {"engine": engine, "items": [], "note": "masked-LM adaptation: no predictions"}
    else:
        items = [{"id": i, "prediction": p} for i, p in zip(ids, predictions, strict=True)]
        out = {"engine": engine, "items": items}
    write_json(root / paths.test_predictions(engine), out)


def _telephone_scores(
    adapter: Path,
    engine: str,
    base_dir: Path,
    test: list[dict[str, Any]],
    raw: dict[str, Any],
    labels: dict[str, Any],
    metrics: dict[str, Any],
) -> None:
    """The saved adapter on the test split through the telephone channel (metrics["telephone"])."""
    from foundry.train import infer

    predictor = infer.load_predictor(engine, str(adapter), str(base_dir))
    metrics["telephone"] = channel.telephone_scores(
        engine, predictor, test, raw, labels.get("labels")
    )
    if "telephone_untrained_base" in metrics:  # the trainer scored its base there too
        metrics["telephone"]["untrained_base"] = metrics.pop("telephone_untrained_base")
