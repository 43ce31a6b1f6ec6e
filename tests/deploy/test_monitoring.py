"""/metrics of the real HTTP service (fake predictors): exact counts for known traffic.

Known traffic (answers, hostile requests, model failures, a promotion and a rollback picked up by
the watcher, shadow mirroring) must show up as exactly the counts the rules say; a scrape must
never call a model and must stay answerable and parseable while callers keep the service busy.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import fakes
import httpx
import numpy as np
import pytest
import soundfile as sf
from prometheus_client.parser import text_string_to_metric_families

from foundry import atomic, audio, paths
from foundry.deploy import models, monitoring, registry
from foundry.deploy.request_audio import standard_wav
from foundry.deploy.serve import Running, Service, mirrored

ROOT = Path(__file__).resolve().parents[2]
Samples = dict[str, dict[tuple[tuple[str, str], ...], float]]


class CallCounter:
    """Counts the items every loaded fake model predicts (the models a scrape must not touch);
    with micro-batching one call may answer several requests, so items, not calls, are counted."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls = 0

    def loader(self, engine: str, adapter_dir: str, base_dir: str | None = None):
        inner = fakes.fake_loader(engine, adapter_dir, base_dir)
        counter = self

        class Counted:
            def __init__(self) -> None:
                self.engine = inner.engine

            def predict(self, inputs: list[dict]) -> list[str]:
                with counter.lock:
                    counter.calls += len(inputs)
                return inner.predict(inputs)

        return Counted()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> CallCounter:
    counter = CallCounter()
    monkeypatch.setattr(models, "LOADER", counter.loader)
    return counter


def wait_for(cond: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    """Poll with a deadline (the watcher is asynchronous by design); never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def parse(text: str) -> Samples:
    out: Samples = defaultdict(dict)
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[s.name][tuple(sorted(s.labels.items()))] = s.value
    return out


def scrape(client: httpx.Client) -> Samples:
    r = client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return parse(r.text)


def by(samples: Samples, name: str, *keys: str) -> dict[tuple[str, ...], float]:
    """One metric's samples keyed by the values of ``keys`` (the other labels must not vary)."""
    out: dict[tuple[str, ...], float] = {}
    for labels, value in samples.get(name, {}).items():
        d = dict(labels)
        key = tuple(d[k] for k in keys)
        assert key not in out, f"{name}: {key} is not unique over {keys}"
        out[key] = value
    return out


def wav(x: np.ndarray, sr: int = 16000) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, x, sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def tone(hz: float, seconds: float = 1.0, amp: float = 0.3) -> bytes:
    t = np.arange(int(round(seconds * 16000))) / 16000
    return wav((amp * np.sin(2 * np.pi * hz * t)).astype(np.float32))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def stt_adapter(folder: Path, clips: list[bytes], texts: list[str], salt: str) -> Path:
    """A fake STT adapter answering each clip (keyed like the fake: sha256 of what is served)."""
    folder.mkdir(parents=True, exist_ok=True)
    keyed = {
        hashlib.sha256(standard_wav(a)).hexdigest(): t for a, t in zip(clips, texts, strict=True)
    }
    spec = {"answers": keyed, "default": "", "salt": salt}
    (folder / "answers.json").write_text(json.dumps(spec, ensure_ascii=False, sort_keys=True))
    (folder / "adapter_model.safetensors").write_bytes(hashlib.sha256(salt.encode()).digest())
    return folder


def start_shadow(root: Path, cand: registry.Candidate, percentage: float) -> None:
    spec = {"candidate": cand.id, "sha256": cand.sha256, "traffic_percentage": percentage}
    spec["log"] = f"{paths.deploy_candidate(cand.engine, cand.id)}/shadow.jsonl"
    atomic.write_json(root / paths.deploy_shadow_active(cand.engine), spec)


def answer_of(cand: registry.Candidate, root: Path, text: str) -> str:
    spec = json.loads((root / cand.adapter / "answers.json").read_text(encoding="utf-8"))
    return spec["answers"].get(text, spec["default"])


# production answer, shadow answer, and the CER between them (after foundry.text.normalize)
STT_PAIRS = [
    ("നമസ്കാരം ലോകം", "നമസ്കാരം ലോകം", 0.0),
    ("abcdefgh", "abcdefgX", 0.125),
    ("abcd", "abxy", 0.5),
    ("ab", "abcdef", 2.0),
]


def test_known_traffic_gives_exact_counts(tmp_path: Path, calls: CallCounter) -> None:
    root = tmp_path
    rows = fakes.items(12)
    reg = registry.register
    a = reg(root, "intent", fakes.make_adapter(root / "src/a", rows, 1.0, salt="a"))
    b = reg(root, "intent", fakes.make_adapter(root / "src/b", rows, 0.0, salt="b"))
    s = reg(root, "intent", fakes.make_adapter(root / "src/s", rows, 0.5, salt="s"))
    registry.promote(root, a, ["first"])
    start_shadow(root, s, 50.0)
    clips = [tone(200 + 40 * i) for i in range(len(STT_PAIRS))]
    p = reg(root, "stt", stt_adapter(root / "src/p", clips, [x[0] for x in STT_PAIRS], "p"))
    q = reg(root, "stt", stt_adapter(root / "src/q", clips, [x[1] for x in STT_PAIRS], "q"))
    registry.promote(root, p, ["first"])
    start_shadow(root, q, 100.0)
    f = reg(root, "sentiment", fakes.make_adapter(root / "src/f", rows, 1.0, fail=True))
    registry.promote(root, f, ["first"])  # a champion that raises: 500 model_error
    # dialect has no production model: 503 no_model

    served: list[tuple[str, str, str]] = []  # (engine, model, request id) of every 200

    def ask(c: httpx.Client, engine: str, body: dict, rid: str) -> httpx.Response:
        r = c.post(f"/v1/{engine}", json={**body, "id": rid})
        if r.status_code == 200:
            served.append((engine, r.json()["model"]["candidate"], rid))
        return r

    def intent_phase(c: httpx.Client, phase: str, champion: registry.Candidate) -> None:
        for i, row in enumerate(rows):
            r = ask(c, "intent", {"text": row["text"]}, f"{phase}-{i:02d}")
            assert r.status_code == 200 and r.json()["model"]["candidate"] == champion.id

    long_text = {"text": "മ" * 2001}
    hostile = [  # (method, path, body, headers, engine label, status, reason)
        ("POST", "/v1/intent", b"", {}, "intent", 400, "bad_json"),
        ("POST", "/v1/intent", b"{}", {}, "intent", 400, "bad_field"),
        ("POST", "/v1/intent", b'{"text": "x", "id": [1]}', {}, "intent", 400, "bad_field"),
        ("POST", "/v1/intent", json.dumps(long_text).encode(), {}, "intent", 413, "text_too_long"),
        ("POST", "/v1/intent", b"x" * 70_000, {}, "intent", 413, "body_too_large"),
        (
            "POST",
            "/v1/intent",
            b'{"text": "x"}',
            {"Content-Type": "text/plain"},
            "intent",
            415,
            "unsupported_media_type",
        ),
        ("GET", "/v1/intent", b"", {}, "intent", 405, "method_not_allowed"),
        ("POST", "/v1/" + "n" * 3000, b'{"text": "x"}', {}, "none", 404, "unknown_engine"),
        ("POST", '/v1/x"}evil', b'{"text": "x"}', {}, "none", 404, "unknown_engine"),
        ("GET", "/admin", b"", {}, "none", 404, "not_found"),
        ("POST", "/v1/stt", b'{"audio": "!!!"}', {}, "stt", 400, "bad_base64"),
        (
            "POST",
            "/v1/stt",
            json.dumps({"audio": b64(wav(np.zeros(16000, dtype=np.float32)))}).encode(),
            {},
            "stt",
            400,
            "silence",
        ),
        (
            "POST",
            "/v1/stt",
            json.dumps({"audio": b64(tone(300, 0.1))}).encode(),
            {},
            "stt",
            400,
            "too_short",
        ),
    ]

    service = Service(root, ["intent", "stt", "sentiment", "dialect"], poll_s=0.05)
    with Running(service) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        before = scrape(c)
        assert by(before, "foundry_model_swaps_total", "engine", "event") == {}  # loads only

        # --- phase 1: champion a, shadow s at 50 % -----------------------------------------
        intent_phase(c, "p1", a)
        for i, clip in enumerate(clips):
            assert ask(c, "stt", {"audio": b64(clip)}, f"stt-{i}").status_code == 200
        for method, path, body, headers, _, status, reason in hostile:
            r = c.request(method, path, content=body, headers=headers)
            assert (r.status_code, r.json()["reason"]) == (status, reason), (path, r.text)
        for i in range(2):
            r = ask(c, "sentiment", {"text": rows[i]["text"]}, f"sent-{i}")
            assert r.status_code == 500 and r.json()["reason"] == "model_error"
        r = ask(c, "dialect", {"audio": b64(tone(220))}, "dia-0")
        assert r.status_code == 503 and r.json()["reason"] == "no_model"

        # --- promotion mid-way, picked up by the watcher ------------------------------------
        registry.promote(root, b, ["better"])
        wait_for(
            lambda: (
                by(scrape(c), "foundry_model_swaps_total", "engine", "event")
                == {("intent", "promote"): 1.0}
            ),
            what="the watcher to swap in the promoted candidate",
        )
        intent_phase(c, "p2", b)

        # --- rollback, picked up by the watcher ---------------------------------------------
        registry.rollback(root, "intent", "test rollback")
        wait_for(
            lambda: (
                by(scrape(c), "foundry_model_swaps_total", "engine", "event")
                == {("intent", "promote"): 1.0, ("intent", "rollback"): 1.0}
            ),
            what="the watcher to swap back",
        )
        intent_phase(c, "p3", a)

        for slot in service.slots.values():
            assert slot.drain(30)
        # scraping costs no model call
        calls_before = calls.calls
        texts = [c.get("/metrics").text for _ in range(5)]
        assert calls.calls == calls_before
        m = parse(texts[-1])

    # --- what the rules say --------------------------------------------------------------
    cands = {x.id: x for x in (a, b, s, p, q, f)}
    ok = Counter((e, model, "2xx") for e, model, _ in served)
    assert ok == {("intent", a.id, "2xx"): 24, ("intent", b.id, "2xx"): 12, ("stt", p.id, "2xx"): 4}
    expected_requests = Counter(ok)
    for _, _, _, _, engine, status, _ in hostile:
        expected_requests[(engine, "none", f"{status // 100}xx")] += 1
    expected_requests[("sentiment", f.id, "5xx")] += 2
    expected_requests[("dialect", "none", "5xx")] += 1
    assert by(m, "foundry_requests_total", "engine", "model", "status") == expected_requests

    expected_errors = Counter((e, f"{st // 100}xx", why) for *_, e, st, why in hostile)
    expected_errors[("sentiment", "5xx", "model_error")] += 2
    expected_errors[("dialect", "5xx", "no_model")] += 1
    errors = by(m, "foundry_request_errors_total", "engine", "status", "reason")
    assert errors == expected_errors
    # a literal spot check, independent of the table: both bad_field requests were counted
    assert errors[("intent", "4xx", "bad_field")] == 2

    assert by(m, "foundry_model_swaps_total", "engine", "event") == {
        ("intent", "promote"): 1.0,
        ("intent", "rollback"): 1.0,
    }
    assert by(m, "foundry_model_load_errors_total", "engine", "role") == {}

    # latency: one observation per 2xx, by the model that answered
    assert by(m, "foundry_request_duration_seconds_count", "engine", "model") == {
        (e, model): n for (e, model, _), n in ok.items()
    }
    assert by(m, "foundry_audio_seconds_total", "engine") == {("stt",): 4.0}  # 4 clips of 1 s

    # shadow: the deterministic split decides; agreement from the two models' answer files
    intent_mirrored = [
        (model, rid) for e, model, rid in served if e == "intent" and mirrored(rid, 50)
    ]
    assert 0 < len(intent_mirrored) < 36
    assert by(m, "foundry_shadow_mirrored_total", "engine", "model") == {
        ("intent", s.id): len(intent_mirrored),
        ("stt", q.id): 4,
    }
    assert by(m, "foundry_shadow_dropped_total", "engine", "model") == {}
    assert by(m, "foundry_shadow_failed_total", "engine", "model") == {}
    text_of = {
        f"{ph}-{i:02d}": row["text"] for ph in ("p1", "p2", "p3") for i, row in enumerate(rows)
    }
    agreement: Counter[tuple[str, str, str, str]] = Counter()
    for model, rid in intent_mirrored:
        same = answer_of(cands[model], root, text_of[rid]) == answer_of(s, root, text_of[rid])
        agreement[("intent", model, s.id, "agree" if same else "disagree")] += 1
    assert {k[3] for k in agreement} == {"agree", "disagree"}  # the test exercises both
    got = by(m, "foundry_shadow_agreement_total", "engine", "production", "shadow", "result")
    assert got == agreement
    key = (("engine", "stt"), ("production", p.id), ("shadow", q.id))
    cer = [x[2] for x in STT_PAIRS]
    assert m["foundry_shadow_cer_count"] == {key: 4.0}
    assert m["foundry_shadow_cer_sum"][key] == pytest.approx(sum(cer))
    buckets = {dict(k)["le"]: v for k, v in m["foundry_shadow_cer_bucket"].items()}
    for le in monitoring.CER_BUCKETS:
        assert buckets[str(float(le))] == sum(x <= le for x in cer), le
    assert buckets["+Inf"] == 4.0
    assert by(m, "foundry_inference_duration_seconds_count", "engine", "model", "role") == {
        ("intent", a.id, "production"): 24,
        ("intent", b.id, "production"): 12,
        ("stt", p.id, "production"): 4,
        ("intent", s.id, "shadow"): len(intent_mirrored),
        ("stt", q.id, "shadow"): 4,
    }
    # every model call is accounted for: 40 answers + 2 failures + the mirrors; scrapes add none
    assert calls.calls == 36 + 4 + 2 + len(intent_mirrored) + 4

    # the current models, from the registry
    assert by(m, "foundry_model_info", "engine", "role", "model", "sha256") == {
        ("intent", "production", a.id, a.sha256): 1.0,
        ("intent", "shadow", s.id, s.sha256): 1.0,
        ("stt", "production", p.id, p.sha256): 1.0,
        ("stt", "shadow", q.id, q.sha256): 1.0,
        ("sentiment", "production", f.id, f.sha256): 1.0,
    }
    assert by(m, "foundry_shadow_queue_depth", "engine") == {
        (e,): 0.0 for e in ("dialect", "intent", "sentiment", "stt")
    }

    # no caller input in any label: every value is from a closed set
    allowed = (
        set(service.slots)
        | {"none", "2xx", "4xx", "5xx", "agree", "disagree", "promote", "rollback"}
        | {"production", "shadow"}
        | set(monitoring.REASONS)
        | {x.id for x in cands.values()}
        | {x.sha256 for x in cands.values()}
    )
    for name, series in m.items():
        for labels in series:
            for k, v in labels:
                assert k == "le" or v in allowed, (name, k, v)
    assert "nnnnnnnn" not in texts[-1] and "evil" not in texts[-1]


def test_scrapes_stay_answerable_under_load_and_cost_no_model_call(
    tmp_path: Path, calls: CallCounter
) -> None:
    rows = fakes.items(10)
    champ = registry.register(tmp_path, "intent", fakes.make_adapter(tmp_path / "a", rows, 1.0))
    registry.promote(tmp_path, champ, ["first"])
    scraped = threading.Event()  # clients keep going until the scraper has scraped under load
    per_client, clients = 20, 8
    sent: list[int] = []
    problems: list[str] = []

    def client(k: int, url: str) -> None:
        n = 0
        with httpx.Client(base_url=url, timeout=30) as c:
            while n < per_client or not scraped.is_set():
                r = c.post("/v1/intent", json={"text": rows[n % len(rows)]["text"]})
                if r.status_code != 200:
                    problems.append(f"{k}: {r.status_code} {r.text[:100]}")
                n += 1
        sent.append(n)

    service = Service(tmp_path, ["intent"], poll_s=3600)
    with Running(service) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        threads = [threading.Thread(target=client, args=(k, srv.url)) for k in range(clients)]
        for t in threads:
            t.start()
        seen: list[float] = []
        while any(t.is_alive() for t in threads):
            m = scrape(c)  # 200, text/plain, parseable
            seen.append(
                by(m, "foundry_requests_total", "engine", "model", "status").get(
                    ("intent", champ.id, "2xx"), 0.0
                )
            )
            if len(seen) >= 20:
                scraped.set()
        for t in threads:
            t.join()
        final = scrape(c)
        calls_after_traffic = calls.calls
        for _ in range(5):
            scrape(c)
        assert calls.calls == calls_after_traffic

    assert problems == []
    assert len(seen) >= 20
    assert seen == sorted(seen)  # a counter never goes back
    total = sum(sent)
    assert by(final, "foundry_requests_total", "engine", "model", "status") == {
        ("intent", champ.id, "2xx"): total
    }
    assert calls_after_traffic == total  # one model answer per request, none per scrape


def test_load_errors_and_current_models(tmp_path: Path, calls: CallCounter) -> None:
    rows = fakes.items(3)
    a = registry.register(tmp_path, "intent", fakes.make_adapter(tmp_path / "a", rows, 1.0))
    registry.promote(tmp_path, a, ["first"])
    service = Service(tmp_path, ["intent"], poll_s=3600)  # the test refreshes explicitly
    with Running(service) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        prod = tmp_path / paths.deploy_production("intent")
        record = prod.read_text(encoding="utf-8")
        prod.write_text("{not json", encoding="utf-8")
        service.refresh()
        service.refresh()  # the same broken version is one error, not one per poll
        prod.write_text(record, encoding="utf-8")
        service.refresh()  # the same champion again: not a swap
        (tmp_path / paths.deploy_shadow_active("intent")).write_text(
            '{"candidate": "nope"}', encoding="utf-8"
        )
        service.refresh()
        m = scrape(c)
        assert c.post("/v1/intent", json={"text": rows[0]["text"]}).status_code == 200
    assert by(m, "foundry_model_load_errors_total", "engine", "role") == {
        ("intent", "production"): 1.0,
        ("intent", "shadow"): 1.0,
    }
    assert by(m, "foundry_model_swaps_total", "engine", "event") == {}
    assert by(m, "foundry_model_info", "engine", "role", "model") == {
        ("intent", "production", a.id): 1.0
    }


def test_each_service_has_its_own_registry(tmp_path: Path) -> None:
    one, two = Service(tmp_path, ["intent"]), Service(tmp_path, ["intent"])
    one.metrics.request("intent", 400, reason="bad_json")
    count = "foundry_requests_total"
    assert by(parse(one.metrics.exposition()[0].decode()), count, "engine", "model", "status") == {
        ("intent", "none", "4xx"): 1.0
    }
    assert by(parse(two.metrics.exposition()[0].decode()), count, "engine", "model", "status") == {}


def test_labels_are_bounded() -> None:
    m = monitoring.Metrics(["intent"])
    m.request("dialect", 400, reason="bad_json")  # not served here
    m.request("intent", 400, reason='x"} 1\nfoundry_evil 1')  # not a reason name
    m.request("intent", 200, model="../../etc/passwd", seconds=0.1)
    m.swap("intent", {"not": "an event"})
    m.load_error("intent", "somewhere")
    s = parse(m.exposition()[0].decode())
    assert by(s, "foundry_request_errors_total", "engine", "status", "reason") == {
        ("none", "4xx", "bad_json"): 1.0,
        ("intent", "4xx", "other"): 1.0,
    }
    assert ("intent", "other", "2xx") in by(
        s, "foundry_requests_total", "engine", "model", "status"
    )
    assert by(s, "foundry_model_swaps_total", "engine", "event") == {("intent", "other"): 1.0}
    assert by(s, "foundry_model_load_errors_total", "engine", "role") == {("intent", "other"): 1.0}
    assert "evil" not in m.exposition()[0].decode()


def _reason_names(source: str) -> set[str]:
    patterns = (
        r'ClientError\(\s*\d{3},\s*"(\w+)"',
        r'_reject\(\s*"(\w+)"',
        r'_error\(\s*\d{3},\s*"(\w+)"',
        r'\d{3}: \("(\w+)",',
        r'reason = "(\w+)"',
    )
    return {name for p in patterns for name in re.findall(p, source)}


def test_reason_label_set_covers_every_reason_the_service_answers() -> None:
    """A new reason in the request checks or serve.py must join REASONS, or it counts as other."""
    found = set(audio.AUDIO_REJECT_REASONS)
    for module in ("limits", "body", "request_audio", "serve"):
        found |= _reason_names((ROOT / f"foundry/deploy/{module}.py").read_text(encoding="utf-8"))
    assert {"bad_json", "unknown_engine", "not_found", "model_error", "silence"} <= found
    assert found - monitoring.REASONS == set()


def test_answer_cer_and_wav_seconds() -> None:
    for prod, shadow, cer in STT_PAIRS:
        assert monitoring.answer_cer(prod, shadow) == pytest.approx(cer)
    assert monitoring.answer_cer("", "") == 0.0
    assert monitoring.wav_seconds(standard_wav(tone(220, 2.5))) == 2.5
    assert monitoring.wav_seconds(b"not a wav") == 0.0


def test_every_metric_family_is_documented_with_its_labels() -> None:
    """monitoring.METRICS is the one list of the service's series; docs/monitoring.md's table
    names each with its type and labels."""
    doc = (ROOT / "docs/monitoring.md").read_text(encoding="utf-8")
    kinds = {"Counter": "counter", "Histogram": "histogram", "Gauge": "gauge"}
    for m in monitoring.METRICS:
        name = m.name + ("_total" if m.kind.__name__ == "Counter" else "")
        labels = ", ".join(f"`{x}`" for x in m.labels)
        row = f"| `{name}` | {kinds[m.kind.__name__]} | {labels} |".replace("|  |", "| |")
        assert row in doc, row
