"""Rule plan: assign items to shards and mark duplicate audio (see foundry.silver.shards)."""

from foundry.runner import step
from foundry.silver import shards

with step("plan", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    shards.write_plan(shards.Settings.from_config(cfg, snakemake.wildcards.ds))  # noqa: F821
