"""Config validation: bad configs fail before any job runs, naming the key to fix."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from foundry import config
from foundry.config import ConfigError, View

ROOT = Path(__file__).resolve().parent.parent


def demo() -> dict:
    return yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))


def test_demo_and_production_configs_validate():
    cfg = config.load(ROOT / "config/config.yaml")
    assert View(cfg).engines == ["stt", "dialect", "intent", "text", "sentiment"]
    prod = config.load(ROOT / "config/production.yaml")
    hub_ids = sorted(d["hub"] for d in prod["datasets"].values())
    assert "Aby003/Malayalam_Dialects" in hub_ids and "mteb/amazon_massive_intent" in hub_ids
    assert all("path" not in d for d in prod["datasets"].values())
    assert View(prod).engines == ["stt", "dialect", "intent", "text", "sentiment", "translation"]


def test_production_maps_what_the_evidence_says():
    """Layout facts from the evidence (shared/notes/real-datasets.md), pinned so they stay."""
    prod = config.load(ROOT / "config/production.yaml")["datasets"]
    assert (
        prod["indicst"]["filter"] == {"task": "asr"} and "audio" not in prod["indicst"]["columns"]
    )
    assert prod["indicvoices"]["columns"]["dialect"] == "district"
    assert prod["indicnlp"]["columns"] == {"text": "news"}
    assert prod["sentiment"]["columns"] == {"text": "query", "label": "label"}
    assert prod["sentiment"]["label_map"]["not-malayalam"] is None
    assert prod["massive_intent"]["config"] == "ml"
    assert prod["indicvoices_ai4b"]["config"] == "malayalam"
    for name in ("dialects", "rasa_tts_text", "imasc_codec_text"):  # no waveforms, no labels
        assert prod[name]["engines"] == ["text"]
    assert "NON-COMMERCIAL" in prod["indicnlp"]["license"]


def test_defaults_filled(tmp_path):
    spec = {"path": str(tmp_path), "columns": {"text": "t"}, "engines": ["text"], "license": "c"}
    cfg = config.validate({"datasets": {"a": spec}})
    assert cfg["audio"]["max_duration"] == 30.0
    assert "data_files" not in cfg["datasets"]["a"]  # datasets' own file selection
    assert cfg["datasets"]["a"]["keep_splits"] is True
    assert cfg["dialect_map"]["Malabar"][:3] == ["Palakkad", "Palghat", "പാലക്കാട്"]
    assert View(cfg).shards("a") == cfg["default_shards"]


def test_missing_local_folder_is_named(tmp_path):
    spec = {"path": str(tmp_path / "nope"), "columns": {"text": "t"}, "engines": ["text"]}
    with pytest.raises(ConfigError, match=r"'datasets\.a\.path': folder .*nope does not exist"):
        config.validate({"datasets": {"a": {**spec, "license": "c"}}})


@pytest.mark.parametrize(
    "mutate,key",
    [
        (lambda c: c["datasets"]["demo_rasa"].update(colums={}), "datasets.demo_rasa"),
        (
            lambda c: c["datasets"]["demo_rasa"]["columns"].update(txt="x"),
            "datasets.demo_rasa.columns",
        ),
        (
            lambda c: c["datasets"]["demo_rasa"].update(engines=["nlu"]),
            "datasets.demo_rasa.engines.0",
        ),
        (lambda c: c["audio"].update(max_duration="long"), "audio.max_duration"),
        (lambda c: c["datasets"]["demo_rasa"].pop("license"), "datasets.demo_rasa"),
        (lambda c: c["datasets"]["demo_rasa"].update(hub="org/name"), "datasets.demo_rasa"),
        (lambda c: c["splits"]["ratios"].update(train=0.9), "splits.ratios"),
        (
            lambda c: c["datasets"]["demo_massive"]["columns"].pop("label"),
            "datasets.demo_massive.columns",
        ),
        (lambda c: c["engines"]["stt"].update(epochs="thirty"), "engines.stt.epochs"),
        (lambda c: c["engines"]["stt"].update(epochs=-3), "engines.stt.epochs"),
        (lambda c: c["engines"]["intent"].update(lr="fast"), "engines.intent.lr"),
        (lambda c: c["engines"]["intent"]["lora"].update(r=0), "engines.intent.lora.r"),
        (lambda c: c["engines"]["dialect"].update(epoch=3), "engines.dialect"),
        (lambda c: c["deploy"]["shadow"].update(max_error_rate=2), "deploy.shadow.max_error_rate"),
        (lambda c: c["deploy"].update(test_split="holdout"), "deploy.test_split"),
        (lambda c: c.update(models={"stt": {"hub": "openai/whisper-small"}}), "models.stt"),
        (lambda c: c["datasets"]["demo_sentiment"].update(filter={}), "datasets.demo_sentiment"),
        (
            lambda c: c["datasets"]["demo_massive"].update(split_map={"x": "holdout"}),
            "datasets.demo_massive.split_map.x",
        ),
    ],
    ids=[
        "unknown-key",
        "unknown-column-role",
        "bad-engine",
        "wrong-type",
        "missing-license",
        "hub-and-path",
        "ratios-sum",
        "engine-needs-label",
        "epochs-word",
        "epochs-negative",
        "lr-word",
        "lora-r-zero",
        "engine-unknown-key",
        "deploy-rate-range",
        "deploy-split-name",
        "model-unpinned",
        "empty-filter",
        "split-map-target",
    ],
)
def test_errors_name_the_key(mutate, key):
    cfg = demo()
    mutate(cfg)
    with pytest.raises(ConfigError) as e:
        config.validate(cfg)
    assert f"'{key}" in str(e.value), str(e.value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_non_finite_number_is_named_where_it_is(value):
    """NaN passes every schema bound (each comparison with it is false): named at validation,
    not found later as a traceback at DAG build or in `foundry serve`."""
    cfg = demo()
    cfg["audio"]["max_duration"] = value
    cfg.setdefault("balance", {})["max_class_ratio"] = value
    with pytest.raises(ConfigError) as e:
        config.validate(cfg)
    assert f"config key 'audio.max_duration': must be a finite number, got {value}" in str(e.value)
    assert "config key 'balance.max_class_ratio': must be a finite number" in str(e.value)


def test_more_errors_than_shown_say_how_many_more():
    cfg = demo()
    for ds in sorted(cfg["datasets"])[:6]:
        cfg["datasets"][ds]["license"] = 5
        cfg["datasets"][ds]["shards"] = "many"
    with pytest.raises(ConfigError) as e:
        config.validate(cfg)
    lines = str(e.value).splitlines()[1:]
    assert len(lines) == config.SHOWN_ERRORS + 1, lines
    assert lines[-1].strip() == "… and 2 more (fix these and validate again)"


def test_unknown_key_lists_allowed_keys():
    cfg = demo()
    cfg["datasets"]["demo_rasa"]["colums"] = {}
    with pytest.raises(ConfigError, match="allowed keys here: .*columns"):
        config.validate(cfg)


def test_the_production_config_plans_every_layer_offline(tmp_path):
    """The README's production command, dry: its datasets alone (the demo's do not join), and
    dataset text with braces in it (a description quoting data/{train,validation,test}-*)."""
    from workflow import copy_project, snakemake

    proj = copy_project(tmp_path / "prod", with_demo=False)
    prod = config.load(ROOT / "config/production.yaml")
    assert any("{" in str(d.get("description", "")) for d in prod["datasets"].values())
    run = snakemake(proj, "-n", "--cores", "8", "gold/", "--configfile", "config/production.yaml")
    out = run.stdout + run.stderr
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", out.split("Job stats:")[1], re.M))
    assert int(jobs["ingest"]) == int(jobs["merge_silver"]) == len(prod["datasets"]), jobs
    assert jobs["gold"] == "1" and int(jobs["standardize"]) > 100, jobs
    assert "demo_" not in out


def test_snakemake_refuses_bad_config_before_any_job(tmp_path):
    from factory import make_project

    proj = make_project(
        tmp_path,
        {
            "x": {
                "path": "nowhere",
                "columns": {"text": "t"},
                "engines": ["sentimnt"],
                "license": "cc0",
            }
        },
    )
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "gold/"],
        cwd=proj,
        capture_output=True,
        text=True,
    )
    assert run.returncode != 0
    assert "datasets.x.engines.0" in run.stdout + run.stderr
    assert not (proj / "raw").exists()
