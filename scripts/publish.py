"""Rule gold: publish splits/<engine>/ as gold/ in one atomic swap."""

from foundry.gold import publish
from foundry.runner import step

with step("gold", snakemake) as settings:  # noqa: F821 - injected by Snakemake
    publish.publish(settings)
