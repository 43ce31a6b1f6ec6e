"""Rule report_durations: duration histogram of kept items per audio dataset."""

from foundry.report import pages as report
from foundry.report import plots
from foundry.runner import step

with step("report_durations", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    fig = plots.durations(report.durations(cfg), "Kept audio: duration per item")
    plots.save_svg(fig, snakemake.output[0])  # noqa: F821
