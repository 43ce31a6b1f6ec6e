"""Fake predictors for tests of the deploy stack: an "adapter" is a folder with answers.json.

The real serving stack (registry, gate, HTTP service, shadow queue) runs unchanged; only
``foundry.deploy.models.LOADER`` is swapped for ``fake_loader``.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

LABELS = ["balance", "bill", "complaint"]
HEARD = "കേട്ടത്"  # "heard": the echo stt's transcripts are Malayalam, as intent expects
# spec "block": <name>: predict waits until the test sets GATES[<name>] (a shadow that never
# answers on its own, so a test can prove the caller did not wait for it without a clock)
GATES: dict[str, threading.Event] = {}


class FakePredictor:
    def __init__(self, engine: str, spec: dict[str, Any]):
        self.engine = engine
        self.spec = spec

    def _key(self, item: dict) -> str:
        if "audio" in item:
            return hashlib.sha256(item["audio"]).hexdigest()
        return item["text"]

    def predict(self, inputs: list[dict]) -> list[str]:
        if self.spec.get("fail"):
            raise RuntimeError("candidate exploded")
        if self.spec.get("delay"):
            time.sleep(float(self.spec["delay"]))
        if self.spec.get("block"):
            GATES[self.spec["block"]].wait(120)  # a guard against a hung test, not a timing
        if self.spec.get("echo"):  # a Malayalam transcript that names the exact audio it heard
            return [f"{HEARD} {int(self._key(x)[:16], 16)}" for x in inputs]
        return [self.spec["answers"].get(self._key(x), self.spec["default"]) for x in inputs]


LOADS: list[str] = []


def fake_loader(engine: str, adapter_dir: str, base_dir: str | None = None) -> FakePredictor:
    spec = json.loads((Path(adapter_dir) / "answers.json").read_text(encoding="utf-8"))
    if spec.get("load_delay"):
        time.sleep(float(spec["load_delay"]))
    LOADS.append(adapter_dir)
    return FakePredictor(engine, spec)


def items(n: int = 60, prefix: str = "it") -> list[dict[str, str]]:
    return [
        {"id": f"{prefix}{i:04d}", "text": f"{prefix} വാക്യം {i}", "label": LABELS[i % len(LABELS)]}
        for i in range(n)
    ]


def write_split(path: Path, rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    full = [{**r, "dataset": "fake", "raw_text": r["text"], "speaker": ""} for r in rows]
    pq.write_table(pa.Table.from_pylist(full), path)
    return path


def make_adapter(
    folder: Path, rows: list[dict[str, str]], correct: float, salt: str = "", **extra: Any
) -> Path:
    """An adapter answering a ``correct`` share of items right (by a hash of the text)."""
    answers = {}
    for r in rows:
        u = int(hashlib.sha256(r["text"].encode()).hexdigest()[:8], 16) / 16**8
        right = u < correct
        wrong = LABELS[(LABELS.index(r["label"]) + 1) % len(LABELS)]
        answers[r["text"]] = r["label"] if right else wrong
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"answers": answers, "default": LABELS[0], "salt": salt, **extra}
    (folder / "answers.json").write_text(json.dumps(spec, ensure_ascii=False, sort_keys=True))
    (folder / "adapter_model.safetensors").write_bytes(
        hashlib.sha256(f"{correct}{salt}".encode()).digest() * 8
    )
    return folder
