"""Greedy Whisper decoding over a narrowed vocabulary scores only the allowed rows of the output
layer; it must choose exactly what masking the full softmax chooses."""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf
import torch
from basefactory import build_whisper, whisper_tokenizer

from foundry.train import infer
from foundry.train.infer import WhisperTranscriber


def _clip(seed: int) -> bytes:
    x = np.random.default_rng(seed).normal(0, 0.1, 16000).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, x, 16000, "PCM_16", format="WAV")
    return buf.getvalue()


def test_narrowed_vocabulary_decodes_what_the_masked_full_softmax_decodes(tmp_path, monkeypatch):
    from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration

    build_whisper(tmp_path)
    model = WhisperForConditionalGeneration.from_pretrained(tmp_path).eval()
    tok = whisper_tokenizer()
    proc = {
        "feature_extractor": WhisperFeatureExtractor.from_pretrained(tmp_path),
        "tokenizer": tok,
    }
    rng = np.random.default_rng(0)
    allowed = sorted({*rng.choice(50000, 300, replace=False).tolist(), tok.eos_token_id})
    meta = {
        "decoder_prompt": [50258, 50296, 50359, 50363],
        "max_new_tokens": 12,
        "suppress_ids": [50258, 50296, 50359, 50363],
        "allowed_ids": allowed,
    }
    inputs = [{"audio": _clip(i)} for i in range(5)]
    torch.manual_seed(0)
    narrowed = WhisperTranscriber("stt", model, proc, meta)
    assert narrowed.candidates() is not None and len(narrowed.candidates()) == len(allowed)
    fast = narrowed.predict(inputs)
    monkeypatch.setattr(infer.WhisperTranscriber, "candidates", lambda self: None)
    full = WhisperTranscriber("stt", model, proc, meta).predict(inputs)
    assert fast == full and any(fast)
