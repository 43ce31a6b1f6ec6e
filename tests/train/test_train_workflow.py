"""End-to-end: the demo workflow trains all five adapters; they beat their baselines, reload to
the same predictions, rerun deterministically, and retrain one engine at a time (slow)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from factory import read_json

from foundry import paths
from foundry.deploy import registry
from foundry.train.data import inputs_of, read_split
from foundry.train.infer import load_predictor

pytestmark = pytest.mark.slow
ENGINES = paths.TRAIN_ENGINES


def snakemake(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        ["snakemake", "--cores", "2", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )


@pytest.fixture(scope="module")
def project(readme_build, tmp_path_factory) -> Path:
    """A copy of the README's build (the shipped demo config) as it was before deployment."""
    built = readme_build.project
    if not all((built / paths.metrics(e)).is_file() for e in ENGINES):
        pytest.fail("the README's build made no models: see test_readme.py's failure")
    tmp = tmp_path_factory.mktemp("train") / "project"
    shutil.copytree(built, tmp, symlinks=True)
    shutil.rmtree(tmp / "deploy")  # these tests deploy on their own
    return tmp


def test_all_builds_standard_peft_adapters(project):
    for e in ENGINES:
        adapter = project / paths.adapter_dir(e)
        assert (adapter / "adapter_config.json").is_file()
        assert (adapter / "adapter_model.safetensors").stat().st_size > 0
        cfg = read_json(adapter / "adapter_config.json")
        assert cfg["base_model_name_or_path"] == paths.base_model_dir(e)
        m = read_json(project / paths.metrics(e))
        # stt and dialect train on the real Whisper-base; the text engines on tiny bases
        assert m["plumbing_check"] is (e not in ("stt", "dialect")) and m["test_items"] > 0
        assert 0 < m["trainable_share"] < 1 and 0 < m["adapter_bytes"] < m["base_bytes"]
        assert list((project / paths.tensorboard_dir(e)).glob("events.out.tfevents.*"))
    dialect = read_json(project / paths.adapter_dir("dialect") / "adapter_config.json")
    assert {"classifier", "projector"} <= set(dialect["modules_to_save"])
    stt = read_json(project / paths.adapter_dir("stt") / "adapter_config.json")
    assert stt["task_type"] is None  # frozen encoder: LoRA on the decoder's layers only
    assert {"q_proj", "v_proj"} <= set(stt["target_modules"]) and "encoder" in stt[
        "exclude_modules"
    ]
    assert dialect["layers_to_transform"] == [5]  # the last encoder layer; the rest is frozen
    assert read_json(project / paths.metrics("stt"))["base"]["source"] == "packaged"


def test_adapters_beat_their_baselines(project):
    for e in ("dialect", "intent", "sentiment"):
        m = read_json(project / paths.metrics(e))
        assert m["adapted"]["accuracy"] > m["majority_baseline"]["accuracy"], (e, m["adapted"])
        assert m["adapted"]["macro_f1"] > m["majority_baseline"]["macro_f1"], e
    for e in ("dialect",):  # a real pretrained encoder must also beat itself untrained
        m = read_json(project / paths.metrics(e))
        assert m["adapted"]["macro_f1"] > m["untrained_base"]["macro_f1"], e
    stt = read_json(project / paths.metrics("stt"))
    # the real Whisper-base zero-shot (Malayalam forced) vs its LoRA adapter, clean and phone
    assert stt["adapted"]["cer"] <= 0.5 * stt["untrained_base"]["cer"], stt["adapted"]
    phone = stt["telephone"]
    assert phone["adapted"]["cer"] < phone["untrained_base"]["cer"]
    assert stt["adapted"]["script_fidelity"] > 0.99 > stt["untrained_base"]["script_fidelity"]
    assert stt["adapted"]["cer"] < 1.0
    text = read_json(project / paths.metrics("text"))
    assert text["adapted"]["mlm_loss"] < text["untrained_base"]["mlm_loss"]


def test_reloaded_adapters_predict_like_the_trained_model(project, monkeypatch):
    monkeypatch.chdir(project)
    for e in ("stt", "dialect", "intent", "sentiment"):
        saved = read_json(project / paths.test_predictions(e))["items"]
        rows = read_split(e, "test")
        assert [r["id"] for r in rows] == [x["id"] for x in saved]
        predictor = load_predictor(e, paths.adapter_dir(e))
        assert predictor.engine == e
        assert predictor.predict(inputs_of(e, rows)) == [x["prediction"] for x in saved], e
    with pytest.raises(Exception, match="not served"):
        load_predictor("text", paths.adapter_dir("text"))


def _jobs(run: subprocess.CompletedProcess) -> dict[str, int]:
    """Job counts from the dry-run 'Job stats' table."""
    out, jobs, table = run.stdout + run.stderr, {}, False
    for line in out.splitlines():
        parts = line.split()
        if parts[:2] == ["job", "count"]:
            table = True
        elif table and len(parts) == 2 and parts[1].isdigit() and parts[0] != "total":
            jobs[parts[0]] = int(parts[1])
        elif table and parts[:1] == ["total"]:
            break
    return jobs


def test_one_engine_retrains_alone(project):
    assert _jobs(snakemake(project, "-n", "models")) == {}
    train = project / paths.split_file("intent", "train")
    original = train.read_bytes()
    table = pq.read_table(train)
    pq.write_table(table.slice(0, table.num_rows - 1), train)  # one item fewer: new data
    run = snakemake(project, "-n", "models")
    assert run.returncode == 0, run.stderr[-3000:]
    assert _jobs(run) == {"base_model": 1, "train": 1, "models": 1}
    assert "models/intent/base" in run.stdout and "engine=intent" in run.stdout
    train.write_bytes(original)  # same content again: nothing to do
    assert _jobs(snakemake(project, "-n", "models")) == {}
    cfg_path = project / "config/config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    cfg["engines"]["sentiment"]["epochs"] += 1
    cfg_path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    run = snakemake(project, "-n", "models")
    assert _jobs(run) == {"train": 1, "models": 1} and "engine=sentiment" in run.stdout


def test_training_is_deterministic(project):
    before = json.loads((project / paths.metrics("intent")).read_text(encoding="utf-8"))
    preds = (project / paths.test_predictions("intent")).read_bytes()
    run = snakemake(project, paths.metrics("intent"), "--forcerun", "train")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "engine=sentiment" not in run.stdout + run.stderr  # only the asked engine ran
    after = read_json(project / paths.metrics("intent"))
    before.pop("wall_time_s"), after.pop("wall_time_s")
    assert after == before
    assert (project / paths.test_predictions("intent")).read_bytes() == preds


def test_a_training_that_fails_before_its_record_leaves_the_adapter_as_it_was(project, monkeypatch):
    """The adapter folder is staged whole (weights, card, telephone scores) and swapped in once:
    a failure on the way leaves the last complete adapter and its metrics.json, never a mix."""
    from foundry import config, steps
    from foundry.train import run

    adapter = project / paths.adapter_dir("intent")
    before = {p.name: p.read_bytes() for p in sorted(adapter.iterdir())}
    metrics = (project / paths.metrics("intent")).read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("the card could not be written")

    monkeypatch.setattr(run.card, "write", broken)
    settings = steps.train(config.load(project / "config/config.yaml"), "intent")
    with pytest.raises(RuntimeError, match="card could not be written"):
        run.train_engine(settings, project, threads=2)
    assert {p.name: p.read_bytes() for p in sorted(adapter.iterdir())} == before
    assert (project / paths.metrics("intent")).read_bytes() == metrics
    assert [p.name for p in adapter.parent.iterdir() if p.name.startswith(".tmp-")] == []


def test_adapters_load_with_plain_peft_from_anywhere(project, tmp_path):
    """A fresh interpreter that never imports foundry, in another folder, loads each audio
    adapter on its base with transformers + peft alone; the card names base, data, licence."""
    prog = r"""
import json, sys, torch, yaml
from pathlib import Path
from peft import PeftModel
from transformers import AutoModelForAudioClassification, WhisperForConditionalGeneration
root = Path(sys.argv[1])
stt = WhisperForConditionalGeneration.from_pretrained(root / "models/stt/base", dtype=torch.float32)
stt = PeftModel.from_pretrained(stt, root / "models/stt/adapter")
labels = json.loads((root / "splits/dialect/labels.json").read_text())["labels"]
dia = AutoModelForAudioClassification.from_pretrained(
    root / "models/dialect/base", dtype=torch.float32, num_labels=len(labels))
dia = PeftModel.from_pretrained(dia, root / "models/dialect/adapter")
trained = sum(int(p.abs().sum() > 0) for n, p in stt.named_parameters() if "lora_B" in n)
card = (root / "models/stt/adapter/README.md").read_text().split("---")[1]
print(json.dumps({"lora_b_nonzero": trained, "card": yaml.safe_load(card),
                  "modules": "foundry" in sys.modules}))
"""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run(
        [sys.executable, "-c", prog, str(project)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["lora_b_nonzero"] == 60 and out["modules"] is False
    card = out["card"]
    assert card["base_model"] == "openai/whisper-base" and card["license"] == "mit"
    assert card["datasets"] == ["demo_indicvoices", "demo_speech"]
    assert {"cer", "wer", "script_fidelity"} <= set(card["metrics"])


def test_damage_after_training_stops_train_and_deploy_and_production_stays(project, tmp_path):
    """An edited split fails training; a flipped adapter byte fails deploy before it registers."""
    proj = tmp_path / "proj"
    shutil.copytree(project, proj, symlinks=True)
    registry.promote(
        proj, registry.register(proj, "intent", proj / paths.adapter_dir("intent")), []
    )
    production = (proj / paths.deploy_production("intent")).read_bytes()
    registered = sorted((proj / paths.deploy_dir("intent") / "candidates").iterdir())

    weights = proj / paths.adapter_dir("intent") / "adapter_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    run = snakemake(proj, paths.deploy_decision("intent"))
    out = run.stdout + run.stderr + (proj / paths.log("deploy", "intent")).read_text()
    assert run.returncode != 0
    assert (
        "models/intent/adapter: adapter_model.safetensors changed, unlike what "
        "models/intent/metrics.json recorded when it was written; nothing was built from it: "
        "retrain it: `snakemake --cores 1 --forcerun models/intent/metrics.json -- deploy`"
    ) in out
    assert "Traceback" not in (proj / paths.log("deploy", "intent")).read_text()
    assert (proj / paths.deploy_production("intent")).read_bytes() == production
    assert sorted((proj / paths.deploy_dir("intent") / "candidates").iterdir()) == registered

    test = proj / paths.split_file("intent", "test")
    table = pq.read_table(test)
    rows = table.to_pylist()
    rows[0]["label"] = next(r["label"] for r in rows if r["label"] != rows[0]["label"])
    pq.write_table(pa.Table.from_pylist(rows, table.schema), test)
    run = snakemake(proj, "models")
    assert run.returncode != 0
    log = (proj / paths.log("train", "intent")).read_text()
    assert "splits/intent/test.parquet: " in log and "splits/intent/checksums.json" in log
    assert "--forcerun splits/intent/stats.json -- gold/" in log
    assert not (proj / paths.deploy_decision("intent")).exists()
