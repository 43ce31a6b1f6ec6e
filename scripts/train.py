"""Rule train: LoRA adapter + metrics for one engine (trainer from the engine registry)."""

from foundry.runner import step
from foundry.settings import Train
from foundry.train.run import train_engine

with step("train", snakemake) as params:  # noqa: F821 - injected by Snakemake
    train_engine(Train.from_params(params), threads=snakemake.threads)  # noqa: F821
