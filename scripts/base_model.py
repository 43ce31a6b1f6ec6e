"""Rule base_model: one engine's base model (tiny plumbing-check model or pinned Hub snapshot)."""

import logging

from foundry.runner import step
from foundry.settings import BaseModel
from foundry.train.run import build_base_model

with step("base_model", snakemake) as params:  # noqa: F821 - injected by Snakemake
    settings = BaseModel.from_params(params)
    engine = settings.engine
    # how to fetch (config hub:, over the schema defaults in hub.transport), not a rerun trigger
    meta = build_base_model(settings, hub_cfg=snakemake.config.get("hub"))  # noqa: F821
    logging.getLogger("foundry.base_model").info(
        "%s: %s base (%s), plumbing_check=%s",
        engine,
        meta["source"],
        meta.get("repo") or meta.get("family"),
        meta["plumbing_check"],
    )
