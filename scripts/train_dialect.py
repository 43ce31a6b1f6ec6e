"""Rule train_dialect: LoRA adapter + metrics for the dialect engine (see foundry.train)."""

from foundry.runner import step
from foundry.train.run import train_engine

with step("train_dialect", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    train_engine(cfg, "dialect", threads=snakemake.threads)  # noqa: F821
