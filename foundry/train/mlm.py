"""text: masked-LM domain adaptation of the text encoder; scored by held-out MLM loss.

Masking is drawn from a seeded generator (15 %, BERT's 80/10/10), the held-out set uses its own
fixed seed so base and adapter are scored on the very same masks, and the pseudo-perplexity masks
each character once (Salazar et al. 2020).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from foundry.text import normalize
from foundry.train import common
from foundry.train.infer import load_base, load_processor
from foundry.train.result import Context, Result

LORA_DEFAULTS = {"target_modules": ["query", "value"]}
EVAL_SEED = 20240611


def mask_tokens(
    ids: torch.Tensor, special: torch.Tensor, tok: Any, gen: torch.Generator, prob: float
) -> tuple[torch.Tensor, torch.Tensor]:
    labels = ids.clone()
    chosen = (torch.rand(ids.shape, generator=gen) < prob) & ~special
    labels[~chosen] = -100
    ids = ids.clone()
    r = torch.rand(ids.shape, generator=gen)
    ids[chosen & (r < 0.8)] = tok.mask_token_id
    rand_ids = torch.randint(len(tok), ids.shape, generator=gen)
    swap = chosen & (r >= 0.8) & (r < 0.9)
    ids[swap] = rand_ids[swap]
    return ids, labels


def train(ctx: Context) -> Result:
    from peft import get_peft_model

    s = ctx.settings
    tok = load_processor("masked_lm", ctx.base_dir)
    task = _MaskedLM(tok, ctx, int(s.raw["max_length"]), float(s.raw["mask_prob"]))
    common.seed_everything(s.seed, s.threads)
    model = load_base("masked_lm", ctx.base_dir, {}).to(ctx.device)
    untrained = task.scores(model)
    model = get_peft_model(model, common.lora_config(s, LORA_DEFAULTS))
    train_rows, dev = ctx.rows["train"], ctx.rows["dev"]
    gen = torch.Generator().manual_seed(s.seed)

    def loss_fn(idx: list[int]) -> torch.Tensor:
        loss, k = task.loss(model, [train_rows[i] for i in idx], gen)
        return loss / max(k, 1)

    def dev_fn() -> dict[str, float]:
        return {"loss": task.heldout(model, dev)["loss"]}

    training = common.fit(model, s, len(train_rows), loss_fn, dev_fn if dev else None, ctx.board)
    adapted = task.scores(model)
    ctx.board.scalars("test", {"mlm_loss": adapted["mlm_loss"]}, training["steps"])
    metrics = {"adapted": adapted, "untrained_base": untrained}
    return Result(model, [tok], {}, [], metrics, training)


class _MaskedLM:
    """Masked-LM loss, held-out loss and pseudo-perplexity of a model on normalized texts."""

    def __init__(self, tok: Any, ctx: Context, max_len: int, prob: float) -> None:
        self.tok, self.ctx, self.max_len, self.prob = tok, ctx, max_len, prob
        self.device = ctx.device

    def encode(self, rs: list[dict[str, Any]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        enc = self.tok(
            [normalize(r["text"]) for r in rs],
            padding=True,
            truncation=True,
            max_length=self.max_len,
            return_tensors="pt",
            return_special_tokens_mask=True,
        )
        special = enc.special_tokens_mask.bool() | (enc.attention_mask == 0)
        return enc.input_ids, enc.attention_mask, special

    def loss(
        self, m: Any, rs: list[dict[str, Any]], gen: torch.Generator
    ) -> tuple[torch.Tensor, int]:
        """Summed cross-entropy over the masked positions, and how many there were."""
        ids, att, special = self.encode(rs)
        ids, labels = mask_tokens(ids, special, self.tok, gen, self.prob)
        with common.autocast(self.device):
            logits = m(input_ids=ids.to(self.device), attention_mask=att.to(self.device)).logits
        return torch.nn.functional.cross_entropy(
            logits.float().view(-1, logits.shape[-1]),
            labels.to(self.device).view(-1),
            ignore_index=-100,
            reduction="sum",
        ), int((labels != -100).sum())

    def heldout(self, m: Any, rs: list[dict[str, Any]]) -> dict[str, float]:
        gen = torch.Generator().manual_seed(EVAL_SEED)
        total, n = 0.0, 0
        for batch in common.chunks(rs, self.ctx.settings.batch_size):
            loss, k = self.loss(m, batch, gen)
            total, n = total + float(loss), n + k
        return {"loss": total / max(n, 1), "masked_tokens": n}

    def pseudo_perplexity(self, m: Any, rs: list[dict[str, Any]]) -> float:
        nll, n = 0.0, 0
        for r in rs[: int(self.ctx.settings.raw["pppl_max_items"])]:
            ids, att, special = self.encode([r])
            pos = (~special[0]).nonzero().flatten()
            if not len(pos):
                continue
            batch = ids.repeat(len(pos), 1)
            batch[torch.arange(len(pos)), pos] = self.tok.mask_token_id
            logits = m(
                input_ids=batch.to(self.device),
                attention_mask=att.repeat(len(pos), 1).to(self.device),
            ).logits.float()
            logp = logits[torch.arange(len(pos)), pos].log_softmax(-1)
            nll -= float(logp[torch.arange(len(pos)), ids[0, pos].to(self.device)].sum())
            n += len(pos)
        return math.exp(nll / max(n, 1))

    def scores(self, m: Any) -> dict[str, Any]:
        test = self.ctx.rows["test"]
        m.eval()
        with torch.no_grad():
            h = self.heldout(m, test)
            return {
                "mlm_loss": round(h["loss"], 6),
                "masked_tokens": h["masked_tokens"],
                "pseudo_perplexity": round(self.pseudo_perplexity(m, test), 6),
                "items": len(test),
            }
