"""The typed step settings (foundry/settings.py): built from the validated config, carried as the
rule's params, rebuilt by the job unchanged."""

from __future__ import annotations

import dataclasses

import pytest
import yaml
from workflow import ROOT

from foundry import config, engines, settings, steps


@pytest.fixture(scope="module")
def demo():
    return config.validate(yaml.safe_load((ROOT / "config/config.yaml").read_text("utf-8")))


def every_step(cfg):
    for ds in sorted(cfg["datasets"]):
        yield steps.standardize(cfg, ds)
    for e in engines.TRAINED:
        yield steps.allocate(cfg, e)
        yield steps.base_model(cfg, e)
        yield steps.train(cfg, e)
    for e in ("stt", "dialect", "intent", "sentiment"):
        yield steps.deploy(cfg, e)


def test_params_are_the_serialization_and_the_job_rebuilds_the_same_object(demo):
    built = list(every_step(demo))
    assert {type(s).__name__ for s in built} == {
        "Standardize",
        "Allocate",
        "BaseModel",
        "Train",
        "Deploy",
    }
    for s in built:
        assert dataclasses.is_dataclass(s) and type(s).__dataclass_params__.frozen
        again = type(s).from_params(steps.decode(steps.encode(s)))
        assert again == s and steps.encode(again) == steps.encode(s), s


def test_a_text_dataset_carries_no_audio_settings(demo):
    text = steps.standardize(demo, "demo_massive")
    speech = steps.standardize(demo, "demo_speech")
    assert text.checks is None and text.quality == {}
    assert speech.checks == settings.AudioChecks.from_config(demo)
    assert "language" not in speech.quality and speech.quality["vad"]["enabled"] is True


def test_training_settings_take_the_schema_defaults_and_the_top_seed():
    one = {"path": ".", "columns": {"text": "t", "label": "l"}, "engines": ["intent"]}
    cfg = config.validate({"datasets": {"d": {**one, "license": "x"}}, "seed": 7})
    t = steps.train(cfg, "intent")  # no engines.intent: in the config at all
    defaults = config.def_defaults("engine")
    assert (t.seed, t.epochs, t.batch_size, t.lr) == (7, defaults["epochs"], 8, 1e-3)
    assert t.lora == defaults["lora"] and t.raw["max_length"] == defaults["max_length"]
    base = steps.base_model(cfg, "intent")
    assert base.reads_splits and base.base["tiny"] == config.def_defaults("tiny_base")
    # the job's core count is not a setting: never a rerun trigger
    assert "threads" not in t.to_params()
    assert dataclasses.replace(t, threads=4) == t


def test_deploy_settings_hold_only_their_own_gate_kind(demo):
    stt, intent = steps.deploy(demo, "stt"), steps.deploy(demo, "intent")
    assert stt.kind == engines.get("stt").gate and "max_cer_increase" in stt.gate
    assert "max_macro_f1_drop" in intent.gate and "max_cer_increase" not in intent.gate
    assert intent.gate_channel == "clean"  # a text engine has no channel to be judged on
    assert stt.request_limits["serve"]["limits"] == demo["serve"]["limits"]


class _Wav2vec2:
    frozen = False

    def freeze_feature_encoder(self):
        self.frozen = True


@pytest.mark.parametrize(
    ("key", "plumbing", "frozen"),
    [(None, False, True), (None, True, False), (False, False, False), (True, True, True)],
)
def test_freeze_feature_encoder_is_a_config_key_that_reaches_training(key, plumbing, frozen):
    from foundry.train.common import feature_encoder_trained

    one = {"path": ".", "columns": {"audio": "a", "label": "l"}, "engines": ["dialect"]}
    cfg = {"datasets": {"d": {**one, "license": "x"}}}
    if key is not None:  # the schema allows it (it used to reject it: the read was dead code)
        cfg["engines"] = {"dialect": {"arch": "ctc", "freeze_feature_encoder": key}}
    t = steps.train(config.validate(cfg), "dialect")
    model = _Wav2vec2()
    assert feature_encoder_trained(t, {"plumbing_check": plumbing}, model) is not frozen
    assert model.frozen is frozen
