"""Rule ingest: fetch one dataset into raw/<ds>/ (see foundry.hub)."""

from foundry import hub
from foundry.runner import step

with step("ingest", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    ds = snakemake.wildcards.ds  # noqa: F821
    revision = snakemake.params.source.get("revision")  # noqa: F821
    hub.ingest(ds, cfg["datasets"][ds], cfg["hub"], revision=revision)
