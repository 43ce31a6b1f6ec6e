"""Train the production way: the real workflow trains all five adapters on Hub-format stand-ins of
the production bases (tests/basefactory.py), fetched from the test Hub at pinned commits through
a production-style ``models:`` config; the adapters save, reload, evaluate and serve.

Also: the committed Whisper vocabulary is openai-whisper's (ids and special tokens), Malayalam
labels over the decoder's length are left out with a counted reason, never truncated.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import soundfile as sf
import yaml
from basefactory import DATA, build_whisper, build_xlmr, commit_model, whisper_tokenizer
from factory import read_json
from hubserver import FAST_HUB, run_snakemake

from foundry import paths
from foundry.atomic import write_json
from foundry.gold import splits
from foundry.train.data import inputs_of, read_split

ENGINES = paths.TRAIN_ENGINES
ROOT = Path(__file__).resolve().parents[2]
# the bases config/production.yaml pins, each trained here on a stand-in of its repo's layout
PRODUCTION = yaml.safe_load((ROOT / "config/production.yaml").read_text(encoding="utf-8"))
REPOS = {e: PRODUCTION["models"][e]["hub"] for e in ENGINES}
WHISPER, XLMR = REPOS["stt"], REPOS["intent"]
# the decoder prompt of openai/whisper-* for Malayalam transcription, no timestamps
ML_PROMPT = [50258, 50296, 50359, 50363]  # <|startoftranscript|> <|ml|> <|transcribe|> <|nt|>
SENTENCE = "എന്റെ അക്കൗണ്ട് ബാലൻസ് എത്രയാണ്"


def test_production_pins_every_base_at_a_commit():
    """A retrain must never silently change its base: each production base is a commit sha."""
    from foundry.ingest.hub import is_commit_sha

    assert sorted(PRODUCTION["models"]) == sorted(ENGINES)
    assert WHISPER == "openai/whisper-small" and REPOS["dialect"] == "openai/whisper-base"
    for engine, spec in PRODUCTION["models"].items():
        assert is_commit_sha(spec["revision"]), (engine, spec)


def test_whisper_vocabulary_is_openai_multilingual():
    """The committed artefacts give openai/whisper-small's 51865 ids and Malayalam prompt."""
    tok = whisper_tokenizer()
    assert len(tok) == 51865 and tok.eos_token_id == 50257
    tok.set_prefix_tokens(language="malayalam", task="transcribe", predict_timestamps=False)
    ids = tok(SENTENCE).input_ids
    assert ids[:4] == ML_PROMPT and ids[-1] == 50257
    assert tok.decode(ids, skip_special_tokens=True) == SENTENCE
    # byte-level BPE with few Malayalam merges: about two tokens per code point
    assert len(ids) - 5 > 2 * len(SENTENCE.replace(" ", ""))
    source = json.loads((DATA / "SOURCE.json").read_text(encoding="utf-8"))
    assert source["sdist"] == "openai_whisper-20250625.tar.gz"


def _wav(seconds: float, freq: float = 220.0) -> bytes:
    t = np.arange(int(seconds * 16000)) / 16000
    buf = io.BytesIO()
    sf.write(
        buf, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 16000, "PCM_16", format="WAV"
    )
    return buf.getvalue()


def _plant_over_limit(project: Path) -> dict[str, str]:
    """Two stt training items Whisper cannot learn whole: 31 s of audio, a 700-token label."""
    path = project / paths.split_file("stt", "train")
    table = pq.read_table(path)
    row = table.slice(0, 1).to_pylist()[0]
    planted = {"zz-planted-long-audio": "audio_too_long", "zz-planted-long-label": "label_too_long"}
    long_audio = {**row, "id": "zz-planted-long-audio", "duration": 31.0}
    long_audio["audio"] = {"bytes": _wav(31.0), "path": "long.wav"}
    long_label = {**row, "id": "zz-planted-long-label", "text": " ".join([SENTENCE] * 10)}
    rows = table.to_pylist() + [long_audio, long_label]
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    # planted as allocate would have written them: recorded, so training takes them as its data
    write_json(project / paths.split_checksums("stt"), splits.checksums("stt", project))
    return planted


@pytest.fixture(scope="module")
def production(hub_server, demo_gold, tmp_path_factory) -> dict:
    """The demo project with a production ``models:`` section, trained through ``models``."""
    tmp = tmp_path_factory.mktemp("production")
    project = tmp / "project"
    shutil.copytree(demo_gold, project, symlinks=True)
    texts = [r["text"] for r in read_split("text", "train", project)]
    shas = {}
    for repo in sorted(set(REPOS.values())):
        folder = tmp / "standins" / repo
        if repo.startswith("openai/whisper-"):
            build_whisper(folder)
        else:
            build_xlmr(folder, texts)
        shas[repo] = commit_model(hub_server, repo, folder)
    planted = _plant_over_limit(project)

    cfg_path = project / "config/config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    cfg["hub"] = dict(FAST_HUB)
    # production's models: section, each revision swapped for the stand-in's commit on this Hub
    cfg["models"] = {
        e: {**spec, "revision": shas[spec["hub"]]} for e, spec in PRODUCTION["models"].items()
    }
    for e, n in {"stt": 4, "dialect": 3, "intent": 3, "sentiment": 3, "text": 2}.items():
        cfg["engines"][e].pop("base", None)  # models: names the base
        cfg["engines"][e]["epochs"] = n
    cfg["engines"]["stt"]["lr"] = 1e-2
    # the demo's settings for the real Whisper-base do not fit a random whisper-small stand-in:
    # its random encoder must train (not freeze), and the whole vocabulary and decoder length
    for key in ("max_new_tokens", "output_script"):
        cfg["engines"]["stt"].pop(key, None)
    cfg["engines"]["stt"]["freeze_encoder"] = False
    cfg_path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    env = hub_server.env(tmp / "hf")
    run_snakemake(project, "models", env=env, timeout=900)
    return {"project": project, "shas": shas, "planted": planted}


@pytest.mark.slow
def test_bases_are_the_pinned_hub_snapshots(production):
    project, shas = production["project"], production["shas"]
    repos = REPOS
    for e in ENGINES:
        meta = read_json(project / paths.base_model_dir(e) / "foundry.json")
        assert (meta["source"], meta["repo"], meta["revision"]) == ("hub", repos[e], shas[repos[e]])
        assert meta["plumbing_check"] is False
        files = {f["path"] for f in meta["files"]}
        assert "model.safetensors" in files and "config.json" in files
        m = read_json(project / paths.metrics(e))
        assert m["plumbing_check"] is False and m["base"]["revision"] == shas[repos[e]]
        assert 0 < m["adapter_bytes"] < m["base_bytes"]
    stt = {f["path"] for f in read_json(project / "models/stt/base/foundry.json")["files"]}
    assert {"tokenizer.json", "vocab.json", "merges.txt", "preprocessor_config.json"} <= stt
    assert read_json(project / "models/stt/base/config.json")["vocab_size"] == 51865
    dialect = read_json(project / "models/dialect/base/config.json")
    assert dialect["architectures"] == ["WhisperForConditionalGeneration"]
    xlmr = {f["path"] for f in read_json(project / "models/text/base/foundry.json")["files"]}
    assert {"sentencepiece.bpe.model", "tokenizer.json"} <= xlmr


@pytest.mark.slow
def test_whisper_trains_and_decodes_with_the_malayalam_prompt(production):
    from transformers import AutoTokenizer

    project = production["project"]
    meta = read_json(project / "models/stt/adapter/foundry.json")
    assert meta["decoder_prompt"] == ML_PROMPT
    assert meta["max_new_tokens"] == 448 - len(ML_PROMPT)  # the whole decoder, not a cap of 128
    assert {50258, 50296, 50359, 50363, 50364} <= set(meta["suppress_ids"])
    assert 50257 not in meta["suppress_ids"]  # end of text ends a transcript
    # the labels are this tokenizer's output: prompt, text, end of text
    tok = AutoTokenizer.from_pretrained(project / "models/stt/adapter")
    assert tok(SENTENCE).input_ids[:4] == ML_PROMPT
    m = read_json(project / paths.metrics("stt"))
    assert m["adapted"]["cer"] < m["untrained_base"]["cer"]


@pytest.mark.slow
def test_over_limit_labels_are_rejected_and_counted(production):
    m = read_json(production["project"] / paths.metrics("stt"))
    rejected = m["rejected"]
    assert rejected["limits"] == {"max_label_tokens": 444, "max_audio_seconds": 30.0}
    assert rejected["train"] == {"audio_too_long": 1, "label_too_long": 1}
    examples = {i: reason for reason, ids in rejected["examples"].items() for i in ids}
    assert examples == production["planted"]
    assert m["train_items"] == len(read_split("stt", "train", production["project"]))
    log = (production["project"] / paths.log("train", "stt")).read_text(encoding="utf-8")
    assert "left out of training (never truncated)" in log and "label_too_long" in log


@pytest.mark.slow
def test_adapters_reload_and_serve_what_training_predicted(production, monkeypatch):
    from foundry.deploy import models as served
    from foundry.train.infer import load_predictor

    project = production["project"]
    monkeypatch.chdir(project)
    for e in ("stt", "dialect", "intent", "sentiment"):
        saved = read_json(project / paths.test_predictions(e))["items"]
        rows = read_split(e, "test")
        predictor = load_predictor(e, paths.adapter_dir(e))
        assert predictor.predict(inputs_of(e, rows)) == [x["prediction"] for x in saved], e
        service = served.load(e, project / paths.adapter_dir(e))
        assert service.predict(inputs_of(e, rows[:2])) == [x["prediction"] for x in saved[:2]]
    dialect = read_json(project / paths.adapter_dir("dialect") / "adapter_config.json")
    assert sorted(dialect["modules_to_save"]) == ["classifier", "projector"]  # encoder frozen
    text = read_json(project / paths.metrics("text"))
    assert text["adapted"]["mlm_loss"] < text["untrained_base"]["mlm_loss"]
    with pytest.raises(Exception, match="not served"):
        load_predictor("text", paths.adapter_dir("text"))


@pytest.mark.slow
def test_serving_xlmr_needs_no_sentencepiece(production):
    """tokenizer.json is what loads: the service runs without the sentencepiece package."""
    code = (
        "import sys; sys.modules['sentencepiece'] = None\n"
        "from foundry.train.infer import load_predictor\n"
        "p = load_predictor('intent', 'models/intent/adapter')\n"
        "print(type(p.processor).__name__, p.predict([{'text': 'ബിൽ അടയ്ക്കണം'}]))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=production["project"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.startswith("XLMRobertaTokenizer [")
