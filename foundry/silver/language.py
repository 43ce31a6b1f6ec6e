"""Language identification as a quality gate (what NeMo SDP's AudioLid does), one job per shard.

A Malayalam dataset on the Hub is not all Malayalam: IndicVoices-style collections mix in
English prompts, read-out numbers and other Indian languages. Whisper's language token
distribution after one encoder pass names the spoken language; a clip confidently in another
language than ``quality.language.expect`` is rejected as ``wrong_language`` with the detected
language and probability, which kept clips carry in the silver manifest too.

The detection runs on the packaged Whisper-base as it is (CTranslate2, int8 on CPU, float16 on
CUDA: foundry.whisper_package), in its own per-shard job after the shard is written: that job
declares the training engines' GPU resource so a cluster build places it on GPU nodes, and it
records only what the model said (``language_id``), so changing the threshold re-runs the merge,
not the encoder. Whisper reads the first ``window_seconds`` of each clip (30 as trained; a
shorter window is cheaper and less sure: docs/quality.md has the measured figures).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from foundry import paths, whisper_package
from foundry.atomic import write_parquet
from foundry.engines import SAMPLE_RATE

BATCH = 8  # clips per encoder call: measured no faster beyond on 2 CPU cores
DETECTION_SCHEMA = pa.schema(
    [("id", pa.string()), ("language", pa.string()), ("probability", pa.float64())]
)


class LanguageIdentifier:
    """Whisper-base's language detection over batches of 16 kHz clips."""

    def __init__(self, window_seconds: int, device: str = "auto", threads: int = 1) -> None:
        import ctranslate2
        from transformers import WhisperFeatureExtractor

        if not 1 <= window_seconds <= 30:
            raise ValueError(f"quality.language.window_seconds must be 1..30, got {window_seconds}")
        if device == "auto":
            device = "cuda" if ctranslate2.get_cuda_device_count() else "cpu"
        self.samples = window_seconds * SAMPLE_RATE
        self.features = WhisperFeatureExtractor(feature_size=80)
        self.model = ctranslate2.models.Whisper(
            "whisper-base",
            device=device,
            compute_type=whisper_package.compute_type(device),
            intra_threads=threads,
            files=whisper_package.model_files(),
        )
        self._storage = ctranslate2.StorageView

    def detect(self, waves: list[np.ndarray]) -> list[tuple[str, float]]:
        """(ISO code, probability) of the most likely language of each clip."""
        out: list[tuple[str, float]] = []
        for i in range(0, len(waves), BATCH):
            feats = self.features(
                waves[i : i + BATCH],
                sampling_rate=SAMPLE_RATE,
                return_tensors="np",
                padding="max_length",
                max_length=self.samples,
                truncation=True,
            ).input_features
            view = self._storage.from_array(np.ascontiguousarray(feats, np.float32))
            for ranked in self.model.detect_language(view):
                token, prob = ranked[0]
                out.append((token.strip("<|>"), round(float(prob), 4)))
        return out


def identify_shard(ds: str, shard: int, window_seconds: int, root: str | Path = ".") -> int:
    """Detect the language of every clip a shard kept; write paths.shard_language()."""
    import soundfile as sf

    from foundry.silver.shards import read_shard

    root = Path(root)
    kept = pq.read_table(root / paths.shard_part(ds, shard), columns=["id", "sample_rate"])
    ids = sorted(i for i, sr in zip(*kept.to_pydict().values(), strict=True) if sr)
    members = read_shard(root / paths.shard_tar(ds, shard), set(ids))
    waves = [sf.read(io.BytesIO(members[i]["wav"]), dtype="float32")[0] for i in ids]
    found = LanguageIdentifier(window_seconds).detect(waves) if waves else []
    rows = [
        {"id": i, "language": lang, "probability": p}
        for i, (lang, p) in zip(ids, found, strict=True)
    ]
    write_parquet(
        root / paths.shard_language(ds, shard), pa.Table.from_pylist(rows, DETECTION_SCHEMA)
    )
    return len(rows)


def verdict(language: str, probability: float, expect: str, min_probability: float) -> str | None:
    """The reject detail for a clip confidently in another language, else None."""
    if language == expect or probability < min_probability:
        return None
    return (
        f"Whisper detected '{language}' with probability {probability:.2f} "
        f"(quality.language expect: {expect}, min_probability: {min_probability})"
    )


def apply(
    manifest: pa.Table, detections: pa.Table, settings: dict[str, Any]
) -> tuple[pa.Table, list[dict[str, Any]]]:
    """The manifest with each clip's detected language, and the wrong_language rejects.

    Every clip with audio must have a detection (a missing one means the language job ran on
    another version of the shard: the caller's error names the rerun)."""
    found = {r["id"]: r for r in detections.to_pylist()}
    rows, rejects = [], []
    for r in manifest.to_pylist():
        if not r["sample_rate"]:
            rows.append(r)
            continue
        d = found.get(r["id"])
        if d is None:
            raise KeyError(r["id"])
        r["language"], r["language_probability"] = d["language"], d["probability"]
        why = verdict(
            d["language"], d["probability"], settings["expect"], settings["min_probability"]
        )
        if why is None:
            rows.append(r)
            continue
        rejects.append(
            {
                "id": r["id"],
                "dataset": r["dataset"],
                "reason": "wrong_language",
                "detail": why,
                "source_file": r["source_file"],
                "source_row": r["source_row"],
                "parent_id": r["parent_id"],
            }
        )
    return pa.Table.from_pylist(rows, manifest.schema), rejects
