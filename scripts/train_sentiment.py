"""Rule train_sentiment: LoRA adapter + metrics for the sentiment engine (see foundry.train)."""

from foundry.runner import step
from foundry.train.run import train_engine

with step("train_sentiment", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    train_engine(cfg, "sentiment", threads=snakemake.threads)  # noqa: F821
