"""Rules report_metrics / report_comparison: test metrics, candidate against champion."""

from foundry import paths
from foundry.atomic import write_text
from foundry.report import pages as report
from foundry.report import plots
from foundry.runner import step

with step("report_metrics", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    engines = list(snakemake.params.engines)  # noqa: F821
    # Only what the rule depends on is shown. With object storage an input is named by
    # Snakemake's local copy, .snakemake/storage/<provider>/<bucket>/<prefix>/<project path>.
    inputs = [str(f) for f in snakemake.input]  # noqa: F821

    def declared(path: str) -> bool:
        return any(f == path or f.endswith("/" + path) for f in inputs)

    metrics = {
        e: report.read_optional(paths.metrics(e)) if declared(paths.metrics(e)) else None
        for e in engines
    }
    deploys = {
        e: report.deploy_state(e) if declared(paths.deploy_decision(e)) else None for e in engines
    }
    if snakemake.params.kind == "plot":  # noqa: F821
        rows = report.comparison_rows(engines, metrics, deploys)
        if any(r[s] is not None for r in rows for s in report.SERIES):
            fig = plots.comparison(rows, report.SERIES)
        else:
            fig = plots.message_figure("Model metrics: not built yet", snakemake.params.hint)  # noqa: F821
        plots.save_svg(fig, snakemake.output[0])  # noqa: F821
    else:
        html = report.metrics_html(engines, metrics, deploys, snakemake.params.hint)  # noqa: F821
        write_text(snakemake.output[0], html)  # noqa: F821
