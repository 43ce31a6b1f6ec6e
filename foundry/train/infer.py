"""Inference API: a saved base + its PEFT adapter -> predictions (used by training and serving).

Training writes ``models/<engine>/test_predictions.json`` with these same classes on the in-memory
model, so a reloaded adapter is checked against exactly what training produced.

    p = load_predictor("intent", "models/intent/adapter")
    p.predict([{"text": "ബിൽ അടയ്ക്കണം"}])            # -> ["pay_bill"]
    load_predictor("stt", "models/stt/adapter").predict([{"audio": wav_bytes}])  # -> [transcript]
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from foundry.engines import SAMPLE_RATE
from foundry.text import normalize
from foundry.train.common import FOUNDRY_META, TrainError, audio_batch, chunks, seed_everything
from foundry.train.data import waveform

BATCH = 32  # greedy decoding steps are sequential: fewer, larger batches
log = logging.getLogger("foundry.train.infer")


def wave_of(item: dict[str, Any], engine: str) -> np.ndarray:
    """A predictor input's waveform: float32 as given, or decoded from 16 kHz WAV bytes."""
    if "audio" not in item:
        raise ValueError(f"engine '{engine}' needs inputs like {{'audio': <16 kHz WAV bytes>}}")
    a = item["audio"]
    return a.astype(np.float32) if isinstance(a, np.ndarray) else waveform(a)


def _text(item: dict[str, Any], engine: str) -> str:
    if "text" not in item:
        raise ValueError(f"engine '{engine}' needs inputs like {{'text': 'മലയാളം'}}")
    return normalize(str(item["text"]))


class Predictor:
    """Base model + adapter in eval mode; ``predict`` maps inputs to label / transcript strings."""

    engine: str

    def __init__(self, engine: str, model: Any, processor: Any, meta: dict[str, Any]) -> None:
        self.engine = engine
        self.model = model
        self.processor = processor
        self.meta = meta
        self.device = next(model.parameters()).device

    def predict(self, inputs: list[dict]) -> list[str]:
        # Switching modes walks every module (~5 ms on the demo STT): only when training asks.
        was_training = self.model.training
        if was_training:
            self.model.eval()
        try:
            with torch.no_grad():
                out: list[str] = []
                for batch in chunks(list(inputs), BATCH):
                    out += self._batch(batch)
                return out
        finally:
            if was_training:
                self.model.train()

    def _batch(self, batch: list[dict]) -> list[str]:  # pragma: no cover - abstract
        raise NotImplementedError


class TextClassifier(Predictor):
    def _batch(self, batch: list[dict]) -> list[str]:
        enc = self.processor(
            [_text(x, self.engine) for x in batch],
            padding=True,
            truncation=True,
            return_tensors="pt",
        ).to(self.device)
        logits = self.model(**enc).logits
        return [self.meta["labels"][i] for i in logits.argmax(-1).tolist()]


class AudioClassifier(Predictor):
    def _batch(self, batch: list[dict]) -> list[str]:
        waves = [wave_of(x, self.engine) for x in batch]
        if self.model.config.model_type == "whisper":  # log-mel input padded to its window
            feats = self.processor(waves, sampling_rate=SAMPLE_RATE, return_tensors="pt")
            logits = self.model(input_features=feats.input_features.to(self.device)).logits
            return [self.meta["labels"][i] for i in logits.argmax(-1).tolist()]
        enc = audio_batch(self.processor, waves, self.device)
        logits = self.model(input_values=enc.input_values, attention_mask=enc.attention_mask).logits
        return [self.meta["labels"][i] for i in logits.argmax(-1).tolist()]


class WhisperTranscriber(Predictor):
    """Greedy decoding from the recorded decoder prompt (works for tiny and real Whisper).

    Incremental (the decoder's key/value cache), at most ``max_new_tokens``; tokens that never
    belong in a transcript (``suppress_ids``: languages, tasks, timestamps, ...) are never chosen.
    """

    def _batch(self, batch: list[dict]) -> list[str]:
        fe, tok = self.processor["feature_extractor"], self.processor["tokenizer"]
        feats = fe(
            [wave_of(x, self.engine) for x in batch], sampling_rate=SAMPLE_RATE, return_tensors="pt"
        ).input_features.to(self.device)
        enc = self.model.get_encoder()(feats).last_hidden_state
        prompt = torch.tensor(self.meta["decoder_prompt"], dtype=torch.long, device=self.device)
        seq = prompt.repeat(len(batch), 1)
        eos = tok.eos_token_id
        suppress, keep = self.suppressed(), self.candidates()
        hf = self.model.get_base_model() if hasattr(self.model, "get_base_model") else self.model
        # a narrowed vocabulary (allowed_ids) scores only its tokens: the same argmax as masking
        # the full softmax, for a ~600-row output layer instead of all 51865 rows
        out_rows = hf.proj_out.weight[keep] if keep is not None else None
        done = torch.zeros(len(batch), dtype=torch.bool, device=self.device)
        step_ids, cache = seq, None
        for _ in range(int(self.meta["max_new_tokens"])):
            if out_rows is not None:
                out = hf.model.decoder(
                    input_ids=step_ids,
                    encoder_hidden_states=enc,
                    past_key_values=cache,
                    use_cache=True,
                )
                cache = out.past_key_values
                nxt = keep[(out.last_hidden_state[:, -1] @ out_rows.T).argmax(-1)]
            else:
                out = self.model(
                    encoder_outputs=(enc,),
                    decoder_input_ids=step_ids,
                    past_key_values=cache,
                    use_cache=True,
                )
                logits, cache = out.logits[:, -1], out.past_key_values
                if suppress is not None:
                    logits[:, suppress] = -torch.inf
                nxt = logits.argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, eos), nxt)
            seq = torch.cat([seq, nxt[:, None]], dim=1)
            done |= nxt == eos
            if bool(done.all()):
                break
            step_ids = nxt[:, None]
        texts = []
        for row in seq[:, prompt.numel() :].tolist():
            if eos in row:
                row = row[: row.index(eos)]
            texts.append(normalize(tok.decode(row, skip_special_tokens=True)))
        return texts

    def candidates(self) -> torch.Tensor | None:
        """With ``allowed_ids``: the ids that may be chosen (ascending), else None."""
        if "allowed_ids" not in self.meta:
            return None
        if not hasattr(self, "_keep"):
            banned = torch.zeros(int(self.model.config.vocab_size), dtype=torch.bool)
            suppress = self.suppressed()
            if suppress is not None:
                banned[suppress.cpu()] = True
            self._keep = (~banned).nonzero()[:, 0].to(self.device)
        return self._keep

    def suppressed(self) -> torch.Tensor | None:
        """Ids never chosen: the special tokens, and with ``allowed_ids`` (an output script,
        ``foundry.train.script_vocab``) every token outside it, as in training."""
        if not hasattr(self, "_suppress"):
            vocab = int(self.model.config.vocab_size)
            banned = torch.zeros(vocab, dtype=torch.bool)
            banned[torch.tensor(self.meta.get("suppress_ids", []), dtype=torch.long)] = True
            if "allowed_ids" in self.meta:
                allowed = torch.zeros(vocab, dtype=torch.bool)
                allowed[torch.tensor(self.meta["allowed_ids"], dtype=torch.long)] = True
                banned |= ~allowed
            ids = banned.nonzero()[:, 0].to(self.device)
            self._suppress = ids if ids.numel() else None
        return self._suppress


class CtcTranscriber(Predictor):
    """Argmax per frame, collapse repeats, drop blanks (the tokenizer's pad)."""

    def _batch(self, batch: list[dict]) -> list[str]:
        fe, tok = self.processor["feature_extractor"], self.processor["tokenizer"]
        enc = audio_batch(fe, [wave_of(x, self.engine) for x in batch], self.device)
        logits = self.model(input_values=enc.input_values, attention_mask=enc.attention_mask).logits
        ids = logits.argmax(-1)
        return [normalize(t) for t in tok.batch_decode(ids)]


PREDICTORS = {
    "text_classification": TextClassifier,
    "audio_classification": AudioClassifier,
    "whisper": WhisperTranscriber,
    "ctc": CtcTranscriber,
}


def read_meta(adapter_dir: str | Path) -> dict[str, Any]:
    path = Path(adapter_dir) / FOUNDRY_META
    if not path.exists():
        raise TrainError(
            f"{adapter_dir} is not a foundry adapter folder ({FOUNDRY_META} missing); "
            "point at models/<engine>/adapter built by the workflow"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def resolve_base(adapter_dir: str | Path, meta: dict[str, Any], base_dir: str | None) -> Path:
    """The explicit base_dir, else the recorded one (relative to cwd, else to the project root)."""
    if base_dir:
        return Path(base_dir)
    recorded = Path(meta["base_dir"])
    project = Path(adapter_dir).resolve().parent.parent.parent  # models/<engine>/adapter
    for cand in (recorded, project / recorded):
        if (cand / FOUNDRY_META).exists() or (cand / "config.json").exists():
            return cand
    raise TrainError(
        f"adapter {adapter_dir} was trained on base {recorded}, which is not there; pass "
        "base_dir= (the saved models/<engine>/base folder)"
    )


def load_base(task: str, base: str | Path, meta: dict[str, Any]) -> Any:
    """The saved base model with the head the task needs (heads are new; the adapter fills them)."""
    import transformers as tf

    labels = meta.get("labels") or []
    kw: dict[str, Any] = {"dtype": torch.float32}  # packaged bases are stored as float16
    if labels:
        kw |= {
            "num_labels": len(labels),
            "id2label": dict(enumerate(labels)),
            "label2id": {lab: i for i, lab in enumerate(labels)},
        }
    factories = {
        "text_classification": tf.AutoModelForSequenceClassification,
        "audio_classification": tf.AutoModelForAudioClassification,
        "masked_lm": tf.AutoModelForMaskedLM,
        "whisper": tf.WhisperForConditionalGeneration,
        "ctc": tf.AutoModelForCTC,
    }
    if task == "ctc":
        kw |= {
            "vocab_size": meta["vocab_size"],
            "pad_token_id": meta["blank_id"],
            "ctc_loss_reduction": "mean",
            "ctc_zero_infinity": True,
        }
    if task in factories:
        return _quiet_load(factories[task], base, kw)
    raise TrainError(f"unknown task '{task}'")


def _quiet_load(factory: Any, base: str | Path, kw: dict[str, Any]) -> Any:
    """from_pretrained without transformers' "newly initialized, consider training" table: a
    task head the base lacks is expected (training fills it, the adapter carries it), so it is
    said once in one line."""
    from transformers.utils import logging as tf_logging

    before, bar = tf_logging.get_verbosity(), tf_logging.is_progress_bar_enabled()
    tf_logging.set_verbosity_error()
    tf_logging.disable_progress_bar()
    try:
        model, info = factory.from_pretrained(base, output_loading_info=True, **kw)
    finally:
        tf_logging.set_verbosity(before)
        if bar:
            tf_logging.enable_progress_bar()
    new = sorted({k.rsplit(".", 1)[0] for k in info.get("missing_keys") or []})
    log.info(
        "base %s loaded as %s%s",
        base,
        type(model).__name__,
        f"; {len(new)} layer(s) not in the base start fresh ({', '.join(new[:4])}"
        f"{', ...' if len(new) > 4 else ''}): training or the adapter fills them"
        if new
        else "",
    )
    return model


def load_processor(task: str, folder: str | Path) -> Any:
    import transformers as tf

    if task in ("text_classification", "masked_lm"):
        return tf.AutoTokenizer.from_pretrained(folder)
    if task == "audio_classification":
        return tf.AutoFeatureExtractor.from_pretrained(folder)
    if task == "whisper":
        return {
            "feature_extractor": tf.WhisperFeatureExtractor.from_pretrained(folder),
            "tokenizer": tf.AutoTokenizer.from_pretrained(folder),
        }
    if task == "ctc":
        return {
            "feature_extractor": tf.AutoFeatureExtractor.from_pretrained(folder),
            "tokenizer": tf.Wav2Vec2CTCTokenizer.from_pretrained(folder),
        }
    raise TrainError(f"unknown task '{task}'")


def load_predictor(engine: str, adapter_dir: str, base_dir: str | None = None) -> Predictor:
    """Saved base (``base_dir`` or the one recorded in the adapter) + PEFT adapter, CPU, eval."""
    from peft import PeftModel

    meta = read_meta(adapter_dir)
    if meta.get("engine") != engine:
        raise TrainError(
            f"{adapter_dir} holds a '{meta.get('engine')}' adapter, not '{engine}'; "
            f"use models/{engine}/adapter"
        )
    task = meta["task"]
    if task not in PREDICTORS:
        raise TrainError(
            f"engine '{engine}' ({task}) is not served: the text engine adapts the encoder for "
            "other engines and has no predictions; use stt, dialect, intent or sentiment"
        )
    seed_everything(int(meta.get("seed", 0)))
    base = resolve_base(adapter_dir, meta, base_dir)
    model = PeftModel.from_pretrained(load_base(task, base, meta), str(adapter_dir))
    model.to("cpu").eval()
    return PREDICTORS[task](engine, model, load_processor(task, adapter_dir), meta)
