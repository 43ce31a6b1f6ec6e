"""Rule report_card: one engine's gold data card (splits/<engine>/README.md) as HTML."""

from foundry.atomic import write_text
from foundry.report import pages as report
from foundry.runner import step

with step("report_card", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    engine = snakemake.wildcards.engine  # noqa: F821
    text = open(snakemake.input[0], encoding="utf-8").read()  # noqa: F821
    write_text(snakemake.output[0], report.markdown_html(f"Data card: {engine}", text))  # noqa: F821
