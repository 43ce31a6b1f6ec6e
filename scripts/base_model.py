"""Rule base_model: one engine's base model (tiny plumbing-check model or pinned Hub snapshot)."""

import logging

from foundry import steps
from foundry.runner import step
from foundry.train.run import build_base_model

with step("base_model", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    engine = snakemake.wildcards.engine  # noqa: F821
    cfg["hub"] = steps.transport(snakemake.config)  # noqa: F821 - how to fetch, not a trigger
    meta = build_base_model(cfg, engine)
    logging.getLogger("foundry.base_model").info(
        "%s: %s base (%s), plumbing_check=%s",
        engine,
        meta["source"],
        meta.get("repo") or meta.get("family"),
        meta["plumbing_check"],
    )
