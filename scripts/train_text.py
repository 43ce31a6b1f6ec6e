"""Rule train_text: LoRA adapter + metrics for the text engine (see foundry.train)."""

from foundry.runner import step
from foundry.train.run import train_engine

with step("train_text", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    train_engine(cfg, "text", threads=snakemake.threads)  # noqa: F821
