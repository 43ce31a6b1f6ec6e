"""stt: LoRA speech recognition, Whisper-style seq2seq or wav2vec2-style CTC (engines.stt.arch).

Whisper: PEFT with ``task_type`` unset, LoRA on q_proj/v_proj (config may add more), greedy
decoding from the base's decoder prompt. CTC: the feature encoder is frozen, the character
vocabulary is built from the gold training text and the new ``lm_head`` is saved with the adapter.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import torch

from foundry.engines import SAMPLE_RATE
from foundry.text import normalize
from foundry.train import common
from foundry.train.data import waveforms
from foundry.train.infer import CtcTranscriber, WhisperTranscriber, load_base, load_processor
from foundry.train.metrics import stt_metrics
from foundry.train.result import Context, Result

WHISPER_LORA = {"target_modules": ["q_proj", "v_proj"]}
CTC_LORA = {"target_modules": ["q_proj", "v_proj"], "modules_to_save": ["lm_head"]}


def _pad(seqs: list[list[int]], value: int) -> torch.Tensor:
    n = max(len(x) for x in seqs)
    return torch.tensor([x + [value] * (n - len(x)) for x in seqs], dtype=torch.long)


def _fit_and_score(
    ctx: Context, model: Any, predictor: Any, loss_on: Any, untrained: list[str]
) -> dict[str, Any]:
    train, dev = ctx.rows["train"], ctx.rows["dev"]
    dev_inputs = [{"audio": w} for w in waveforms(dev)] if ctx.settings.get("dev_cer") else []
    dev_refs = [r["text"] for r in dev]

    def dev_fn() -> dict[str, float]:
        loss = common.mean_loss(loss_on, dev, ctx.settings.batch_size)
        if not ctx.settings.get("dev_cer", False):  # greedy decoding each epoch costs time
            return {"loss": loss}
        return {"loss": loss, "cer": stt_metrics(dev_refs, predictor.predict(dev_inputs))["cer"]}

    training = common.fit(
        model,
        ctx.settings,
        len(train),
        lambda idx: loss_on([train[i] for i in idx]),
        dev_fn if dev else None,
        ctx.board,
    )
    preds = predictor.predict(ctx.test_inputs)
    metrics = {
        "adapted": stt_metrics(ctx.test_refs, preds),
        "untrained_base": stt_metrics(ctx.test_refs, untrained),
    }
    ctx.board.scalars("test", {"cer": metrics["adapted"]["cer"]}, training["steps"])
    return {"predictions": preds, "metrics": metrics, "training": training}


def _whisper(ctx: Context) -> Result:
    from peft import get_peft_model

    s = ctx.settings
    proc = load_processor("whisper", ctx.base_dir)
    fe, tok = proc["feature_extractor"], proc["tokenizer"]
    if hasattr(tok, "set_prefix_tokens"):  # a real Whisper tokenizer: <|ml|><|transcribe|>
        lang = ctx.base_meta.get("language") or s.get("language", "malayalam")
        tok.set_prefix_tokens(language=lang, task="transcribe", predict_timestamps=False)
    common.seed_everything(s.seed, s.threads)
    model = load_base("whisper", ctx.base_dir, {}).to(ctx.device)
    max_target = int(model.config.max_target_positions)
    prompt = tok("").input_ids[:-1]
    meta = {
        "decoder_prompt": prompt,
        "max_new_tokens": int(s.get("max_new_tokens", min(128, max_target - len(prompt)))),
    }
    untrained = WhisperTranscriber(ctx.engine, model, proc, meta).predict(ctx.test_inputs)
    model = get_peft_model(model, common.lora_config(s, WHISPER_LORA))
    feats = {}
    for split in ("train", "dev"):
        rows = ctx.rows[split]
        if rows:
            f = fe(waveforms(rows), sampling_rate=SAMPLE_RATE, return_tensors="pt").input_features
            feats.update({id(r): f[i] for i, r in enumerate(rows)})
    pad = tok.pad_token_id

    def loss_on(rs: list[dict[str, Any]]) -> torch.Tensor:
        ids = [tok(normalize(r["text"])).input_ids[: max_target + 1] for r in rs]
        full = _pad(ids, pad)
        labels = full[:, 1:].clone()
        lengths = torch.tensor([len(x) - 1 for x in ids])
        labels[torch.arange(labels.shape[1])[None, :] >= lengths[:, None]] = -100
        x = torch.stack([feats[id(r)] for r in rs]).to(ctx.device)
        with common.autocast(ctx.device):
            out = model(
                input_features=x,
                decoder_input_ids=full[:, :-1].to(ctx.device),
                labels=labels.to(ctx.device),
            )
        return out.loss.float()

    predictor = WhisperTranscriber(ctx.engine, model, proc, meta)
    out = _fit_and_score(ctx, model, predictor, loss_on, untrained)
    return Result(model, [fe, tok], meta, out["predictions"], out["metrics"], out["training"])


def ctc_tokenizer(texts: list[str], folder: Path) -> Any:
    """Characters of the gold training text; '|' is the word delimiter, <pad> the CTC blank."""
    from transformers import Wav2Vec2CTCTokenizer

    chars = sorted({ch for t in texts for ch in normalize(t) if ch != " "})
    vocab = {"<pad>": 0, "<unk>": 1, "|": 2}
    for ch in chars:
        vocab.setdefault(ch, len(vocab))
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    return Wav2Vec2CTCTokenizer(
        str(folder / "vocab.json"),
        unk_token="<unk>",
        pad_token="<pad>",
        word_delimiter_token="|",
        bos_token=None,
        eos_token=None,
    )


def _ctc(ctx: Context) -> Result:
    from peft import get_peft_model
    from transformers import AutoFeatureExtractor

    s = ctx.settings
    with tempfile.TemporaryDirectory() as tmp:
        tok = ctc_tokenizer([r["text"] for r in ctx.rows["train"]], Path(tmp))
    fe = AutoFeatureExtractor.from_pretrained(ctx.base_dir)
    proc = {"feature_extractor": fe, "tokenizer": tok}
    meta = {"vocab_size": len(tok), "blank_id": tok.pad_token_id}
    common.seed_everything(s.seed, s.threads)
    model = load_base("ctc", ctx.base_dir, meta).to(ctx.device)
    model.freeze_feature_encoder()
    untrained = CtcTranscriber(ctx.engine, model, proc, meta).predict(ctx.test_inputs)
    model = get_peft_model(model, common.lora_config(s, CTC_LORA))
    waves = {
        id(r): w
        for split in ("train", "dev")
        for r, w in zip(ctx.rows[split], waveforms(ctx.rows[split]), strict=True)
    }

    def loss_on(rs: list[dict[str, Any]]) -> torch.Tensor:
        enc = common.audio_batch(fe, [waves[id(r)] for r in rs], ctx.device)
        labels = _pad([tok(normalize(r["text"])).input_ids for r in rs], -100).to(ctx.device)
        with common.autocast(ctx.device):
            out = model(
                input_values=enc.input_values, attention_mask=enc.attention_mask, labels=labels
            )
        return out.loss.float()

    predictor = CtcTranscriber(ctx.engine, model, proc, meta)
    out = _fit_and_score(ctx, model, predictor, loss_on, untrained)
    return Result(model, [fe, tok], meta, out["predictions"], out["metrics"], out["training"])


def train(ctx: Context) -> Result:
    arch = ctx.settings.get("arch", "whisper")
    if arch == "ctc":
        return _ctc(ctx)
    if arch == "whisper":
        return _whisper(ctx)
    raise common.TrainError(f"config key 'engines.stt.arch': use whisper or ctc, got {arch!r}")
