"""Rule merge_silver: shard parts → manifest.parquet + rejects.parquet, with accounting."""

import logging

from foundry.runner import step
from foundry.silver import shards

with step("merge_silver", snakemake) as settings:  # noqa: F821 - injected by Snakemake
    ds = snakemake.wildcards.ds  # noqa: F821
    counts = shards.merge(ds, settings["datasets"][ds]["shards"])
    logging.getLogger("foundry.merge").info("%s: %s", ds, counts)
