"""Rule allocate: one engine's train/dev/test splits (see foundry.gold.splits)."""

import logging

from foundry.gold import splits
from foundry.runner import step
from foundry.settings import Allocate

with step("allocate", snakemake) as params:  # noqa: F821 - injected by Snakemake
    settings = Allocate.from_params(params)
    engine = settings.engine
    stats = splits.allocate(settings)
    logging.getLogger("foundry.allocate").info(
        "%s: train %d, dev %d, test %d items",
        engine,
        stats["train"]["items"],
        stats["dev"]["items"],
        stats["test"]["items"],
    )
