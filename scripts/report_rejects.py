"""Rule report_rejects: a deterministic sample of rejected items with their reasons."""

from foundry.atomic import write_text
from foundry.report import pages as report
from foundry.runner import step

with step("report_rejects", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    n = int(snakemake.params.per_reason)  # noqa: F821
    sample = report.reject_sample(cfg, per_reason=n)
    write_text(snakemake.output[0], report.rejects_html(sample, n))  # noqa: F821
