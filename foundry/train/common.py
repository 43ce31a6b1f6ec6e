"""Shared training machinery: device, seeds, LoRA wrapping, a small deterministic loop, sizes.

A hand-written loop instead of ``transformers.Trainer``: the demo trains five tiny models on two
CPU cores in seconds, and a plain loop is easier to make bit-for-bit reproducible.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from foundry.atomic import dumps_json
from foundry.engines import SAMPLE_RATE
from foundry.errors import UserError
from foundry.settings import Train

log = logging.getLogger("foundry.train")

FOUNDRY_META = "foundry.json"  # written beside the adapter and the base: how to use them


class TrainError(RuntimeError, UserError):
    """Training cannot proceed; the message names the engine and what to do."""


# one engine's training settings (built by foundry.steps.train)
Settings = Train


def device() -> torch.device:
    """CUDA when available (bf16 autocast), CPU otherwise."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def autocast(dev: torch.device) -> Any:
    if dev.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


def seed_everything(seed: int, threads: int | None = None) -> None:
    """Same seed, same thread count, same CPU -> same numbers (checked by the tests)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if threads:
        torch.set_num_threads(threads)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)


def lora_config(
    settings: Settings, defaults: dict[str, Any], also_save: tuple[str, ...] = ()
) -> Any:
    """PEFT LoraConfig from config ``engines.<engine>.lora`` over per-task defaults.

    ``also_save``: modules trained in full on top of the configured ``modules_to_save`` (a
    random feature encoder, see :func:`feature_encoder_trained`).
    """
    from peft import LoraConfig

    spec = {**defaults, **settings.lora}
    save = list(spec.get("modules_to_save") or [])
    save += [m for m in also_save if m not in save]
    return LoraConfig(
        r=int(spec["r"]),
        lora_alpha=int(spec["alpha"]),
        lora_dropout=float(spec["dropout"]),
        target_modules=list(spec["target_modules"]),
        modules_to_save=save or None,
        task_type=spec.get("task_type"),
        bias="none",
        # set by trainers that adapt only part of a model (saved in adapter_config.json, so a
        # reload with plain peft adapts exactly the same modules)
        exclude_modules=spec.get("exclude_modules"),
        layers_to_transform=spec.get("layers_to_transform"),
        layers_pattern=spec.get("layers_pattern"),
    )


def canonical_adapter_config(folder: str | Path) -> None:
    """Rewrite PEFT's adapter_config.json with sorted keys and sorted name lists.

    PEFT keeps ``target_modules`` (and ``exclude_modules``) as a Python set, so their order in
    the JSON follows the string hash seed of the process: identical weights would read as a new
    candidate. No list of names or layer numbers has an order that means anything to PEFT.
    """
    path = Path(folder) / "adapter_config.json"
    cfg = json.loads(path.read_text(encoding="utf-8"))
    for key, value in cfg.items():
        names = isinstance(value, list) and all(isinstance(v, str) for v in value)
        if names or (isinstance(value, list) and all(type(v) is int for v in value)):
            cfg[key] = sorted(value)
    path.write_text(dumps_json(cfg), encoding="utf-8")


# wav2vec2's convolutional feature encoder and the projection after it
FEATURE_ENCODER = ("feature_extractor", "feature_projection")


def feature_encoder_trained(settings: Settings, base_meta: dict[str, Any], model: Any) -> bool:
    """Freeze a pretrained wav2vec2 feature encoder (the usual recipe); train a random one.

    A plumbing-check base's conv filters are random: frozen, they barely carry the pitch the demo
    dialects differ in, and the adapter did not beat its untrained base on most seeds
    (docs/training.md, "Robustness"). Trained in full, they are saved with the adapter.
    ``engines.<engine>.freeze_feature_encoder`` overrides.
    """
    freeze = bool(settings.get("freeze_feature_encoder", not base_meta.get("plumbing_check")))
    if freeze:
        model.freeze_feature_encoder()
    return not freeze


def param_counts(model: torch.nn.Module) -> dict[str, Any]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return {
        "trainable_params": trainable,
        "total_params": total,
        "trainable_share": round(trainable / total, 6) if total else 0.0,
    }


def weights_bytes(folder: str | Path) -> int:
    """Bytes of the weight files in a model folder (what 'size' means for base vs adapter)."""
    exts = (".safetensors", ".bin", ".pt")
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.name.endswith(exts))


def batches(n: int, size: int, generator: torch.Generator | None = None) -> list[list[int]]:
    order = torch.randperm(n, generator=generator).tolist() if generator else list(range(n))
    return [order[i : i + size] for i in range(0, n, size)]


def trainable_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def load_trainable_state(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    params = dict(model.named_parameters())
    with torch.no_grad():
        for n, t in state.items():
            params[n].copy_(t)


class Board:
    """TensorBoard events under logs/tensorboard/<engine>/ (cleared first, one run per folder)."""

    def __init__(self, folder: str | Path) -> None:
        from torch.utils.tensorboard import SummaryWriter

        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)
        self.writer = SummaryWriter(log_dir=str(folder))

    def scalars(self, prefix: str, values: dict[str, Any], step: int) -> None:
        for k, v in values.items():
            if isinstance(v, int | float) and math.isfinite(v):
                self.writer.add_scalar(f"{prefix}/{k}", v, step)

    def close(self) -> None:
        self.writer.flush()
        self.writer.close()


def fit(
    model: torch.nn.Module,
    settings: Settings,
    n_train: int,
    loss_fn: Callable[[list[int]], torch.Tensor],
    dev_fn: Callable[[], dict[str, float]] | None,
    board: Board,
    select: tuple[str, bool] = ("loss", False),
) -> dict[str, Any]:
    """AdamW + linear warmup/decay; keep the trainable weights of the best dev epoch.

    ``select`` is (dev metric, higher is better), ties broken by the lower dev loss. Classifiers
    select on dev macro-F1, the metric they are judged by: on dev sets of 20 items the dev loss
    bottoms out early (an over-confident wrong answer costs more loss than a right one gains) and
    picked epochs that scored below the majority class (docs/training.md, "Robustness").
    """
    params = [p for p in model.parameters() if p.requires_grad]
    opt, sched, per_epoch = _optimizer(params, settings, n_train)
    gen = torch.Generator().manual_seed(settings.seed)
    key, higher = select
    step, best, best_epoch, best_state = 0, (math.inf, math.inf), -1, None
    history: list[dict[str, float]] = []
    for epoch in range(settings.epochs):
        model.train()
        running = 0.0
        for idx in batches(n_train, settings.batch_size, gen):
            value = _step(loss_fn(idx), params, opt, sched, settings.max_grad_norm)
            step += 1
            running += value
            board.scalars("train", {"loss": value, "lr": sched.get_last_lr()[0]}, step)
        entry = {"epoch": epoch + 1, "train_loss": round(running / per_epoch, 6)}
        if dev_fn is not None:
            model.eval()
            with torch.no_grad():
                dev = dev_fn()
            board.scalars("dev", dev, step)
            entry.update({f"dev_{k}": round(v, 6) for k, v in dev.items()})
            score = ((-1 if higher else 1) * dev[key], dev["loss"])
            if best_state is None or score < best:
                best, best_epoch, best_state = score, epoch + 1, trainable_state(model)
        history.append(entry)
        log.info("%s epoch %d: %s", settings.engine, epoch + 1, entry)
    if best_state is not None:
        load_trainable_state(model, best_state)
    model.eval()
    return {
        "epochs": settings.epochs,
        "steps": step,
        "best_epoch": best_epoch,
        "selected_on": f"dev_{key}" if dev_fn is not None else "last epoch (no dev split)",
        "history": history,
    }


def _optimizer(
    params: list[torch.nn.Parameter], settings: Settings, n_train: int
) -> tuple[torch.optim.Optimizer, Any, int]:
    """AdamW with a linear warmup then linear decay to 0 over all steps; steps per epoch."""
    opt = torch.optim.AdamW(params, lr=settings.lr, weight_decay=settings.weight_decay)
    per_epoch = max(1, math.ceil(n_train / settings.batch_size))
    total = per_epoch * settings.epochs
    warm = int(total * settings.warmup_ratio)

    def schedule(step: int) -> float:
        if step < warm:
            return (step + 1) / (warm + 1)
        return max(0.0, (total - step) / max(1, total - warm))

    return opt, torch.optim.lr_scheduler.LambdaLR(opt, schedule), per_epoch


def _step(
    loss: torch.Tensor,
    params: list[torch.nn.Parameter],
    opt: torch.optim.Optimizer,
    sched: Any,
    max_grad_norm: float,
) -> float:
    """One optimizer step on a batch's loss (gradients clipped); the loss as a float."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
    opt.step()
    sched.step()
    return float(loss.detach())


def chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def audio_batch(feature_extractor: Any, waves: list[Any], device: Any) -> Any:
    """Pad a batch of 16 kHz waveforms the one way every audio model here is fed (train = serve)."""
    enc = feature_extractor(
        waves,
        sampling_rate=SAMPLE_RATE,
        padding=True,
        return_attention_mask=True,
        return_tensors="pt",
    )
    return enc.to(device)


def mean_loss(
    loss_on: Callable[[list[Any]], torch.Tensor], rows: list[Any], batch_size: int
) -> float:
    """Item-weighted mean loss over rows in batches (the dev loss every trainer reports)."""
    total = sum(
        float(loss_on(rows[i : i + batch_size])) * len(rows[i : i + batch_size])
        for i in range(0, len(rows), batch_size)
    )
    return total / len(rows)
