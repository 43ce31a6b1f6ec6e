# Malayalam Data Foundry: raw → silver → gold (→ models → deploy) for a Malayalam IVR.
# Rules only declare files; the logic lives in the importable `foundry` package.
from snakemake.utils import min_version

min_version("9.0")


# The embedded demo is the default config. `--configfile X` runs exactly X: Snakemake would
# otherwise merge X into the demo (the demo's datasets would join a production run).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/ingest.smk"
include: "rules/standardize.smk"
include: "rules/allocate.smk"
include: "rules/train.smk"
include: "rules/deploy.smk"
include: "rules/report.smk"


# A killed job leaves only `.tmp-*` names (foundry.atomic); the next run removes those whose
# writer is dead and says so (`foundry validate` lists any that are left).
onstart:
    for p in atomic.sweep(".", paths.OUTPUT_FOLDERS):
        logger.info(f"removed {p}: temp debris of an earlier killed run")


localrules:
    all,
    gold,
    card,
    validate,
    ingest,
    merge_silver,
    base_model,
    models,


rule all:
    default_target: True
    input:
        paths.GOLD,
        all_model_outputs(),
        [local(f) for f in deploy_wf.decisions(VIEW)],
        foundry_report.outputs(VIEW.engines, trained_engines()),
