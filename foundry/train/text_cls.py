"""intent / sentiment: LoRA on a text encoder + a new classification head, class-weighted loss."""

from __future__ import annotations

from typing import Any

import torch

from foundry.text import normalize
from foundry.train import common
from foundry.train.infer import TextClassifier, load_base, load_processor
from foundry.train.result import Context, Result, classifier_result

LORA_DEFAULTS = {"target_modules": ["query", "value"], "task_type": "SEQ_CLS"}


def train(ctx: Context) -> Result:
    from peft import get_peft_model

    s = ctx.settings
    labels_file = ctx.labels
    labels = labels_file["labels"]
    meta = {"labels": labels}
    tok = load_processor("text_classification", ctx.base_dir)
    max_len = int(s.raw["max_length"])

    def encode(rs: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        return tok(
            [normalize(r["text"]) for r in rs],
            padding=True,
            truncation=True,
            max_length=max_len,
            return_tensors="pt",
        ).to(ctx.device)

    common.seed_everything(s.seed, s.threads)
    model = load_base("text_classification", ctx.base_dir, meta).to(ctx.device)
    untrained = TextClassifier(ctx.engine, model, tok, meta).predict(ctx.test_inputs)
    model = get_peft_model(model, common.lora_config(s, LORA_DEFAULTS))
    weights = torch.tensor(
        [float(labels_file.get("class_weights", {}).get(lab, 1.0)) for lab in labels],
        device=ctx.device,
    )
    index = {lab: i for i, lab in enumerate(labels)}

    def loss_on(rs: list[dict[str, Any]]) -> torch.Tensor:
        y = torch.tensor([index[r["label"]] for r in rs], device=ctx.device)
        with common.autocast(ctx.device):
            logits = model(**encode(rs)).logits
        return torch.nn.functional.cross_entropy(logits.float(), y, weight=weights)

    return classifier_result(ctx, model, tok, meta, untrained, loss_on, TextClassifier)
