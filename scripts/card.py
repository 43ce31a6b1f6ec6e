"""Rule card: one engine's data card (sources, licences) from its split statistics."""

import json

from foundry.atomic import write_text
from foundry.gold import splits
from foundry.runner import step

with step("card", snakemake) as settings:  # noqa: F821 - injected by Snakemake
    engine = snakemake.wildcards.engine  # noqa: F821
    with open(snakemake.input.stats, encoding="utf-8") as fh:  # noqa: F821
        stats = json.load(fh)
    write_text(snakemake.output[0], splits.data_card(settings, engine, stats))  # noqa: F821
