"""Deploy + serve with the REAL Predictor (foundry.train.infer) on tiny PEFT adapters.

Training through the workflow takes minutes on two shared cores, so the adapters here are built
directly: a tiny random RoBERTa base from ``foundry.train.base``, LoRA on top, and the
classification head fitted in closed form (a logistic-regression probe on the base's features,
folded into ``out_proj``). "good" is fitted on the true labels (~0.98 accuracy on held-out items),
"weak" and "bad" on shuffled labels (chance). Everything after that — registry, gate, the HTTP
service, shadow, promotion — is the production code path.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from factory import deploy_settings

from foundry import atomic, integrity, paths
from foundry.deploy import pipeline, registry
from foundry.deploy.serve import Running, Service
from foundry.gold import splits
from foundry.settings import Deploy

KEYS = {"balance": "ബാലൻസ്", "bill": "ബിൽ", "complaint": "പരാതി"}
FILL = ["എന്റെ", "ഇന്ന്", "വേഗം", "ദയവായി", "അറിയണം", "നോക്കൂ", "ഒന്ന്", "ഇപ്പോൾ"]
LABELS = sorted(KEYS)
ROOT = Path(__file__).resolve().parents[2]


def rows(n: int, seed: int, prefix: str) -> list[dict[str, str]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        lab = LABELS[i % 3]
        words = rng.sample(FILL, 3)
        words.insert(rng.randrange(4), KEYS[lab])
        text = " ".join(words)
        out.append(
            {
                "id": f"{prefix}{i:04d}",
                "dataset": "t",
                "text": text,
                "raw_text": text,
                "speaker": "",
                "label": lab,
            }
        )
    return out


def write_splits(root: Path, train, dev, test) -> None:
    for split, rs in (("train", train), ("dev", dev), ("test", test)):
        p = root / paths.split_file("intent", split)
        p.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rs), p)
    labels = {"labels": LABELS, "class_weights": dict.fromkeys(LABELS, 1.0)}
    atomic.write_json(root / paths.split_labels("intent"), labels)


def make_base(out: Path, texts: list[str]) -> None:
    from foundry.train import base as base_mod

    tiny = {"hidden_size": 32, "layers": 1, "heads": 2, "intermediate_size": 64}
    base_mod.build_base("intent", {"base": {"tiny": tiny}}, texts, out, 1234)


def make_adapter(base_dir: Path, out: Path, train, shuffle_seed: int | None = None) -> Path:
    """A real PEFT adapter folder that ``load_predictor('intent', out)`` serves."""
    from peft import LoraConfig, get_peft_model
    from sklearn.linear_model import LogisticRegression

    from foundry.train.infer import load_base, load_processor

    torch.manual_seed(0)
    tok = load_processor("text_classification", base_dir)
    model = load_base("text_classification", base_dir, {"labels": LABELS}).eval()
    lora = LoraConfig(r=2, lora_alpha=4, target_modules=["query", "value"], task_type="SEQ_CLS")
    model = get_peft_model(model, lora).eval()
    head = model.base_model.model.classifier.modules_to_save["default"]
    enc = tok([r["text"] for r in train], padding=True, return_tensors="pt")
    with torch.no_grad():
        h = model.base_model.model.roberta(**enc).last_hidden_state[:, 0]
        feats = torch.tanh(head.dense(h)).numpy()
    y = [LABELS.index(r["label"]) for r in train]
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(y)
    mu, sd = feats.mean(0), feats.std(0) + 1e-8
    clf = LogisticRegression(C=10.0, max_iter=5000).fit((feats - mu) / sd, y)
    w = clf.coef_ / sd
    with torch.no_grad():
        head.out_proj.weight.copy_(torch.tensor(w, dtype=torch.float32))
        head.out_proj.bias.copy_(torch.tensor(clf.intercept_ - w @ mu, dtype=torch.float32))
    model.save_pretrained(str(out))
    tok.save_pretrained(str(out))
    meta = {"engine": "intent", "task": "text_classification", "labels": LABELS, "seed": 0}
    atomic.write_json(out / "foundry.json", {**meta, "base_dir": paths.base_model_dir("intent")})
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """models/intent/{base, weak, good, bad} + splits in one folder, built once (~10 s)."""
    root = tmp_path_factory.mktemp("real")
    train, dev, test = rows(90, 1, "tr"), rows(60, 2, "dv"), rows(60, 3, "te")
    write_splits(root, train, dev, test)
    base = root / paths.base_model_dir("intent")
    make_base(base, [r["text"] for r in train])
    adapters = {
        "weak": make_adapter(base, root / "adapters/weak", train, shuffle_seed=5),
        "good": make_adapter(base, root / "adapters/good", train),
        "bad": make_adapter(base, root / "adapters/bad", train, shuffle_seed=11),
    }
    return root, base, adapters


def opts(pct: float = 50) -> Deploy:
    dep = {"bootstrap": {"resamples": 500}}
    return deploy_settings("intent", seed=1234, traffic_percentage=pct, deploy=dep)


def read(p: Path):
    return json.loads(p.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_real_models_better_promoted_worse_rolled_back_tampered_rejected(built, tmp_path):
    src, base, adapters = built
    root = tmp_path
    test = src / paths.split_file("intent", "test")
    dev = src / paths.split_file("intent", "dev")
    labels = LABELS

    def deploy(name: str) -> dict:
        return pipeline.deploy_engine(
            root, "intent", opts(), adapters[name], test, dev, {"name": name}, labels, base
        )

    first = deploy("weak")
    assert first["decision"] == "promote"  # no champion: the offline gate alone decides

    better = deploy("good")
    assert better["decision"] == "promote", better["reasons"]
    cdir = root / paths.deploy_candidate("intent", better["candidate"])
    v = read(cdir / "validation.json")
    assert v["candidate_metrics"]["accuracy"] > 0.9 > 0.5 > v["champion_metrics"]["accuracy"]
    assert v["difference"]["ci_low"] > 0
    report = read(cdir / "shadow_report.json")
    assert report["passed"] and report["samples"] >= 30 and report["candidate_errors"] == 0
    assert report["caller"]["served_by"] == {first["candidate"]: report["caller"]["requests"]}
    assert registry.production(root, "intent")["candidate"] == better["candidate"]

    prod_bytes = (root / paths.deploy_production("intent")).read_bytes()
    worse = deploy("bad")  # shuffled labels
    assert worse["decision"] == "rollback"
    assert any("macro_f1_drop" in r for r in worse["reasons"])
    assert (root / paths.deploy_production("intent")).read_bytes() == prod_bytes

    # tamper with a registered candidate's weights: rejected before it is ever served
    tampered = registry.register(root, "intent", adapters["bad"], base_dir=base)
    weights = root / tampered.adapter / "adapter_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    rej = deploy("bad")
    assert rej["decision"] == "rollback" and rej["checks"] == {"integrity": False}
    assert "adapter_model.safetensors: recorded" in rej["reasons"][0]
    assert (root / paths.deploy_production("intent")).read_bytes() == prod_bytes

    # the registry serves the promoted champion; `foundry rollback` restores the previous one
    with Running(Service(root, ["intent"], poll_s=0.05)) as srv:
        r = httpx.post(f"{srv.url}/v1/intent", json={"text": f"{KEYS['bill']} വേഗം"})
        assert r.status_code == 200
        assert r.json()["model"]["candidate"] == better["candidate"]
        assert r.json()["output"] in LABELS
    out = subprocess.run(
        [sys.executable, "-m", "foundry.cli", "rollback", "intent", "--root", str(root)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert first["candidate"] in out.stdout
    assert registry.production(root, "intent")["candidate"] == first["candidate"]


@pytest.mark.slow
def test_real_promotion_during_concurrent_requests(built, tmp_path):
    """Zero failed requests; every answer is the old or new champion's own prediction."""
    from foundry.train.infer import load_predictor

    src, base, adapters = built
    root = tmp_path
    old = registry.register(root, "intent", adapters["weak"], base_dir=base)
    new = registry.register(root, "intent", adapters["good"], base_dir=base)
    registry.promote(root, old, ["first"])
    texts = [r["text"] for r in rows(40, 9, "q")]
    truth = {
        c.id: dict(
            zip(
                texts,
                load_predictor("intent", str(root / c.adapter), str(root / c.base)).predict(
                    [{"text": t} for t in texts]
                ),
                strict=True,
            )
        )
        for c in (old, new)
    }
    assert truth[old.id] != truth[new.id]
    results, failures = [], []
    stop = threading.Event()

    def client(k: int) -> None:
        with httpx.Client(base_url=srv.url, timeout=60) as c:
            i = 0
            while not stop.is_set():
                t = texts[(i * 3 + k) % len(texts)]
                i += 1
                try:
                    r = c.post("/v1/intent", json={"text": t, "id": f"{k}-{i}"})
                    results.append((r.status_code, t, r.json()))
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))

    with Running(Service(root, ["intent"], poll_s=0.05)) as srv:
        threads = [threading.Thread(target=client, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        deadline = 60.0
        _wait(lambda: len(results) >= 15, deadline)
        registry.promote(root, new, ["better"])  # atomic pointer swap under load
        _wait(lambda: any(b["model"]["candidate"] == new.id for _, _, b in results[-6:]), deadline)
        n = len(results)
        _wait(lambda: len(results) >= n + 15, deadline)
        stop.set()
        for t in threads:
            t.join()
    assert failures == [] and {code for code, _, _ in results} == {200}
    served = {b["model"]["candidate"] for _, _, b in results}
    assert served == {old.id, new.id}
    for _, text, body in results:
        cid = body["model"]["candidate"]
        assert body["model"]["sha256"] == (old.sha256 if cid == old.id else new.sha256)
        assert body["output"] == truth[cid][text]


def _wait(cond, timeout: float) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.slow
def test_snakemake_deploy_target_runs_the_gate_and_shadow(built, tmp_path):
    """`snakemake deploy --config traffic_percentage=…` on a project copy with trained models."""
    from factory import make_project

    src, base, adapters = built
    proj = make_project(
        tmp_path,
        {
            "intent_ds": {
                "path": "hub/intent",
                "columns": {"text": "text", "label": "intent"},
                "engines": ["intent"],
                "license": "cc0-1.0",
                "shards": 1,
            }
        },
    )
    (proj / "hub/intent").mkdir(parents=True)  # config validation wants the dataset folder
    # the training rule's outputs, as the workflow would leave them
    for split in ("train", "dev", "test"):
        f = paths.split_file("intent", split)
        (proj / f).parent.mkdir(parents=True, exist_ok=True)
        (proj / f).write_bytes((src / f).read_bytes())
    (proj / paths.split_labels("intent")).write_bytes(
        (src / paths.split_labels("intent")).read_bytes()
    )
    import shutil

    shutil.copytree(base, proj / paths.base_model_dir("intent"))
    # what allocate records of its outputs (deploy checks its inputs against it)
    atomic.write_json(proj / paths.split_stats("intent"), {"engine": "intent"})
    atomic.write_json(proj / paths.split_checksums("intent"), splits.checksums("intent", proj))

    def trained(adapter: Path) -> None:
        """The training rule's adapter and its record of the adapter and base it wrote."""
        shutil.rmtree(proj / paths.adapter_dir("intent"), ignore_errors=True)
        shutil.copytree(adapter, proj / paths.adapter_dir("intent"))
        artifacts = {
            "adapter": integrity.tree_hashes(proj / paths.adapter_dir("intent")),
            "base": integrity.tree_hashes(proj / paths.base_model_dir("intent")),
        }
        record = {"engine": "intent", "artifacts": artifacts}
        atomic.write_json(proj / paths.metrics("intent"), record)

    trained(adapters["weak"])
    no_predictions = {"engine": "intent", "items": []}  # training's record; checked in unit tests
    atomic.write_json(proj / paths.test_predictions("intent"), no_predictions)

    def snakemake(*config: str) -> subprocess.CompletedProcess:
        # only the deploy rules may run: models/ and splits/ above stand in for training
        cmd = [sys.executable, "-m", "snakemake", "deploy", "--cores", "2"]
        cmd += ["--allowed-rules", "deploy", "deploy_engine", "--config", *config]
        return subprocess.run(cmd, cwd=proj, capture_output=True, text=True, timeout=600)

    res = snakemake("traffic_percentage=50")
    assert res.returncode == 0, res.stderr[-3000:]
    d1 = read(proj / paths.deploy_decision("intent"))
    assert d1["decision"] == "promote" and d1["traffic_percentage"] == 50

    # retrain (a better adapter lands in models/) and deploy again: gate + shadow + promotion
    trained(adapters["good"])
    os.utime(proj / paths.adapter_dir("intent"))  # new, as the training rule would leave it
    res = snakemake("traffic_percentage=50")
    assert res.returncode == 0, res.stderr[-3000:]
    d2 = read(proj / paths.deploy_decision("intent"))
    assert d2["decision"] == "promote" and d2["checks"]["shadow"] is True, d2["reasons"]
    assert d2["production"] == {"before": d1["candidate"], "after": d2["candidate"]}
    events = [
        json.loads(x)["event"]
        for x in (proj / paths.deploy_history("intent")).read_text().splitlines()
    ]
    assert events == ["register", "promote", "register", "promote"]
    # and the rollback target restores the previous champion from history
    res = subprocess.run(
        [sys.executable, "-m", "snakemake", "rollback_intent", "--cores", "1"],
        cwd=proj,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    prod = read(proj / paths.deploy_production("intent"))
    assert prod["candidate"] == d1["candidate"] and prod["event"] == "rollback"
    assert np.isfinite(
        read(proj / paths.deploy_candidate("intent", d2["candidate"]) / "shadow_report.json")[
            "p95_latency_ms"
        ]["candidate"]
    )
