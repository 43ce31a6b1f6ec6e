"""Rule report_datasets: per-dataset table (items, hours, rejects by reason, revision)."""

from foundry.atomic import write_text
from foundry.report import pages as report
from foundry.runner import step

with step("report_datasets", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    rows = report.dataset_rows(cfg)
    write_text(snakemake.output[0], report.datasets_html(rows))  # noqa: F821
