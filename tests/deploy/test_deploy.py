"""Deploy stack with fake predictors: registry, gate, shadow on a real loopback service."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import fakes
import pytest
from factory import deploy_settings

from foundry import paths
from foundry.deploy import gate, models, pipeline, registry
from foundry.deploy import shadow as shadow_mod
from foundry.settings import Deploy
from foundry.train import metrics


@pytest.fixture(autouse=True)
def fake_models(monkeypatch):
    monkeypatch.setattr(models, "LOADER", fakes.fake_loader)


def opts(pct: float = 50, **deploy) -> Deploy:
    dep = {"bootstrap": {"resamples": 300}, **deploy}
    return deploy_settings("intent", seed=1234, traffic_percentage=pct, deploy=dep)


def read(path: Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


@pytest.fixture
def project(tmp_path):
    rows, dev_rows = fakes.items(60), fakes.items(40, "dv")
    test = fakes.write_split(tmp_path / "splits/intent/test.parquet", rows)
    dev = fakes.write_split(tmp_path / "splits/intent/dev.parquet", dev_rows)
    return tmp_path, rows + dev_rows, test, dev


def deploy(root, test, dev, adapter, o=None):
    return pipeline.deploy_engine(root, "intent", o or opts(), adapter, test, dev)


# --- gate ---------------------------------------------------------------------------------


def test_gate_classifier_better_passes_worse_fails():
    rows = fakes.items(90)
    refs = [r["label"] for r in rows]
    good = [r["label"] for r in rows]
    bad = [
        fakes.LABELS[(fakes.LABELS.index(x) + 1) % 3] if i % 2 else x for i, x in enumerate(refs)
    ]
    o = opts()
    better = gate.evaluate("intent", refs, good, bad, o)
    worse = gate.evaluate("intent", refs, bad, good, o)
    assert better["passed"] and better["difference"]["ci_low"] > 0
    assert not worse["passed"]
    failed = {c["name"] for c in worse["checks"] if not c["passed"]}
    assert failed == {"macro_f1_drop", "class_recall_drop"}
    # deterministic: the fixed seed gives the same interval twice
    assert gate.evaluate("intent", refs, good, bad, o) == better


def test_gate_too_few_samples_is_a_failure():
    refs = ["a", "b", "a"]
    v = gate.evaluate("intent", refs, refs, ["b", "a", "b"], opts())
    assert not v["passed"]
    assert v["reasons"][0].startswith("min_test_samples: 3 labelled test items")


def test_gate_stt_cer_ci_upper_bound():
    o = deploy_settings("stt", seed=1, deploy={"min_test_samples": 5})
    refs = [f"മലയാളം വാക്യം {i}" for i in range(30)]
    worse = [r[:-1] for r in refs]  # one char dropped per item: CER +~6 points
    v = gate.evaluate("stt", refs, worse, refs, o)
    assert v["kind"] == "stt" and not v["passed"]
    assert v["difference"]["ci_low"] > 0.5
    same = gate.evaluate("stt", refs, refs, refs, o)
    assert same["passed"] and same["difference"]["ci_high"] == 0
    assert metrics.edit_distance("kitten", "sitting") == 3
    # metrics are fractions like models/<engine>/metrics.json; the CI is in points
    assert 0.05 < v["candidate_metrics"]["cer"] < 0.1 and v["champion_metrics"]["cer"] == 0
    # absolute ceiling (points) when there is no champion yet
    o = dataclasses.replace(o, gate={**o.gate, "max_cer": 5.0})
    alone = gate.evaluate("stt", refs, worse, None, o)
    # one definition: the gate's CER is training's (normalized text, so a dangling space counts
    # as what it is after normalization)
    trained = metrics.stt_metrics(refs, worse)["cer"]
    assert alone["candidate_metrics"]["cer"] == trained
    assert not alone["passed"]
    assert alone["reasons"][0].startswith(f"max_cer: CER {100 * trained:.2f}")


def test_settings_per_engine_overrides():
    cfg = {
        "traffic_percentage": 25,
        "deploy": {
            "min_test_samples": 7,
            "engines": {"stt": {"thresholds": {"stt": {"max_cer_increase": 2.0}}}},
        },
    }
    s = deploy_settings("stt", **cfg)
    assert s.gate["max_cer_increase"] == 2.0 and s.min_test_samples == 7
    assert s.traffic_percentage == 25.0 and s.bootstrap["seed"] == 1234  # the top seed
    assert deploy_settings("intent", **cfg).gate["max_macro_f1_drop"] == 0.01


# --- registry -----------------------------------------------------------------------------


def test_register_is_idempotent_and_immutable(tmp_path):
    rows = fakes.items(9)
    src = fakes.make_adapter(tmp_path / "models/intent/adapter", rows, 1.0)
    a = registry.register(tmp_path, "intent", src)
    assert registry.register(tmp_path, "intent", src) == a
    assert (tmp_path / a.adapter / "answers.json").read_bytes() == (
        src / "answers.json"
    ).read_bytes()
    fakes.make_adapter(src, rows, 0.5)  # retraining rewrites models/ ...
    b = registry.register(tmp_path, "intent", src)
    assert b.id != a.id
    registry.verify(tmp_path, a)  # ... but never the registered copy
    events = [e["event"] for e in registry.history(tmp_path, "intent")]
    assert events == ["register", "register"]


def test_tamper_is_detected_with_a_clear_message(tmp_path):
    src = fakes.make_adapter(tmp_path / "a", fakes.items(9), 1.0)
    cand = registry.register(tmp_path, "intent", src)
    weights = tmp_path / cand.adapter / "adapter_model.safetensors"
    weights.write_bytes(b"evil" + weights.read_bytes()[4:])
    with pytest.raises(registry.TamperError, match="adapter_model.safetensors: recorded"):
        registry.verify(tmp_path, cand)


def test_rollback_restores_previous_champion_from_history(tmp_path):
    rows = fakes.items(9)
    c1 = registry.register(tmp_path, "intent", fakes.make_adapter(tmp_path / "1", rows, 0.5))
    c2 = registry.register(tmp_path, "intent", fakes.make_adapter(tmp_path / "2", rows, 1.0))
    with pytest.raises(registry.RegistryError, match="no previous champion"):
        registry.rollback(tmp_path, "intent")
    registry.promote(tmp_path, c1, ["first"])
    registry.promote(tmp_path, c2, ["better"])
    assert registry.production(tmp_path, "intent")["candidate"] == c2.id
    rec = registry.rollback(tmp_path, "intent", "pager went off")
    assert rec["candidate"] == c1.id and rec["event"] == "rollback"
    assert registry.production(tmp_path, "intent")["sha256"] == c1.sha256
    with pytest.raises(registry.RegistryError, match="champions so far: " + c1.id):
        registry.rollback(tmp_path, "intent")
    events = [e["event"] for e in registry.history(tmp_path, "intent")]
    assert events == ["register", "register", "promote", "promote", "rollback"]


class Killed(Exception):
    """The process dying between two writes."""


@pytest.mark.parametrize("killed_in", ["promote", "rollback"])
def test_a_kill_between_production_and_history_never_rolls_back_to_the_wrong_one(
    tmp_path, monkeypatch, killed_in
):
    rows = fakes.items(9)
    a, b, c = (
        registry.register(tmp_path, "intent", fakes.make_adapter(tmp_path / n, rows, q))
        for n, q in (("a", 0.3), ("b", 0.6), ("c", 1.0))
    )
    registry.promote(tmp_path, a, ["first"])
    registry.promote(tmp_path, b, ["better"])
    real = registry.append_history

    def dies(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(registry, "append_history", dies)
    with pytest.raises(Killed):  # production.json is swapped, its history line never written
        if killed_in == "promote":
            registry.promote(tmp_path, c, ["best"])
        else:
            registry.rollback(tmp_path, "intent", "pager")
    monkeypatch.setattr(registry, "append_history", real)
    now = registry.production(tmp_path, "intent")["candidate"]
    assert now == (c.id if killed_in == "promote" else a.id)
    if killed_in == "promote":  # production is c: a rollback restores b, the one c replaced
        assert registry.rollback(tmp_path, "intent", "pager")["candidate"] == b.id
        assert registry.champion_stack(registry.history(tmp_path, "intent")) == [a.id, b.id]
    else:  # the rollback to a happened: nothing is left to roll back to
        with pytest.raises(registry.RegistryError, match="champions so far: " + a.id):
            registry.rollback(tmp_path, "intent")
    late = [e for e in registry.history(tmp_path, "intent") if "recorded late" in str(e)]
    assert len(late) == 1 and late[0]["candidate"] == now


def test_an_event_appended_while_another_is_being_written_is_kept(tmp_path, monkeypatch):
    """A deploy job and a `foundry rollback` appending at the same moment keep both events."""
    real = registry.json.dumps
    fired: list[bool] = []

    def dumps(obj, *args, **kwargs):
        if isinstance(obj, dict) and obj.get("event") == "outer" and not fired:
            fired.append(True)  # another writer appends while this one is under way
            registry.append_history(tmp_path, "intent", {"event": "inner"})
        return real(obj, *args, **kwargs)

    registry.append_history(tmp_path, "intent", {"event": "first"})
    monkeypatch.setattr(registry.json, "dumps", dumps)
    registry.append_history(tmp_path, "intent", {"event": "outer"})
    monkeypatch.setattr(registry.json, "dumps", real)
    events = [e["event"] for e in registry.history(tmp_path, "intent")]
    assert fired and events == ["first", "inner", "outer"]


def test_a_torn_history_line_is_no_event_and_the_next_append_cuts_it(tmp_path):
    registry.append_history(tmp_path, "intent", {"event": "first"})
    log = tmp_path / paths.deploy_history("intent")
    with open(log, "ab") as fh:  # a crash in the middle of the next line
        fh.write(b'{"event": "prom')
    assert [e["event"] for e in registry.history(tmp_path, "intent")] == ["first"]
    registry.append_history(tmp_path, "intent", {"event": "second"})
    assert [e["event"] for e in registry.history(tmp_path, "intent")] == ["first", "second"]
    assert log.read_bytes().endswith(b"\n") and log.read_bytes().count(b"\n") == 2


def test_a_bad_copy_never_stays_in_the_registry(tmp_path, monkeypatch):
    rows = fakes.items(9)
    base = tmp_path / "models/intent/base"
    base.mkdir(parents=True)
    (base / "config.json").write_text('{"base": 1}')
    src = fakes.make_adapter(tmp_path / "models/intent/adapter", rows, 1.0)
    real_copy = registry.shutil.copyfile

    def changing(a, b, *args, **kwargs):  # the base is rewritten while it is copied
        out = real_copy(a, b, *args, **kwargs)
        if Path(a).name == "config.json":
            Path(b).write_text('{"base": 2}')
        return out

    monkeypatch.setattr(registry.shutil, "copyfile", changing)
    with pytest.raises(registry.TamperError, match="changed while it was being registered"):
        registry.register(tmp_path, "intent", src, base_dir=base)
    monkeypatch.setattr(registry.shutil, "copyfile", real_copy)
    bases = tmp_path / paths.deploy_dir("intent") / "bases"
    assert not bases.exists() or not any(p.name[0] != "." for p in bases.iterdir())
    cand = registry.register(tmp_path, "intent", src, base_dir=base)  # the next deploy works
    registry.verify(tmp_path, cand)
    # a registered base damaged later is copied again by the next candidate, not reused
    (tmp_path / cand.base / "config.json").write_text('{"base": 3}')
    fakes.make_adapter(src, rows, 0.5)
    other = registry.register(tmp_path, "intent", src, base_dir=base)
    assert other.base == cand.base and registry.verify(tmp_path, other) is None


# --- the whole decision, with the real loopback service ------------------------------------


def test_first_candidate_becomes_production_without_shadow(project):
    root, rows, test, dev = project
    src = fakes.make_adapter(root / "models/intent/adapter", rows, 0.6)
    d = deploy(root, test, dev, src)
    assert d["decision"] == "promote" and d["production"] == {
        "before": None,
        "after": d["candidate"],
    }
    assert read(root / paths.deploy_decision("intent")) == d
    cdir = root / paths.deploy_candidate("intent", d["candidate"])
    assert (cdir / "validation.json").exists() and not (cdir / "shadow_report.json").exists()
    # deploying the same adapter again changes nothing
    again = deploy(root, test, dev, src)
    assert again["decision"] == "promote" and "already production" in again["reasons"][0]


def test_better_candidate_promoted_worse_rolled_back_tampered_rejected(project):
    root, rows, test, dev = project
    weak = fakes.make_adapter(root / "w", rows, 0.4)
    champion = deploy(root, test, dev, weak)["candidate"]

    strong = fakes.make_adapter(root / "s", rows, 1.0)
    d = deploy(root, test, dev, strong)
    assert d["decision"] == "promote", d["reasons"]
    assert d["checks"] == {"integrity": True, "offline_gate": True, "shadow": True}
    prod = registry.production(root, "intent")
    assert prod["candidate"] == d["candidate"] != champion
    cdir = root / paths.deploy_candidate("intent", d["candidate"])
    report = read(cdir / "shadow_report.json")
    assert report["samples"] >= 30 and report["candidate_errors"] == 0
    assert report["caller"]["status_codes"] == {"200": report["caller"]["requests"]}
    assert report["caller"]["served_by"] == {champion: report["caller"]["requests"]}
    assert report["labelled"]["candidate_accuracy"] == 1.0
    log = shadow_mod.read_log(cdir / "shadow.jsonl")
    assert {r["champion"]["candidate"] for r in log} == {champion}
    assert {r["candidate"]["candidate"] for r in log} == {d["candidate"]}
    assert not (root / paths.deploy_shadow_active("intent")).exists()

    # a worse candidate (a shuffled-label-like one) is rolled back; production untouched
    before = (root / paths.deploy_production("intent")).read_bytes()
    bad = fakes.make_adapter(root / "b", rows, 0.3, salt="shuffled")
    d2 = deploy(root, test, dev, bad)
    assert d2["decision"] == "rollback"
    assert d2["checks"] == {"integrity": True, "offline_gate": False}
    assert any("macro_f1_drop" in r for r in d2["reasons"])
    assert (root / paths.deploy_production("intent")).read_bytes() == before
    assert (root / paths.deploy_candidate("intent", d2["candidate"]) / "rejected.json").exists()

    # a tampered candidate is rejected before any model is loaded
    good2 = fakes.make_adapter(root / "g2", rows, 1.0, salt="retrain")
    cand = registry.register(root, "intent", good2)
    (root / cand.adapter / "answers.json").write_text("{}")
    fakes.LOADS.clear()
    d3 = deploy(root, test, dev, good2)
    assert d3["decision"] == "rollback" and d3["checks"] == {"integrity": False}
    assert "does not match its recorded hashes" in d3["reasons"][0]
    assert fakes.LOADS == []
    assert (root / paths.deploy_production("intent")).read_bytes() == before
    events = [e["event"] for e in registry.history(root, "intent")]
    assert events.count("promote") == 2 and events.count("reject") == 2


def test_shadow_replay_serves_with_the_configured_request_limits(project):
    """The replay's service applies serve.limits as `foundry serve --config` would: texts over
    max_text_chars are 413 to the caller, so the candidate never saw a real call and loses."""
    root, rows, test, dev = project
    deploy(root, test, dev, fakes.make_adapter(root / "w", rows, 0.4))
    strict = deploy_settings(
        "intent",
        seed=1234,
        traffic_percentage=50,
        deploy={"bootstrap": {"resamples": 300}},
        serve={"limits": {"max_text_chars": 2}},
    )
    d = deploy(root, test, dev, fakes.make_adapter(root / "s", rows, 1.0), strict)
    report = read(root / paths.deploy_candidate("intent", d["candidate"]) / "shadow_report.json")
    assert set(report["caller"]["status_codes"]) == {"413"}
    assert d["decision"] == "rollback" and d["checks"]["shadow"] is False


def test_shadow_guardrails_fail_on_candidate_errors(project):
    root, rows, test, dev = project
    deploy(root, test, dev, fakes.make_adapter(root / "w", rows, 0.4))
    crashing = fakes.make_adapter(root / "c", rows, 1.0, fail=True)
    # the offline gate cannot run a crashing model: the step fails loudly instead
    with pytest.raises(RuntimeError, match="candidate exploded"):
        deploy(root, test, dev, crashing)


def test_a_shadow_log_cut_mid_line_reads_back_without_its_torn_line(tmp_path):
    log = tmp_path / "shadow.jsonl"
    log.write_bytes(b'{"request_id": "a"}\n{"request_id": "b"}\n{"request_id": "c", "cand')
    assert shadow_mod.read_log(log) == [{"request_id": "a"}, {"request_id": "b"}]
    log.write_bytes(b'{"request_id": "a"}\n{not json}\n')  # damage inside: still an error
    with pytest.raises(json.JSONDecodeError):
        shadow_mod.read_log(log)


def test_shadow_analyse_guardrails():
    spec = deploy_settings("intent").shadow

    def rec(i, out, err=None, lat=5.0):
        return {
            "request_id": f"x{i}#0",
            "champion": {"output": "a", "latency_ms": 5.0},
            "candidate": {"output": out, "latency_ms": lat, "error": err},
        }

    good = [rec(i, "a") for i in range(40)]
    assert shadow_mod.analyse("intent", good, spec)["passed"]
    slow = [rec(i, "a", lat=5000.0) for i in range(40)]
    r = shadow_mod.analyse("intent", slow, spec)
    assert [c["name"] for c in r["checks"] if not c["passed"]] == ["shadow_p95_latency"]
    errs = [rec(i, None, "boom") if i < 3 else rec(i, "a") for i in range(40)]
    r = shadow_mod.analyse("intent", errs, spec)
    assert [c["name"] for c in r["checks"] if not c["passed"]] == ["shadow_error_rate"]
    disagree = [rec(i, "b") for i in range(40)] + [{"request_id": "d", "dropped": True}]
    assert shadow_mod.analyse("intent", disagree, spec, expected_agreement=0.1)["passed"]
    r = shadow_mod.analyse("intent", disagree, spec, expected_agreement=0.9)
    assert [c["name"] for c in r["checks"] if not c["passed"]] == ["shadow_agreement"]
    assert r["dropped"] == 1
    few = shadow_mod.analyse("intent", good[:5], spec)
    assert not few["passed"] and few["reasons"][0].startswith("shadow_min_samples")


def test_plan_requests_is_deterministic_and_reaches_min_samples():
    from foundry.deploy.serve import mirrored

    ids = [f"it{i}" for i in range(20)]
    plan = shadow_mod.plan_requests(ids, 10, 30, 5000)
    assert plan == shadow_mod.plan_requests(ids, 10, 30, 5000)
    assert sum(mirrored(rid, 10) for rid, _ in plan) == 30
    assert 150 < len(plan) < 600
    assert len(shadow_mod.plan_requests(ids, 10, 30, 50)) == 50
    assert shadow_mod.plan_requests(ids, 0, 30, 50) == []


def test_candidate_must_reproduce_training_predictions(project):
    root, rows, test, dev = project
    src = fakes.make_adapter(root / "a", rows, 1.0)
    ids = [r["id"] for r in rows[:60]]
    recorded = {i: "complaint" for i in ids}  # what "training" answered: not what these files do
    d = pipeline.deploy_engine(root, "intent", opts(), src, test, dev, train_predictions=recorded)
    assert d["decision"] == "rollback" and d["checks"] == {"integrity": False}
    assert "does not reproduce the predictions training recorded" in d["reasons"][0]
    assert registry.production(root, "intent") is None
    truth = {r["id"]: r["label"] for r in rows[:60]}
    d = pipeline.deploy_engine(root, "intent", opts(), src, test, dev, train_predictions=truth)
    assert d["decision"] == "promote"
