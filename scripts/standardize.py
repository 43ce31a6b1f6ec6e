"""Rule standardize: one shard of one dataset to 16 kHz PCM16 WAV (see foundry.silver.shards)."""

import logging

from foundry.runner import step
from foundry.silver import shards

with step("standardize", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    w = snakemake.wildcards  # noqa: F821
    counts = shards.standardize_shard(shards.Settings.from_config(cfg, w.ds), int(w.shard))
    logging.getLogger("foundry.standardize").info("%s shard %s: %s", w.ds, w.shard, counts)
