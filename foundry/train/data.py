"""Read one engine's split files (splits/<engine>/, never gold/) into plain Python rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from foundry import engines, paths
from foundry.audio import read_wav
from foundry.engines import SAMPLE_RATE
from foundry.train.common import TrainError


def read_split(engine: str, split: str, root: str | Path = ".") -> list[dict[str, Any]]:
    """Rows of splits/<engine>/<split>.parquet in file order (sorted by id)."""
    path = Path(root) / paths.split_file(engine, split)
    if not path.exists():
        raise TrainError(
            f"engine '{engine}': split file {path} is missing; build it first "
            f"(snakemake {paths.split_file(engine, split)})"
        )
    return pq.read_table(path).to_pylist()


def read_labels(engine: str, root: str | Path = ".") -> dict[str, Any]:
    path = Path(root) / paths.split_labels(engine)
    labels = json.loads(path.read_text(encoding="utf-8"))
    if not labels.get("labels"):
        raise TrainError(f"engine '{engine}': {path} lists no labels; is this a classifier engine?")
    return labels


def waveform(wav: bytes) -> np.ndarray:
    """16 kHz mono PCM16 WAV bytes -> float32 in [-1, 1] (what every audio model here reads)."""
    pcm, sr = read_wav(wav)
    if sr != SAMPLE_RATE:
        raise TrainError(f"audio is {sr} Hz; the gold audio contract is 16 kHz mono PCM16")
    return pcm.astype(np.float32) / 32768.0


def waveforms(rows: list[dict[str, Any]]) -> list[np.ndarray]:
    return [waveform(r["audio"]["bytes"]) for r in rows]


def require(engine: str, rows: dict[str, list[dict[str, Any]]], splits: tuple[str, ...]) -> None:
    for s in splits:
        if not rows[s]:
            raise TrainError(
                f"engine '{engine}': the {s} split is empty; add data or change splits.ratios"
            )


def inputs_of(engine: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Predictor inputs for split rows: {'audio': wav bytes} or {'text': str}."""
    if engine in paths.AUDIO_ENGINES:
        return [{"audio": r["audio"]["bytes"]} for r in rows]
    return [{"text": r["text"]} for r in rows]


def references(engine: str, rows: list[dict[str, Any]]) -> list[str]:
    return engines.get(engine).references(rows)
