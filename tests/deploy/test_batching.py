"""Micro-batching: concurrent requests share one model call, answers stay each caller's own."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import fakes
import httpx
import pytest
from factory import ROOT
from prometheus_client.parser import text_string_to_metric_families

from foundry.deploy import models, registry
from foundry.deploy.batching import Batcher, BatchSettings
from foundry.deploy.serve import Running, Service


def wait_until(cond, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


class Gate:
    """A model whose first call waits until released, so the next callers queue up."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.sizes: list[int] = []

    def predict_many(self, items: list[dict]) -> list[str]:
        if not self.sizes:
            self.sizes.append(len(items))
            self.release.wait(20)
        else:
            self.sizes.append(len(items))
        if any(it["text"] == "bad" for it in items):
            raise ValueError("bad item")
        return [it["text"].upper() for it in items]


def test_queued_requests_run_as_one_batch_with_their_own_answers():
    gate = Gate()
    batcher = Batcher(gate.predict_many, BatchSettings(max_size=8, max_wait_ms=1))
    with ThreadPoolExecutor(9) as pool:
        first = pool.submit(batcher.submit, {"text": "a0"})
        wait_until(lambda: gate.sizes == [1], "the first call to start")
        rest = [pool.submit(batcher.submit, {"text": f"b{i}"}) for i in range(7)]
        wait_until(lambda: len(batcher._queue) == 7, "seven queued requests")
        gate.release.set()
        assert first.result() == "A0"
        assert [f.result() for f in rest] == [f"B{i}" for i in range(7)]
    assert gate.sizes == [1, 7]
    batcher.close()


def test_one_bad_item_fails_only_its_own_caller():
    gate = Gate()
    batcher = Batcher(gate.predict_many, BatchSettings(max_size=8, max_wait_ms=1))
    with ThreadPoolExecutor(5) as pool:
        first = pool.submit(batcher.submit, {"text": "a"})
        wait_until(lambda: gate.sizes == [1], "the first call to start")
        futs = [pool.submit(batcher.submit, {"text": t}) for t in ("x", "bad", "y")]
        wait_until(lambda: len(batcher._queue) == 3, "three queued requests")
        gate.release.set()
        assert first.result() == "A"
        assert futs[0].result() == "X" and futs[2].result() == "Y"
        with pytest.raises(ValueError, match="bad item"):
            futs[1].result()
    assert gate.sizes[:2] == [1, 3]  # the batch of 3 failed, then 1 + 1 + 1 alone
    batcher.close()


def test_after_close_a_late_request_runs_alone():
    gate = Gate()
    gate.release.set()
    batcher = Batcher(gate.predict_many, BatchSettings(max_size=4, max_wait_ms=1))
    batcher.close()
    assert batcher.submit({"text": "late"}) == "LATE"


def test_service_batches_concurrent_callers_and_counts_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "LOADER", fakes.fake_loader)
    rows = fakes.items(17)
    answers = {r["text"]: f"answer-{r['id']}" for r in rows}  # one distinct answer per caller
    gate = fakes.GATES.setdefault("batch-service", threading.Event())
    gate.clear()
    src = fakes.make_adapter(tmp_path / "src", rows, 1.0, answers=answers, block="batch-service")
    cand = registry.register(tmp_path, "intent", src)
    registry.promote(tmp_path, cand, ["first"])
    service = Service(tmp_path, ["intent"], poll_s=3600, batch=BatchSettings(8, 1))
    with Running(service) as srv, httpx.Client(timeout=60) as c:

        def ask(i: int) -> str:
            r = c.post(f"{srv.url}/v1/intent", json={"text": rows[i]["text"], "id": f"r{i}"})
            assert r.status_code == 200, r.text
            return r.json()["output"]

        champ = service.slots["intent"].champion
        assert champ is not None and champ.batcher is not None
        with ThreadPoolExecutor(len(rows)) as pool:
            try:
                first = pool.submit(ask, 0)
                # the first request's batch of one is inside the model call (it holds the lock)
                wait_until(champ.lock.locked, "the first model call to start")
                rest = [pool.submit(ask, i) for i in range(1, len(rows))]
                wait_until(lambda: len(champ.batcher._queue) == 16, "sixteen queued requests")
            finally:
                gate.set()  # on a failure too, or the pool would wait for the stuck requests
            got = [first.result(), *(f.result() for f in rest)]
        metrics = c.get(f"{srv.url}/metrics").text
    assert got == [answers[r["text"]] for r in rows]  # each caller got its own answer
    sizes = {
        s.name: s.value
        for f in text_string_to_metric_families(metrics)
        if f.name == "foundry_batch_size"
        for s in f.samples
        if s.labels.get("model") == cand.id
    }
    # one batch of the first request alone, then the sixteen queued ones as two full batches
    assert sizes["foundry_batch_size_count"] == 3
    assert sizes["foundry_batch_size_sum"] == len(rows)


def test_serve_threads_from_config_and_applied():
    import torch

    from foundry import config
    from foundry.deploy.batching import set_threads, threads_from_config

    demo = config.load(ROOT / "config" / "config.yaml")
    assert threads_from_config(demo) == 1  # the default
    assert threads_from_config({"serve": {"threads": 3}}) == 3
    with pytest.raises(config.ConfigError, match="serve.threads"):
        config.load(ROOT / "config" / "config.yaml", {"serve": {"threads": 0}})
    before = torch.get_num_threads()
    try:
        set_threads(1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
