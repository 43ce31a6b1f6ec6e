"""Config validation: bad configs fail before any job runs, naming the key to fix."""

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
    assert len(hub_ids) == 9 and "Aby003/Malayalam_Dialects" in hub_ids


def test_defaults_filled():
    cfg = config.validate(
        {
            "datasets": {
                "a": {"path": "x", "columns": {"text": "t"}, "engines": ["text"], "license": "cc0"}
            }
        }
    )
    assert cfg["audio"]["max_duration"] == 30.0
    assert cfg["datasets"]["a"]["data_files"] == "**/*.parquet"
    assert View(cfg).shards("a") == cfg["default_shards"]


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
            lambda c: c["datasets"]["demo_rasa"]["columns"].pop("label"),
            "datasets.demo_rasa.columns",
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
    ],
)
def test_errors_name_the_key(mutate, key):
    cfg = demo()
    mutate(cfg)
    with pytest.raises(ConfigError) as e:
        config.validate(cfg)
    assert f"'{key}" in str(e.value), str(e.value)


def test_unknown_key_lists_allowed_keys():
    cfg = demo()
    cfg["datasets"]["demo_rasa"]["colums"] = {}
    with pytest.raises(ConfigError, match="allowed keys here: .*columns"):
        config.validate(cfg)


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
