"""Base models: tiny random-init ones built locally (demo), or pinned Hub snapshots (production).

Config ``engines.<engine>.base`` is either ``{tiny: {...sizes}}`` — a plumbing-check model built
from a config with a fixed seed and a character tokenizer from the engine's training text — or
``{hub: org/name, revision: <40-hex commit>}``, fetched with ``snapshot_download`` at that commit
(token from ``HF_TOKEN``, never written anywhere) and recorded with sha256s in ``foundry.json``.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import torch

from foundry import config, engines, integrity, paths
from foundry.atomic import atomic_dir, write_json
from foundry.engines import SAMPLE_RATE
from foundry.text import normalize
from foundry.train.common import FOUNDRY_META, TrainError

log = logging.getLogger("foundry.train.base")

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # RoBERTa order: ids 0..4
_DROPOUT = 0.0  # tiny bases only (see build_tiny)


def task_of(engine: str, arch: str | None = None) -> str:
    """The engine's training task (from the engine registry)."""
    try:
        return engines.task_of(engine, arch)
    except KeyError as exc:
        raise TrainError(str(exc)) from None


def char_vocab(texts: list[str]) -> list[str]:
    """Every code point of the normalized training text, sorted (deterministic ids)."""
    return sorted({ch for t in texts for ch in normalize(t)})


def char_tokenizer(chars: list[str], max_length: int) -> Any:
    """A fast character-level tokenizer: <s> c c c </s>, loadable with AutoTokenizer."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {tok: i for i, tok in enumerate(SPECIALS)}
    for ch in chars:
        vocab.setdefault(ch, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    tok.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        mask_token="<mask>",
        model_max_length=max_length,
        clean_up_tokenization_spaces=False,
    )


def _tiny_text(spec: dict[str, Any], texts: list[str], out: Path) -> dict[str, Any]:
    from transformers import RobertaConfig, RobertaForMaskedLM

    max_len = int(spec["max_length"])
    tok = char_tokenizer(char_vocab(texts), max_len)
    cfg = RobertaConfig(
        vocab_size=len(tok),
        hidden_size=int(spec["hidden_size"]),
        num_hidden_layers=int(spec["layers"]),
        num_attention_heads=int(spec["heads"]),
        intermediate_size=int(spec["intermediate_size"]),
        max_position_embeddings=max_len + 2,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        type_vocab_size=1,
        # Random weights at the usual 0.02 leave the <s> output (what the classification head
        # reads) varying by 0.3-0.4 % across inputs: the head has almost nothing to learn from
        # and training stalls or lurches depending on the seed. At 0.1 it varies by ~10 %.
        initializer_range=0.1,
        hidden_dropout_prob=_DROPOUT,
        attention_probs_dropout_prob=_DROPOUT,
    )
    RobertaForMaskedLM(cfg).save_pretrained(out)
    tok.save_pretrained(out)
    return {"family": "roberta", "vocab_size": len(tok), "max_length": max_len}


def _tiny_wav2vec2(spec: dict[str, Any], out: Path) -> dict[str, Any]:
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    cfg = Wav2Vec2Config(
        hidden_size=int(spec["hidden_size"]),
        num_hidden_layers=int(spec["layers"]),
        num_attention_heads=int(spec["heads"]),
        intermediate_size=int(spec["intermediate_size"]),
        conv_dim=tuple(spec["conv_dim"]),
        conv_kernel=tuple(spec["conv_kernel"]),
        conv_stride=tuple(spec["conv_stride"]),
        num_conv_pos_embeddings=int(spec["conv_pos"]),
        num_conv_pos_embedding_groups=int(spec["conv_pos_groups"]),
        mask_time_prob=0.0,
        layerdrop=0.0,
        hidden_dropout=_DROPOUT,
        activation_dropout=_DROPOUT,
        attention_dropout=_DROPOUT,
        final_dropout=_DROPOUT,
        initializer_range=0.02,
        do_stable_layer_norm=True,
        feat_extract_norm="layer",
        classifier_proj_size=int(spec["classifier_proj_size"]),
    )
    Wav2Vec2Model(cfg).save_pretrained(out)
    Wav2Vec2FeatureExtractor(
        feature_size=1,
        sampling_rate=SAMPLE_RATE,
        padding_value=0.0,
        do_normalize=True,
        return_attention_mask=True,
    ).save_pretrained(out)
    return {"family": "wav2vec2"}


def _tiny_whisper(spec: dict[str, Any], texts: list[str], out: Path) -> dict[str, Any]:
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration

    chunk = int(spec["chunk_seconds"])
    max_target = int(spec["max_target_positions"])
    tok = char_tokenizer(char_vocab(texts), max_target)
    cfg = WhisperConfig(
        vocab_size=len(tok),
        num_mel_bins=int(spec["mel_bins"]),
        d_model=int(spec["hidden_size"]),
        encoder_layers=int(spec["layers"]),
        decoder_layers=int(spec["layers"]),
        encoder_attention_heads=int(spec["heads"]),
        decoder_attention_heads=int(spec["heads"]),
        encoder_ffn_dim=int(spec["intermediate_size"]),
        decoder_ffn_dim=int(spec["intermediate_size"]),
        max_source_positions=chunk * 50,
        max_target_positions=max_target,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=0,
        suppress_tokens=[],
        begin_suppress_tokens=[],
    )
    WhisperForConditionalGeneration(cfg).save_pretrained(out)
    tok.save_pretrained(out)
    WhisperFeatureExtractor(
        feature_size=cfg.num_mel_bins, sampling_rate=SAMPLE_RATE, chunk_length=chunk
    ).save_pretrained(out)
    return {"family": "whisper", "vocab_size": len(tok), "chunk_seconds": chunk}


def build_tiny(
    engine: str, spec: dict[str, Any], texts: list[str], out: Path, seed: int, arch: str | None
) -> dict[str, Any]:
    """A random-init plumbing-check model from a config (fixed seed), saved like a Hub model.

    ``spec``: config ``base.tiny`` (its dimensions default to the schema's tiny_base). Dropout
    is 0: on random features of a 64-wide model it only adds noise to ~100-item trainings;
    pretrained bases keep their own dropout.
    """
    spec = {**config.def_defaults("tiny_base"), **spec}
    torch.manual_seed(seed)
    task = task_of(engine, arch)
    if not engines.get(engine).is_audio:
        info = _tiny_text(spec, texts, out)
    elif task == "whisper":
        info = _tiny_whisper(spec, texts, out)
    else:  # dialect, stt with arch ctc: a wav2vec2 encoder; heads are added at training time
        info = _tiny_wav2vec2(spec, out)
    return {"source": "tiny", "plumbing_check": True, "spec": spec, "seed": seed, **info}


def fetch_hub(engine: str, spec: dict[str, Any], out: Path, hub_cfg: dict[str, Any]) -> dict:
    """Download ``spec['hub']`` at the pinned commit ``spec['revision']`` and record sha256s."""
    from huggingface_hub import snapshot_download

    from foundry.ingest import hub

    repo, revision = spec["hub"], str(spec.get("revision", ""))
    if not hub.is_commit_sha(revision):
        raise TrainError(
            f"engine '{engine}': base model {repo} needs a pinned revision (a 40-hex commit sha) "
            f"in engines.{engine}.base.revision, got {revision!r}; copy it from the model's "
            "'Files and versions' page on the Hub"
        )
    patterns = spec.get(
        "allow_patterns", ["*.json", "*.safetensors", "*.model", "*.txt", "*.tiktoken"]
    )

    def download() -> Path:
        return Path(
            snapshot_download(
                repo,
                revision=revision,
                allow_patterns=patterns,
                token=os.environ.get("HF_TOKEN") or None,
            )
        )

    snap = hub.with_retries(
        download,
        what=lambda exc: hub.classify(exc, f"base model of {engine}", repo, revision),
        **hub.retry_settings(hub_cfg),
    )
    files = sorted(str(p.relative_to(snap)) for p in snap.rglob("*") if p.is_file())
    if not any(f.endswith(".safetensors") for f in files):
        raise TrainError(
            f"engine '{engine}': {repo}@{revision} has no .safetensors weights; pick a revision "
            "that has them (pickled .bin weights are not loaded)"
        )
    for f in files:
        (out / f).parent.mkdir(parents=True, exist_ok=True)
        (out / f).write_bytes((snap / f).read_bytes())
    return {
        "source": "hub",
        "plumbing_check": False,
        "repo": repo,
        "revision": revision,
        "language": spec.get("language"),
        "family": family_of(out / "config.json"),
        "files": hub._describe(out, files),
    }


# config.json model_type -> the family the trainers branch on, where the two names differ
FAMILIES = {"xlm-roberta": "roberta"}
WHISPER_WINDOW_S = 30  # the model's own input window: a packaged base without window_seconds


def family_of(config_json: Path) -> str | None:
    """A fetched base's family, so a Hub Whisper trains dialect as the packaged one does."""
    if not config_json.is_file():
        return None
    model_type = json.loads(config_json.read_text(encoding="utf-8")).get("model_type")
    return FAMILIES.get(model_type, model_type)


def build_packaged(engine: str, spec: dict[str, Any], out: Path) -> dict[str, Any]:
    """A real pretrained base installed from PyPI: OpenAI Whisper-base (``packaged: whisper-base``).

    Used by stt (seq2seq) and dialect (its encoder under an audio-classification head).
    """
    from foundry.train import whisper_ct2

    name = spec["packaged"]
    if name != "whisper-base":
        raise TrainError(
            f"config key 'engines.{engine}.base.packaged': only whisper-base is packaged, "
            f"got {name!r}; use hub: <org/name> with a pinned revision for other models"
        )
    if task_of(engine) not in ("whisper", "audio_classification"):
        raise TrainError(
            f"engine '{engine}': whisper-base is a speech model; give engine '{engine}' a text "
            "base (tiny: {...} or hub: ...)"
        )
    try:
        meta = whisper_ct2.build(out, int(spec.get("window_seconds", WHISPER_WINDOW_S)))
    except whisper_ct2.PackageError as exc:
        raise TrainError(f"engine '{engine}': {exc}") from None
    meta["window_seconds"] = int(spec.get("window_seconds", WHISPER_WINDOW_S))
    return meta


def build_base(
    engine: str,
    settings: dict[str, Any],
    texts: list[str],
    out_dir: str | Path,
    seed: int,
    hub_cfg: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write models/<engine>/base/ atomically (weights + processor + foundry.json)."""
    spec = settings["base"]
    arch = settings.get("arch")
    with atomic_dir(out_dir) as tmp:
        if "hub" in spec:
            meta = fetch_hub(engine, spec, tmp, hub_cfg or {})
        elif "packaged" in spec:
            meta = build_packaged(engine, spec, tmp)
        elif "tiny" in spec:
            meta = build_tiny(engine, dict(spec["tiny"] or {}), texts, tmp, seed, arch)
        else:
            raise TrainError(
                f"config key 'engines.{engine}.base': give either tiny: {{...}} (demo) or "
                "hub: <org/name> with revision: <commit sha>, or packaged: whisper-base"
            )
        meta.update({"engine": engine, "task": task_of(engine, arch)})
        meta["checksums"] = integrity.tree_hashes(tmp)  # what training checks the base against
        write_json(tmp / FOUNDRY_META, meta)
    return meta


def verify_base(base_dir: Path, meta: dict[str, Any], engine: str) -> dict[str, str]:
    """Check a base model folder against the hashes it was built with; its recorded files."""
    where = paths.base_model_dir(engine)
    fix = integrity.rebuild(where, "rebuild the base", "models")
    recorded_in = f"{where}/{FOUNDRY_META}"
    recorded = integrity.require_record(meta.get("checksums"), recorded_in, "file", fix)
    integrity.require_tree(base_dir, where, recorded, recorded_in, fix, (FOUNDRY_META,))
    return recorded
