"""Rule train: LoRA adapter + metrics for one engine (trainer from the engine registry)."""

from foundry.runner import step
from foundry.train.run import train_engine

with step("train", snakemake) as settings:  # noqa: F821 - injected by Snakemake
    train_engine(settings, snakemake.wildcards.engine, threads=snakemake.threads)  # noqa: F821
