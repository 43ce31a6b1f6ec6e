"""Micro-batching for the service: concurrent requests to one model run as one batch.

A model call costs nearly the same for one item as for a few (the weights are read once, the
tokenizer and feature extractor pad once), so under concurrent callers the service gathers the
requests that arrive within ``max_wait_ms`` of the first, up to ``max_size``, and answers them
with one ``predict`` call. One caller alone pays at most ``max_wait_ms``. Each request still gets
its own answer or its own exception; a batch never mixes models (one batcher per loaded model).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from foundry.config import defaults

_BATCH = defaults("serve", "batch")


@dataclass(frozen=True)
class BatchSettings:
    """``serve.batch``: off with max_size 1."""

    max_size: int = _BATCH["max_size"]  # the schema's serve.batch defaults
    max_wait_ms: float = float(_BATCH["max_wait_ms"])

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> BatchSettings:
        """``serve.batch`` of a validated config."""
        spec = cfg["serve"]["batch"]
        return cls(int(spec["max_size"]), float(spec["max_wait_ms"]))


DEFAULT_THREADS = int(defaults("serve", "threads"))


def threads_from_config(cfg: dict[str, Any]) -> int:
    """``serve.threads`` of a validated config: torch threads per model call (set_threads)."""
    return int(cfg["serve"]["threads"])


def set_threads(n: int) -> None:
    """Torch intra-op threads for the whole service process.

    On a small CPU box the service's model calls share the cores with the HTTP loop, the other
    engines' batches and the callers; torch's own thread pool then waits on busy cores. Measured
    with the demo STT on 2 cores and 8 callers (bench/batching.py): 2 threads 27 req/s, 1 thread
    50 req/s with batching. Batching, not intra-op threads, is what scales with callers.
    """
    import torch

    torch.set_num_threads(max(1, int(n)))


class Batcher:
    """Gathers items for ``predict_many`` on one worker thread; ``submit`` blocks the caller."""

    def __init__(
        self,
        predict_many: Callable[[list[dict]], list[Any]],
        settings: BatchSettings,
        name: str = "batch",
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self._predict = predict_many
        self.settings = settings
        self._on_batch = on_batch
        self._queue: list[tuple[dict, Future]] = []
        self._cv = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, item: dict) -> Any:
        """The model's answer for one item (or its exception), computed in some batch."""
        fut: Future = Future()
        with self._cv:
            if self._closed:  # a request that captured a model just swapped out: run it alone
                return self._predict([item])[0]
            self._queue.append((item, fut))
            self._cv.notify()
        return fut.result()

    def _take(self) -> list[tuple[dict, Future]] | None:
        with self._cv:
            while not self._queue and not self._closed:
                self._cv.wait()
            if self._closed and not self._queue:
                return None
            deadline = time.monotonic() + self.settings.max_wait_ms / 1000
            while len(self._queue) < self.settings.max_size and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cv.wait(left)
            batch = self._queue[: self.settings.max_size]
            del self._queue[: self.settings.max_size]
            return batch

    def _run(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            items = [item for item, _ in batch]
            try:
                outputs = self._predict(items)
                if len(outputs) != len(items):
                    raise RuntimeError(f"{len(outputs)} answers for {len(items)} items")
            except Exception as exc:
                self._one_by_one(batch, exc)
                continue
            if self._on_batch is not None:
                self._on_batch(len(items))
            for (_, fut), out in zip(batch, outputs, strict=True):
                fut.set_result(out)

    def _one_by_one(self, batch: list[tuple[dict, Future]], exc: Exception) -> None:
        """A failed batch is retried item by item: one bad item fails only its own caller."""
        if len(batch) == 1:
            batch[0][1].set_exception(exc)
            return
        for item, fut in batch:
            try:
                fut.set_result(self._predict([item])[0])
            except Exception as one:
                fut.set_exception(one)

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify_all()
