"""stt: LoRA speech recognition, Whisper-style seq2seq or wav2vec2-style CTC (engines.stt.arch).

Whisper: PEFT with ``task_type`` unset, LoRA on q_proj/v_proj (config may add more), greedy
decoding from the base's decoder prompt (a real Whisper tokenizer: <|startoftranscript|><|ml|>
<|transcribe|><|notimestamps|>, which the labels carry too). CTC: the feature encoder is frozen
(trained when it is random), the character vocabulary is built from the gold training text and the
new ``lm_head`` is saved with the adapter.

Items the model cannot learn whole are left out of training and dev on purpose, never truncated,
and counted per reason in metrics.json ``rejected`` and the training log: a Whisper label longer
than the decoder's positions (``label_too_long``), audio longer than Whisper's input window
(``audio_too_long``; the feature extractor would cut it while the label still covers it), a CTC
label needing more frames than the audio gives (``label_longer_than_frames``). Test items are all
scored; the ones over a limit are counted in ``rejected.test_over_limit``.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from foundry import engines
from foundry.engines import SAMPLE_RATE
from foundry.text import normalize
from foundry.train import common
from foundry.train.data import references, waveform, waveforms
from foundry.train.infer import CtcTranscriber, WhisperTranscriber, load_base, load_processor
from foundry.train.metrics import stt_metrics
from foundry.train.result import Context, Result, selection

WHISPER_LORA = {"target_modules": ["q_proj", "v_proj"]}
CTC_LORA = {"target_modules": ["q_proj", "v_proj"], "modules_to_save": ["lm_head"]}
EXAMPLES = 10  # rejected item ids listed per reason

log = logging.getLogger("foundry.train.stt")
Check = tuple[str, Callable[[dict[str, Any]], bool]]


def screen(
    ctx: Context, checks: list[Check], limits: dict[str, Any]
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    """Train/dev rows that pass every check, and the report of those that did not.

    The first failing check names an item's reason. Test rows are only counted: the test split
    is scored whole, so an over-limit item there costs CER instead of vanishing.
    """
    kept: dict[str, list[dict[str, Any]]] = {}
    report: dict[str, Any] = {"limits": limits}
    examples: dict[str, list[str]] = {}
    for split in ("train", "dev", "test"):
        counts: Counter[str] = Counter()
        rows = []
        for r in ctx.rows[split]:
            reason = next((name for name, bad in checks if bad(r)), None)
            if reason is None:
                rows.append(r)
                continue
            counts[reason] += 1
            if split != "test":
                examples.setdefault(reason, [])
                if len(examples[reason]) < EXAMPLES:
                    examples[reason].append(r["id"])
        kept[split] = rows
        report["test_over_limit" if split == "test" else split] = dict(sorted(counts.items()))
    report["examples"] = examples
    left_out = {k: report[k] for k in ("train", "dev") if report[k]}
    if left_out:
        log.warning("%s: left out of training (never truncated): %s", ctx.engine, left_out)
    if report["test_over_limit"]:
        log.warning("%s: test items over a limit: %s", ctx.engine, report["test_over_limit"])
    if ctx.rows["train"] and not kept["train"]:
        raise common.TrainError(
            f"engine '{ctx.engine}': all {len(ctx.rows['train'])} training items exceed the "
            f"model's limits {limits}; split long recordings into shorter utterances"
        )
    return kept, report


def _pad(seqs: list[list[int]], value: int) -> torch.Tensor:
    n = max(len(x) for x in seqs)
    return torch.tensor([x + [value] * (n - len(x)) for x in seqs], dtype=torch.long)


def _fit_and_score(
    ctx: Context,
    model: Any,
    predictor: Any,
    loss_on: Any,
    untrained: list[str],
    rows: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    train, dev = rows["train"], rows["dev"]
    dev_cer = bool(ctx.settings.raw["dev_cer"])  # greedy decoding each epoch costs time
    dev_inputs = [{"audio": w} for w in waveforms(dev)] if dev_cer else []
    dev_refs = references(ctx.engine, dev)
    metric = engines.get(ctx.engine).metric

    def dev_fn() -> dict[str, float]:
        loss = common.mean_loss(loss_on, dev, ctx.settings.batch_size)
        if not dev_cer:
            return {"loss": loss}
        scores = stt_metrics(dev_refs, predictor.predict(dev_inputs))
        return {"loss": loss, metric: scores[metric]}

    training = common.fit(
        model,
        ctx.settings,
        len(train),
        lambda idx: loss_on([train[i] for i in idx]),
        dev_fn if dev else None,
        ctx.board,
        select=selection(ctx.engine) if dev_cer else ("loss", False),
    )
    preds = predictor.predict(ctx.test_inputs)
    metrics = {
        "adapted": stt_metrics(ctx.test_refs, preds),
        "untrained_base": stt_metrics(ctx.test_refs, untrained),
    }
    ctx.board.scalars("test", {"cer": metrics["adapted"]["cer"]}, training["steps"])
    return {"predictions": preds, "metrics": metrics, "training": training}


def suppressed_ids(tok: Any) -> list[int]:
    """Token ids a transcript never contains: every special / added token except end of text
    (Whisper: <|startoftranscript|>, languages, tasks, <|notimestamps|>, timestamps)."""
    ids = set(tok.all_special_ids) | set(getattr(tok, "added_tokens_decoder", {}) or {})
    return sorted(i for i in ids if i != tok.eos_token_id)


def decoder_lora(settings: common.Settings, frozen_encoder: bool) -> dict[str, Any]:
    """LoRA defaults; a frozen encoder limits the configured module names to the decoder."""
    spec = {**WHISPER_LORA, **settings.lora}
    if frozen_encoder:
        spec["exclude_modules"] = r"model\.encoder\..*"
    return spec


def _whisper(ctx: Context) -> Result:
    from peft import get_peft_model

    from foundry.train.script_vocab import script_token_ids

    s = ctx.settings
    proc = load_processor("whisper", ctx.base_dir)
    fe, tok = proc["feature_extractor"], proc["tokenizer"]
    if hasattr(tok, "set_prefix_tokens"):  # a real Whisper tokenizer: <|ml|><|transcribe|>
        lang = ctx.base_meta.get("language") or s.raw["language"]
        tok.set_prefix_tokens(language=lang, task="transcribe", predict_timestamps=False)
    common.seed_everything(s.seed, s.threads)
    model = load_base("whisper", ctx.base_dir, {}).to(ctx.device)
    frozen = bool(s.get("freeze_encoder", not ctx.base_meta.get("plumbing_check")))
    max_target = int(model.config.max_target_positions)
    prompt = tok("").input_ids[:-1]
    max_text = max_target - len(prompt)  # decoder input = prompt + text fills every position
    meta = {
        "decoder_prompt": prompt,
        # the decoder's whole length by default: a cap of 128 would cut ~4.6 s of Malayalam
        "max_new_tokens": min(int(s.get("max_new_tokens", max_text)), max_text),
        "suppress_ids": suppressed_ids(tok),
        "frozen_encoder": frozen,
    }
    ids = {id(r): tok(normalize(r["text"])).input_ids for split in ctx.rows.values() for r in split}
    waves = {id(r): waveform(r["audio"]["bytes"]) for split in ctx.rows.values() for r in split}
    window = int(fe.n_samples)
    rows, rejected = screen(
        ctx,
        [
            ("audio_too_long", lambda r: len(waves[id(r)]) > window),
            ("label_too_long", lambda r: len(ids[id(r)]) - 1 > max_target),
        ],
        {"max_label_tokens": max_text, "max_audio_seconds": window / SAMPLE_RATE},
    )
    # the untrained base, zero-shot with the language forced, whole vocabulary: clean + phone
    untrained, phone_refs, untrained_phone = _untrained(ctx, model, proc, meta)
    allowed = script_token_ids(tok, s.raw["output_script"])
    if allowed is not None:  # training softmax and decoding over the same narrowed vocabulary
        meta["allowed_ids"] = allowed
    hf = model  # the wrapped model itself: PEFT injects LoRA in place and freezes the rest
    model = get_peft_model(model, common.lora_config(s, decoder_lora(s, frozen)))
    states = _encoder_states(ctx, fe, hf, rows, waves, frozen)
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    loss_on = _whisper_loss(ctx.device, hf, ids, states, pad, frozen, allowed)
    predictor = WhisperTranscriber(ctx.engine, model, proc, meta)
    out = _fit_and_score(ctx, model, predictor, loss_on, untrained, rows)
    out["metrics"]["telephone_untrained_base"] = stt_metrics(phone_refs, untrained_phone)
    return Result(
        model, [fe, tok], meta, out["predictions"], out["metrics"], out["training"], rejected
    )


def _untrained(
    ctx: Context, model: Any, proc: Any, meta: dict[str, Any]
) -> tuple[list[str], list[str], list[str]]:
    """The untrained base, zero-shot with the language forced, whole vocabulary, on the test
    split clean and through the telephone channel: (clean answers, phone refs, phone answers)."""
    from foundry.train import channel

    base = WhisperTranscriber(ctx.engine, model, proc, meta)
    untrained = base.predict(ctx.test_inputs)
    phone = channel.through_channel(ctx.rows["test"], channel.eval_channel(ctx.settings.raw))
    untrained_phone = base.predict([{"audio": r["audio"]["bytes"]} for r in phone])
    log.info("%s: untrained base scored on %d clean + telephone clips", ctx.engine, len(phone))
    return untrained, [r["text"] for r in phone], untrained_phone


def _encoder_states(
    ctx: Context,
    fe: Any,
    hf: Any,
    rows: dict[str, list[dict[str, Any]]],
    waves: dict[int, Any],
    frozen: bool,
) -> dict[int, torch.Tensor]:
    """Per train/dev clip: its input features, or (frozen encoder) the encoder's output once."""
    states: dict[int, torch.Tensor] = {}
    for split in ("train", "dev"):
        for chunk in common.chunks(rows[split], 8):
            f = fe([waves[id(r)] for r in chunk], sampling_rate=SAMPLE_RATE, return_tensors="pt")
            x = f.input_features.to(ctx.device)
            if frozen:
                with torch.no_grad():
                    x = hf.model.encoder(x).last_hidden_state
            states.update({id(r): x[i] for i, r in enumerate(chunk)})
    log.info("%s: %s for %d clips", ctx.engine, "encoded" if frozen else "features", len(states))
    return states


def _whisper_loss(
    device: torch.device,
    hf: Any,
    ids: dict[int, list[int]],
    states: dict[int, torch.Tensor],
    pad: int,
    frozen: bool,
    allowed: list[int] | None,
) -> Callable[[list[dict[str, Any]]], torch.Tensor]:
    """Cross-entropy of the decoder on a batch's label tokens (over the allowed vocabulary)."""
    vocab = torch.tensor(allowed, device=device) if allowed is not None else None
    remap = None
    if vocab is not None:
        remap = torch.full((hf.config.vocab_size,), -100, dtype=torch.long, device=device)
        remap[vocab] = torch.arange(len(allowed), device=device)

    def loss_on(rs: list[dict[str, Any]]) -> torch.Tensor:
        seqs = [ids[id(r)] for r in rs]
        full = _pad(seqs, pad).to(device)
        labels = full[:, 1:].clone()
        lengths = torch.tensor([len(x) - 1 for x in seqs], device=device)
        keep = torch.arange(labels.shape[1], device=device)[None, :] < lengths[:, None]
        x = torch.stack([states[id(r)] for r in rs])
        with common.autocast(device):
            enc = x if frozen else hf.model.encoder(x).last_hidden_state
            h = hf.model.decoder(input_ids=full[:, :-1], encoder_hidden_states=enc)
            h = h.last_hidden_state[keep]  # only real label positions reach the output layer
            target = labels[keep]
            if vocab is None:
                logits = hf.proj_out(h)
            else:
                logits, target = h @ hf.proj_out.weight[vocab].T, remap[target]
        return torch.nn.functional.cross_entropy(logits.float(), target)

    return loss_on


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
    encoder = (
        common.FEATURE_ENCODER if common.feature_encoder_trained(s, ctx.base_meta, model) else ()
    )
    waves = {id(r): waveform(r["audio"]["bytes"]) for split in ctx.rows.values() for r in split}
    labels_of = {
        id(r): tok(normalize(r["text"])).input_ids for split in ctx.rows.values() for r in split
    }
    lengths = model._get_feat_extract_output_lengths(
        torch.tensor([len(w) for w in waves.values()])
    ).tolist()
    frames = dict(zip(waves, lengths, strict=True))

    def needs(r: dict[str, Any]) -> int:  # CTC: one frame per label, a blank between repeats
        y = labels_of[id(r)]
        return len(y) + sum(a == b for a, b in zip(y, y[1:], strict=False))

    rows, rejected = screen(
        ctx,
        [("label_longer_than_frames", lambda r: needs(r) > frames[id(r)])],
        {"frames_per_second": round(SAMPLE_RATE / _stride(model), 3)},
    )
    untrained = CtcTranscriber(ctx.engine, model, proc, meta).predict(ctx.test_inputs)
    model = get_peft_model(model, common.lora_config(s, CTC_LORA, encoder))

    def loss_on(rs: list[dict[str, Any]]) -> torch.Tensor:
        enc = common.audio_batch(fe, [waves[id(r)] for r in rs], ctx.device)
        labels = _pad([labels_of[id(r)] for r in rs], -100).to(ctx.device)
        with common.autocast(ctx.device):
            out = model(
                input_values=enc.input_values, attention_mask=enc.attention_mask, labels=labels
            )
        return out.loss.float()

    predictor = CtcTranscriber(ctx.engine, model, proc, meta)
    out = _fit_and_score(ctx, model, predictor, loss_on, untrained, rows)
    return Result(
        model, [fe, tok], meta, out["predictions"], out["metrics"], out["training"], rejected
    )


def _stride(model: Any) -> int:
    """Input samples per output frame of a wav2vec2 feature encoder."""
    stride = 1
    for k in model.config.conv_stride:
        stride *= int(k)
    return stride


def train(ctx: Context) -> Result:
    arch = ctx.settings.get("arch", "whisper")
    if arch == "ctc":
        return _ctc(ctx)
    if arch == "whisper":
        return _whisper(ctx)
    raise common.TrainError(f"config key 'engines.stt.arch': use whisper or ctc, got {arch!r}")
