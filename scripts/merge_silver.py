"""Rule merge_silver: shard parts → manifest.parquet + rejects.parquet, with accounting."""

import logging

from foundry import shards
from foundry.config import View
from foundry.runner import step

with step("merge_silver", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    ds = snakemake.wildcards.ds  # noqa: F821
    counts = shards.merge(ds, View(cfg).shards(ds))
    logging.getLogger("foundry.merge").info("%s: %s", ds, counts)
