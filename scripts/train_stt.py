"""Rule train_stt: LoRA adapter + metrics for the stt engine (see foundry.train)."""

from foundry.runner import step
from foundry.train.run import train_engine

with step("train_stt", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    train_engine(cfg, "stt", threads=snakemake.threads)  # noqa: F821
