"""Loading predictors and labelled items for the gate, the shadow replay and the server.

The predictor API is the training package's (``foundry.train.infer``). ``LOADER`` is the one
indirection so unit tests can serve fake models through the very same code paths.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import pyarrow.parquet as pq

from foundry import engines


class Predictor(Protocol):
    engine: str

    def predict(self, inputs: list[dict]) -> list[str]: ...


def _default_loader(engine: str, adapter_dir: str, base_dir: str | None = None) -> Predictor:
    from foundry.train import infer

    return infer.load_predictor(engine, adapter_dir, base_dir)


LOADER: Callable[..., Predictor] = _default_loader


def load(engine: str, adapter_dir: str | Path, base_dir: str | None = None) -> Predictor:
    """Load a predictor fully (weights in memory) before anyone is allowed to use it."""
    return LOADER(engine, str(adapter_dir), base_dir)


def load_serving(
    engine: str, adapter_dir: str | Path, base_dir: str | None, backend: str = "torch"
) -> Predictor:
    """What ``foundry serve`` answers with: stt optionally through CTranslate2 (merged)."""
    if backend.startswith("ctranslate2") and engines.get(engine).task == "whisper":
        import torch

        from foundry.deploy import ct2

        device = "cuda" if torch.cuda.is_available() else "cpu"
        return ct2.load(adapter_dir, base_dir, device, torch.get_num_threads(), backend)
    return load(engine, adapter_dir, base_dir)


def is_audio(engine: str) -> bool:
    return engines.get(engine).is_audio


def read_items(path: str | Path, engine: str) -> tuple[list[str], list[dict], list[str]]:
    """(ids, predictor inputs, references) of a gold/splits parquet, in file (id) order."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(
            f"{engine}: labelled items {p} do not exist; run the workflow up to splits first"
        )
    cols = ["id", "text", "label"] + (["audio"] if is_audio(engine) else [])
    rows = pq.read_table(p, columns=cols).to_pylist()
    ids = [r["id"] for r in rows]
    if is_audio(engine):
        inputs = [{"audio": r["audio"]["bytes"]} for r in rows]
    else:
        inputs = [{"text": r["text"]} for r in rows]
    refs = engines.get(engine).references(rows)
    return ids, inputs, refs


def predict_all(pred: Predictor, inputs: list[dict], batch_size: int = 16) -> list[str]:
    out: list[str] = []
    for i in range(0, len(inputs), batch_size):
        out += list(pred.predict(inputs[i : i + batch_size]))
    if len(out) != len(inputs):
        raise RuntimeError(f"predictor returned {len(out)} answers for {len(inputs)} inputs")
    return out


def to_request(engine: str, item: dict[str, Any]) -> dict[str, Any]:
    """A predictor input as the JSON body the HTTP service takes."""
    if is_audio(engine):
        return {"audio": base64.b64encode(item["audio"]).decode("ascii")}
    return {"text": item["text"]}
