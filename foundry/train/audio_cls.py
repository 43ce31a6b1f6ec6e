"""dialect: LoRA on a speech encoder; the pooled projector and classifier are trained in full.

A pretrained conv feature encoder is frozen; a random one (plumbing-check base) is trained in full
and saved with the adapter (``common.feature_encoder_trained``).
"""

from __future__ import annotations

from typing import Any

import torch

from foundry.train import common
from foundry.train.data import waveforms
from foundry.train.infer import AudioClassifier, load_base, load_processor
from foundry.train.result import Context, Result, classifier_result

LORA_DEFAULTS = {
    "target_modules": ["q_proj", "v_proj"],
    "modules_to_save": ["classifier", "projector"],
}


def train(ctx: Context) -> Result:
    from peft import get_peft_model

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
