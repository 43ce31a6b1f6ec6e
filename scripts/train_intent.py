"""Rule train_intent: LoRA adapter + metrics for the intent engine (see foundry.train)."""

from foundry.runner import step
from foundry.train.run import train_engine

with step("train_intent", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    train_engine(cfg, "intent", threads=snakemake.threads)  # noqa: F821
