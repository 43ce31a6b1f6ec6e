"""Rule report_deploy: the latest deployment decision of every deployed engine."""

from foundry import paths
from foundry.atomic import write_text
from foundry.report import pages as report
from foundry.runner import step

with step("report_deploy", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    engines = list(snakemake.params.engines)  # noqa: F821
    declared = set(snakemake.input)  # noqa: F821 - only what the rule depends on is shown
    deploys = {
        e: report.deploy_state(e) if paths.deploy_decision(e) in declared else None for e in engines
    }
    html = report.deploy_html(engines, deploys, snakemake.params.hint)  # noqa: F821
    write_text(snakemake.output[0], html)  # noqa: F821
