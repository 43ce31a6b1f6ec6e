"""Rule gold: publish splits/<engine>/ as gold/ in one atomic swap."""

from foundry import publish
from foundry.config import View
from foundry.runner import step

with step("gold", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    publish.publish(View(cfg).engines)
