"""Rule report_training: one engine's training curves from models/<engine>/metrics.json."""

from foundry.report import pages as report
from foundry.report import plots
from foundry.runner import step

with step("report_training", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    engine = snakemake.wildcards.engine  # noqa: F821
    metrics = report.read_optional(snakemake.input[0]) if snakemake.input else None  # noqa: F821
    if metrics is None:
        fig = plots.message_figure(f"{engine}: training not built yet", snakemake.params.hint)  # noqa: F821
    else:
        t = metrics.get("training", {})
        fig = plots.training_curves(engine, t.get("history", []), int(t.get("best_epoch", -1)))
    plots.save_svg(fig, snakemake.output[0])  # noqa: F821
