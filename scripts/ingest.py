"""Rule ingest: fetch one dataset into raw/<ds>/ (see foundry.ingest.hub)."""

from foundry import steps
from foundry.ingest import hub
from foundry.runner import step

with step("ingest", snakemake) as settings:  # noqa: F821 - injected by Snakemake
    ds = snakemake.wildcards.ds  # noqa: F821
    hub.ingest(ds, settings["datasets"][ds], steps.transport(snakemake.config))  # noqa: F821
