"""The HTTP service on a real loopback socket (fake predictors): swaps, shadow isolation, errors."""

from __future__ import annotations

import base64
import io
import json
import threading
import time

import fakes
import httpx
import numpy as np
import pytest
import soundfile as sf

from foundry import atomic, paths
from foundry.deploy import models, registry
from foundry.deploy import shadow as shadow_mod
from foundry.deploy.request_audio import standard_wav
from foundry.deploy.serve import Running, Service, mirrored


@pytest.fixture(autouse=True)
def fake_models(monkeypatch):
    monkeypatch.setattr(models, "LOADER", fakes.fake_loader)


def wait_for(cond, timeout=20.0, what="condition"):
    """Poll a condition with a deadline (the watcher is asynchronous by design)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def expected(adapter, text):
    spec = json.loads((adapter / "answers.json").read_text(encoding="utf-8"))
    return spec["answers"].get(text, spec["default"])


def test_promotion_under_concurrent_load_has_zero_failures(tmp_path):
    rows = fakes.items(30)
    old_src = fakes.make_adapter(tmp_path / "old", rows, 0.0, delay=0.01)
    new_src = fakes.make_adapter(tmp_path / "new", rows, 1.0, delay=0.01, load_delay=0.5)
    old = registry.register(tmp_path, "intent", old_src)
    new = registry.register(tmp_path, "intent", new_src)
    registry.promote(tmp_path, old, ["first"])
    answers = {old.id: old_src, new.id: new_src}
    hashes = {old.id: old.sha256, new.id: new.sha256}
    assert old.sha256 != new.sha256

    results: list[tuple[int, dict]] = []
    failures: list[str] = []
    stop = threading.Event()

    def client(k: int) -> None:
        with httpx.Client(timeout=30) as c:
            i = 0
            while not stop.is_set():
                r = rows[(i * 7 + k) % len(rows)]
                i += 1
                try:
                    resp = c.post(
                        f"{srv.url}/v1/intent", json={"text": r["text"], "id": f"{k}-{i}"}
                    )
                    results.append((resp.status_code, {"text": r["text"], **resp.json()}))
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))

    with Running(Service(tmp_path, ["intent"], poll_s=0.05)) as srv:
        threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        wait_for(lambda: len(results) > 20, what="traffic on the old champion")
        registry.promote(tmp_path, new, ["better"])
        wait_for(
            lambda: any(b["model"]["candidate"] == new.id for _, b in results[-8:]),
            what="the new champion to serve",
        )
        n = len(results)
        wait_for(lambda: len(results) > n + 20, what="traffic on the new champion")
        stop.set()
        for t in threads:
            t.join()
        status = httpx.get(f"{srv.url}/v1/models").json()["intent"]

    assert failures == []
    assert {code for code, _ in results} == {200}
    served = [b["model"]["candidate"] for _, b in results]
    assert set(served) == {old.id, new.id}
    # each answer really came from the model it names (the one its request started on)
    for _, body in results:
        assert body["output"] == expected(answers[body["model"]["candidate"]], body["text"])
        assert body["model"]["sha256"] == hashes[body["model"]["candidate"]]
    # once the new champion answered, the old one never answers again (a clean swap)
    first_new = served.index(new.id)
    assert served[first_new:].count(old.id) <= 4  # at most the in-flight ones, one per client
    assert status["champion"] == {"candidate": new.id, "sha256": new.sha256}


def test_shadow_failures_and_slowness_never_reach_the_caller(tmp_path):
    rows = fakes.items(30)
    champ = registry.register(tmp_path, "intent", fakes.make_adapter(tmp_path / "c", rows, 1.0))
    bad = registry.register(
        tmp_path, "intent", fakes.make_adapter(tmp_path / "b", rows, 1.0, fail=True)
    )
    registry.promote(tmp_path, champ, ["first"])
    spec = {"candidate": bad.id, "sha256": bad.sha256, "traffic_percentage": 100.0}
    spec["log"] = f"{paths.deploy_candidate('intent', bad.id)}/shadow.jsonl"
    atomic.write_json(tmp_path / paths.deploy_shadow_active("intent"), spec)
    service = Service(tmp_path, ["intent"], poll_s=0.05)
    with Running(service) as srv, httpx.Client(base_url=srv.url) as c:
        assert c.get("/v1/models").json()["intent"]["shadow"]["candidate"] == bad.id
        for r in rows:
            resp = c.post("/v1/intent", json={"text": r["text"], "id": r["id"]})
            assert resp.status_code == 200
            assert resp.json()["output"] == r["label"]
            assert resp.json()["model"]["candidate"] == champ.id
        assert service.slots["intent"].drain(10)
        # shadow ends when shadow.json goes away
        (tmp_path / paths.deploy_shadow_active("intent")).unlink()
        wait_for(lambda: c.get("/v1/models").json()["intent"]["shadow"] is None)
    log = shadow_mod.read_log(tmp_path / spec["log"])
    assert len(log) == len(rows)
    assert {r["candidate"]["error"] for r in log} == {"RuntimeError: candidate exploded"}
    assert {r["champion"]["candidate"] for r in log} == {champ.id}


def test_slow_shadow_does_not_slow_the_caller(tmp_path):
    rows = fakes.items(12)
    champ = registry.register(tmp_path, "intent", fakes.make_adapter(tmp_path / "c", rows, 1.0))
    # the shadow candidate answers nothing until the gate opens: if a caller's request waited
    # for its mirror, the first one would never come back (the client's timeout fails the test)
    gate = fakes.GATES.setdefault("slow-shadow", threading.Event())
    gate.clear()
    slow = registry.register(
        tmp_path, "intent", fakes.make_adapter(tmp_path / "s", rows, 1.0, block="slow-shadow")
    )
    registry.promote(tmp_path, champ, ["first"])
    spec = {"candidate": slow.id, "traffic_percentage": 100.0, "log": "deploy/intent/s.jsonl"}
    atomic.write_json(tmp_path / paths.deploy_shadow_active("intent"), spec)
    service = Service(tmp_path, ["intent"], poll_s=60, queue_size=3)
    with Running(service) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        try:
            for r in rows:
                resp = c.post("/v1/intent", json={"text": r["text"], "id": r["id"]})
                assert resp.status_code == 200 and resp.json()["output"] == r["label"]
        finally:
            gate.set()  # every caller above was answered while the shadow was stuck
        assert service.slots["intent"].drain(30)
    log = shadow_mod.read_log(tmp_path / "deploy/intent/s.jsonl")
    dropped = [r for r in log if r.get("dropped")]
    answered = [r for r in log if not r.get("dropped")]
    assert len(log) == len(rows) and dropped and answered  # a full queue drops, never blocks
    # queue_size bounds the mirrors pending (the stuck one included): the first three were
    # answered once the gate opened, the other nine found it full
    assert sorted(r["request_id"] for r in answered) == [r["id"] for r in rows[:3]]


def test_tampered_production_keeps_the_old_champion(tmp_path):
    rows = fakes.items(9)
    a = registry.register(tmp_path, "intent", fakes.make_adapter(tmp_path / "a", rows, 1.0))
    b = registry.register(tmp_path, "intent", fakes.make_adapter(tmp_path / "b", rows, 0.0))
    registry.promote(tmp_path, a, ["first"])
    service = Service(tmp_path, ["intent"], poll_s=0.05)
    with Running(service) as srv, httpx.Client(base_url=srv.url) as c:
        weights = tmp_path / b.adapter / "adapter_model.safetensors"
        weights.write_bytes(weights.read_bytes()[::-1])
        record = registry.production(tmp_path, "intent")
        record.update({"candidate": b.id, "sha256": b.sha256})  # a hand edit, bypassing promote
        atomic.write_json(tmp_path / paths.deploy_production("intent"), record)
        wait_for(lambda: c.get("/v1/models").json()["intent"]["errors"], what="the load error")
        status = c.get("/v1/models").json()["intent"]
        assert "does not match its recorded hashes" in status["errors"][0]
        resp = c.post("/v1/intent", json={"text": rows[0]["text"]})
        assert resp.status_code == 200 and resp.json()["model"]["candidate"] == a.id


def test_request_errors_are_readable(tmp_path):
    with Running(Service(tmp_path, ["intent", "dialect"], poll_s=60)) as srv:
        with httpx.Client(base_url=srv.url) as c:
            r = c.post("/v1/intent", json={"text": "ബിൽ"})
            assert r.status_code == 503 and "no production model for engine 'intent'" in r.text
            assert r.json()["reason"] == "no_model"
            assert c.post("/v1/nope", json={"text": "x"}).status_code == 404
            # input is checked before the model is looked up: a lone surrogate is the caller's
            r = c.post("/v1/intent", content=b'{"text": "\\ud800"}')
            assert r.status_code == 400 and r.json()["reason"] == "bad_field"
            registry.promote(
                tmp_path,
                registry.register(
                    tmp_path, "dialect", fakes.make_adapter(tmp_path / "d", fakes.items(3), 1.0)
                ),
                ["first"],
            )
            srv.service.refresh()
            r = c.post("/v1/dialect", json={"text": "x"})
            assert r.status_code == 400 and "base64 WAV" in r.text
            r = c.post("/v1/dialect", json={"audio": "!!!"})
            assert r.status_code == 400 and "not valid base64" in r.text
            bad = base64.b64encode(b"RIFF0000WAVEjunk").decode()
            r = c.post("/v1/dialect", json={"audio": bad})
            assert r.status_code == 400 and "not decodable" in r.text
            # 44.1 kHz stereo float is accepted (converted to what the models take)
            r = c.post("/v1/dialect", json={"audio": base64.b64encode(stereo_wav()).decode()})
            assert r.status_code == 200, r.text
            # 16 kHz mono FLAC is PCM_16 too, but not a WAV: it is converted, not passed on
            flac = io.BytesIO()
            sf.write(flac, 0.3 * np.sin(np.arange(16000) / 5), 16000, format="FLAC")
            r = c.post("/v1/dialect", json={"audio": base64.b64encode(flac.getvalue()).decode()})
            assert r.status_code == 200, r.text
            # what the pipeline rejects, the service rejects, by the same reason name
            empty = base64.b64encode(standard_wav(stereo_wav())[:44]).decode()
            r = c.post("/v1/dialect", json={"audio": empty})
            assert r.status_code == 400 and r.json()["reason"] == "empty_audio"


def stereo_wav() -> bytes:
    t = np.arange(44100) / 44100
    x = 0.3 * np.sin(2 * np.pi * 220 * t)
    buf = io.BytesIO()
    sf.write(buf, np.stack([x, x], axis=1), 44100, format="WAV", subtype="FLOAT")
    return buf.getvalue()


def test_audio_is_standardized_and_16k_mono_passes_through_untouched():
    out = standard_wav(stereo_wav())
    info = sf.info(io.BytesIO(out))
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
    assert standard_wav(out) == out


def test_mirrored_is_deterministic_and_close_to_the_percentage():
    ids = [f"req-{i}" for i in range(5000)]
    share = sum(mirrored(i, 10) for i in ids) / len(ids)
    assert 0.08 < share < 0.12
    assert [mirrored(i, 10) for i in ids[:50]] == [mirrored(i, 10) for i in ids[:50]]
    assert not any(mirrored(i, 0) for i in ids) and all(mirrored(i, 100) for i in ids)
