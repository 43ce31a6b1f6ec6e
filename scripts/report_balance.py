"""Rule report_balance: one engine's split sizes by class (classifiers) or by dataset."""

import json

from foundry import paths
from foundry.report import plots
from foundry.runner import step

with step("report_balance", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    engine = snakemake.wildcards.engine  # noqa: F821
    stats = json.loads(open(snakemake.input.stats, encoding="utf-8").read())  # noqa: F821
    labels = json.loads(open(snakemake.input.labels, encoding="utf-8").read())  # noqa: F821
    by = "class" if labels.get("labels") else "dataset"
    plots.save_svg(plots.balance(engine, stats, by, paths.SPLITS), snakemake.output[0])  # noqa: F821
