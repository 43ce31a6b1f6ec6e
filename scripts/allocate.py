"""Rule allocate: one engine's train/dev/test splits (see foundry.gold.splits)."""

import logging

from foundry.gold import splits
from foundry.runner import step

with step("allocate", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    engine = snakemake.wildcards.engine  # noqa: F821
    stats = splits.allocate(cfg, engine)
    logging.getLogger("foundry.allocate").info(
        "%s: train %d, dev %d, test %d items",
        engine,
        stats["train"]["items"],
        stats["dev"]["items"],
        stats["test"]["items"],
    )
