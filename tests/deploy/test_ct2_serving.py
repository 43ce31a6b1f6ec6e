"""stt through CTranslate2: the adapter merged into the real Whisper-base, converted, cached."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import torch

from foundry.deploy import ct2, models
from foundry.train import whisper_ct2
from foundry.train.infer import WhisperTranscriber, load_predictor, load_processor
from foundry.train.script_vocab import script_token_ids
from foundry.train.stt import suppressed_ids

SENTENCES = ["എനിക്ക് ബിൽ അടയ്ക്കണം", "നമസ്കാരം, സുഖമാണോ", "പരാതി പറയാനുണ്ട്"]


@pytest.fixture(scope="module")
def adapter(tmp_path_factory) -> tuple[Path, Path, list[dict]]:
    """Whisper-base (4 s window) + a LoRA adapter with non-zero random weights, as training
    saves one (foundry.json with prompt, suppressed and allowed ids), and three clips."""
    from peft import LoraConfig, get_peft_model
    from transformers import WhisperForConditionalGeneration

    root = tmp_path_factory.mktemp("ct2")
    base = root / "base"
    whisper_ct2.build(base, window_seconds=4)
    proc = load_processor("whisper", base)
    tok = proc["tokenizer"]
    tok.set_prefix_tokens(language="malayalam", task="transcribe", predict_timestamps=False)
    torch.manual_seed(0)
    model = WhisperForConditionalGeneration.from_pretrained(base, dtype=torch.float32)
    cfg = LoraConfig(
        r=4,
        lora_alpha=1,
        target_modules=r"model\.decoder\.layers\.\d+\.self_attn\.(?:q_proj|v_proj)",
        init_lora_weights=False,
    )
    peft = get_peft_model(model, cfg)
    out = root / "candidate" / "adapter"
    peft.save_pretrained(str(out))
    for p in proc.values():
        p.save_pretrained(str(out))
    meta = {
        "engine": "stt",
        "task": "whisper",
        "base_dir": str(base),
        "seed": 0,
        "decoder_prompt": tok("").input_ids[:-1],
        "max_new_tokens": 40,
        "suppress_ids": suppressed_ids(tok),
        "allowed_ids": script_token_ids(tok, "malayalam"),
    }
    (out / "foundry.json").write_text(json.dumps(meta), encoding="utf-8")
    clips = []
    for i, text in enumerate(SENTENCES):
        wav = root / f"{i}.wav"
        subprocess.run(["espeak-ng", "-v", "ml", "-w", str(wav), text], check=True)
        import soundfile as sf
        import soxr

        x, sr = sf.read(wav, dtype="float32")
        clips.append({"audio": soxr.resample(x, sr, 16000).astype("float32")})
    return out, base, clips


def test_merged_conversion_decodes_like_the_merged_pytorch_model(adapter, tmp_path):
    out, base, clips = adapter
    folder = ct2.convert(out, str(base), tmp_path / "f32", "float32")
    served = ct2.Ct2Transcriber("stt", folder, "cpu", 2, compute_type="float32")
    pred = load_predictor("stt", str(out), str(base))
    merged = WhisperTranscriber("stt", pred.model.merge_and_unload(), pred.processor, pred.meta)
    want = merged.predict(clips)
    assert all(want) and served.predict(clips) == want


def test_serving_converts_once_and_keeps_the_output_vocabulary(adapter):
    out, base, clips = adapter
    pred = models.load_serving("stt", out, str(base), "ctranslate2")
    cache = ct2.cache_dir(out, "float32")
    assert isinstance(pred, ct2.Ct2Transcriber) and (cache / "model.bin").is_file()
    stamp = (cache / "model.bin").stat().st_mtime_ns
    answers = pred.predict(clips)
    allowed = set(json.loads((out / "foundry.json").read_text(encoding="utf-8"))["allowed_ids"])
    ids = pred.token_ids(clips)
    assert all(ids) and all(set(x) <= allowed for x in ids)  # the output vocabulary held
    again = models.load_serving("stt", out, str(base), "ctranslate2")
    assert (cache / "model.bin").stat().st_mtime_ns == stamp  # the cached conversion
    assert again.predict(clips) == answers
    judged = models.load_serving("stt", out, str(base), "torch")
    assert not isinstance(judged, ct2.Ct2Transcriber)
    assert judged.predict(clips) == answers  # the served model answers as the gated one
    fast = models.load_serving("stt", out, str(base), "ctranslate2-int8")
    assert (ct2.cache_dir(out, "int8") / "model.bin").is_file() and all(fast.predict(clips))
