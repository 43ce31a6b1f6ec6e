"""dialect: LoRA on a speech encoder; the pooled projector and classifier are trained in full.

A pretrained conv feature encoder is frozen; a random one (plumbing-check base) is trained in full
and saved with the adapter (``common.feature_encoder_trained``).
"""

from __future__ import annotations

from typing import Any

import torch

from foundry.engines import SAMPLE_RATE
from foundry.train import common
from foundry.train.data import waveforms
from foundry.train.infer import AudioClassifier, load_base, load_processor
from foundry.train.result import Context, Result, classifier_result

LORA_DEFAULTS = {
    "target_modules": ["q_proj", "v_proj"],
    "modules_to_save": ["classifier", "projector"],
}


def encoder_prefix(encoder: Any, feats: torch.Tensor) -> torch.Tensor:
    """A Whisper encoder up to (not including) its last layer: what a frozen prefix caches."""
    x = torch.nn.functional.gelu(encoder.conv1(feats))
    x = torch.nn.functional.gelu(encoder.conv2(x)).permute(0, 2, 1)
    x = x + encoder.embed_positions.weight[: x.shape[1]]
    for layer in encoder.layers[:-1]:
        x = layer(x, None)
    return x


def _whisper(ctx: Context) -> Result:
    """A pretrained Whisper encoder: the lower layers are frozen and run once per clip; LoRA
    adapts the last layer, the projector and classifier are trained in full."""
    from peft import get_peft_model

    s = ctx.settings
    labels = ctx.labels["labels"]
    meta = {"labels": labels}
    fe = load_processor("audio_classification", ctx.base_dir)
    common.seed_everything(s.seed, s.threads)
    model = load_base("audio_classification", ctx.base_dir, meta).to(ctx.device)
    untrained = AudioClassifier(ctx.engine, model, fe, meta).predict(ctx.test_inputs)
    last = len(model.encoder.layers) - 1
    spec = {**LORA_DEFAULTS, "layers_to_transform": [last], "layers_pattern": "layers"}
    cached: dict[int, torch.Tensor] = {}
    with torch.no_grad():
        for split in ("train", "dev"):
            for chunk in common.chunks(ctx.rows[split], 8):
                f = fe(waveforms(chunk), sampling_rate=SAMPLE_RATE, return_tensors="pt")
                x = encoder_prefix(model.encoder, f.input_features.to(ctx.device))
                cached.update({id(r): x[i] for i, r in enumerate(chunk)})
    model = get_peft_model(model, common.lora_config(s, spec))
    hf = model.get_base_model()
    weights = torch.tensor(
        [float(ctx.labels.get("class_weights", {}).get(lab, 1.0)) for lab in labels],
        device=ctx.device,
    )
    index = {lab: i for i, lab in enumerate(labels)}

    def loss_on(rs: list[dict[str, Any]]) -> torch.Tensor:
        x = torch.stack([cached[id(r)] for r in rs])
        y = torch.tensor([index[r["label"]] for r in rs], device=ctx.device)
        with common.autocast(ctx.device):
            h = hf.encoder.layer_norm(hf.encoder.layers[-1](x, None))
            logits = hf.classifier(hf.projector(h).mean(dim=1))
        return torch.nn.functional.cross_entropy(logits.float(), y, weight=weights)

    return classifier_result(ctx, model, fe, meta, untrained, loss_on, AudioClassifier)


def train(ctx: Context) -> Result:
    from peft import get_peft_model

    if ctx.base_meta.get("family") == "whisper":
        return _whisper(ctx)

    s = ctx.settings
    labels = ctx.labels["labels"]
    meta = {"labels": labels}
    fe = load_processor("audio_classification", ctx.base_dir)
    waves = {
        id(r): w
        for split in ("train", "dev")
        for r, w in zip(ctx.rows[split], waveforms(ctx.rows[split]), strict=True)
    }

    common.seed_everything(s.seed, s.threads)
    model = load_base("audio_classification", ctx.base_dir, meta).to(ctx.device)
    encoder = (
        common.FEATURE_ENCODER if common.feature_encoder_trained(s, ctx.base_meta, model) else ()
    )
    untrained = AudioClassifier(ctx.engine, model, fe, meta).predict(ctx.test_inputs)
    model = get_peft_model(model, common.lora_config(s, LORA_DEFAULTS, encoder))
    weights = torch.tensor(
        [float(ctx.labels.get("class_weights", {}).get(lab, 1.0)) for lab in labels],
        device=ctx.device,
    )
    index = {lab: i for i, lab in enumerate(labels)}

    def loss_on(rs: list[dict[str, Any]]) -> torch.Tensor:
        enc = common.audio_batch(fe, [waves[id(r)] for r in rs], ctx.device)
        y = torch.tensor([index[r["label"]] for r in rs], device=ctx.device)
        with common.autocast(ctx.device):
            logits = model(input_values=enc.input_values, attention_mask=enc.attention_mask).logits
        return torch.nn.functional.cross_entropy(logits.float(), y, weight=weights)

    return classifier_result(ctx, model, fe, meta, untrained, loss_on, AudioClassifier)
