"""Unit tests for foundry.train metrics, tokenizers and the inference API's error paths (fast)."""

from __future__ import annotations

import json

import pytest

from foundry.train import base, metrics
from foundry.train.common import TrainError
from foundry.train.infer import load_predictor


def test_stt_metrics_normalize_and_count_code_points_and_graphemes():
    ref = ["നമസ്കാരം സുഖമാണോ"]
    assert metrics.evaluate_predictions("stt", ref, ref) == {
        "cer": 0.0,
        "wer": 0.0,
        "cer_grapheme": 0.0,
        "grapheme_segmenter": metrics.GRAPHEME_SEGMENTER,
        "script_fidelity": 1.0,
        "items": 1,
    }
    # wrong-script output (Whisper zero-shot writes Tamil-like script for Malayalam speech)
    tamil = metrics.evaluate_predictions("stt", ref, ["நமஸ்காரம் ഹലോ"])
    assert tamil["script_fidelity"] == 0.25  # 3 of 12 letters and marks are Malayalam
    # One word of two wrong; "ക്കാ" is one grapheme cluster, and extra spaces are normalized away.
    out = metrics.evaluate_predictions("stt", ["എന്റെ അക്കൗണ്ട്"], ["  എന്റെ   അക്കൌണ്ട "])
    assert out["wer"] == 0.5
    assert 0 < out["cer"] < 1 and 0 < out["cer_grapheme"] < 1
    assert metrics.evaluate_predictions("stt", ["ab"], [""])["cer"] == 1.0


def test_classification_metrics_and_majority_baseline():
    refs = ["a", "a", "b", "c"]
    out = metrics.evaluate_predictions("intent", refs, ["a", "b", "b", "c"])
    assert out["accuracy"] == 0.75
    assert out["per_class_recall"] == {"a": 0.5, "b": 1.0, "c": 1.0}
    assert out["confusion_matrix"] == {
        "labels": ["a", "b", "c"],
        "rows_true_cols_pred": [[1, 1, 0], [0, 1, 0], [0, 0, 1]],
    }
    assert out["macro_f1"] == round((2 / 3 + 2 / 3 + 1) / 3, 6)
    maj = metrics.majority_baseline(["b", "a", "b"], refs, ["a", "b", "c"])
    assert maj["predicts"] == "b" and maj["accuracy"] == 0.25


def test_metrics_reject_text_engine_and_length_mismatch():
    with pytest.raises(ValueError, match="MLM loss"):
        metrics.evaluate_predictions("text", ["x"], ["x"])
    with pytest.raises(ValueError, match="2 references but 1"):
        metrics.evaluate_predictions("stt", ["x", "y"], ["x"])


def test_char_tokenizer_round_trips_malayalam(tmp_path):
    from transformers import AutoTokenizer

    text = "എന്റെ ബിൽ"
    tok = base.char_tokenizer(base.char_vocab([text]), 64)
    tok.save_pretrained(tmp_path)
    again = AutoTokenizer.from_pretrained(tmp_path)
    ids = again(text).input_ids
    assert ids[0] == again.bos_token_id and ids[-1] == again.eos_token_id
    assert len(ids) == len(text) + 2
    assert again.decode(ids, skip_special_tokens=True) == text


def test_hub_base_needs_a_pinned_commit(tmp_path):
    with pytest.raises(TrainError, match="pinned revision"):
        base.fetch_hub("intent", {"hub": "org/model", "revision": "main"}, tmp_path, {})


def test_load_predictor_explains_bad_folders(tmp_path):
    with pytest.raises(TrainError, match="not a foundry adapter folder"):
        load_predictor("intent", str(tmp_path))
    (tmp_path / "foundry.json").write_text('{"engine": "text", "task": "masked_lm"}')
    with pytest.raises(TrainError, match="not served"):
        load_predictor("text", str(tmp_path))
    with pytest.raises(TrainError, match="'text' adapter, not 'intent'"):
        load_predictor("intent", str(tmp_path))


def test_hub_base_is_fetched_at_the_pinned_commit_with_sha256s(tmp_path, monkeypatch):
    import json

    import huggingface_hub

    from foundry.atomic import sha256_file

    snap = tmp_path / "snap"
    snap.mkdir()
    (snap / "config.json").write_text("{}")
    (snap / "model.safetensors").write_bytes(b"weights")
    calls = []

    def fake_snapshot(repo, revision, allow_patterns, token):
        calls.append((repo, revision, token))
        return str(snap)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot)
    monkeypatch.setenv("HF_TOKEN", "hf_secret_value")
    sha = "a" * 40
    settings = {"base": {"hub": "org/model", "revision": sha}}
    meta = base.build_base("intent", settings, [], tmp_path / "base", seed=1)
    assert calls == [("org/model", sha, "hf_secret_value")]
    assert meta["plumbing_check"] is False and meta["revision"] == sha
    files = {f["path"]: f["sha256"] for f in meta["files"]}
    assert files["model.safetensors"] == sha256_file(snap / "model.safetensors")
    written = json.loads((tmp_path / "base" / "foundry.json").read_text())
    assert written["task"] == "text_classification"
    for p in (tmp_path / "base").rglob("*"):
        assert b"hf_secret_value" not in p.read_bytes()


_SAVE_LORA = """
import sys, torch
from peft import LoraConfig, get_peft_model
from foundry.train.common import canonical_adapter_config
torch.manual_seed(0)
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        for name in ("q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"):
            setattr(self, name, torch.nn.Linear(4, 4))
names = ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"]
model = get_peft_model(Net(), LoraConfig(r=2, target_modules=names, exclude_modules=["fc2"]))
model.save_pretrained(sys.argv[1])
canonical_adapter_config(sys.argv[1])
"""


def test_adapter_config_bytes_do_not_follow_the_hash_seed(tmp_path):
    """PEFT keeps target_modules as a set: its JSON order followed PYTHONHASHSEED (issue 28)."""
    import os
    import subprocess
    import sys

    outs = []
    for seed in ("1", "2", "3"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", _SAVE_LORA, str(out)], check=True, env=env)
        outs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outs[0] == outs[1] == outs[2]
    cfg = json.loads(outs[0]["adapter_config.json"])
    assert (
        cfg["target_modules"] == sorted(cfg["target_modules"]) and len(cfg["target_modules"]) == 6
    )
