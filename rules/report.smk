# Reports (issue 8): one rule per table/figure under reports/, each marked for the Snakemake HTML
# report. Build then render:
#   snakemake --cores 8 && snakemake --report report.html   (rule all includes report_all's files)
# config report.sections (data, training, deploy; default all) picks what the report depends on:
# a section left out renders a "not built yet" placeholder instead of pulling training/deploy in.
from foundry.report import pages as foundry_report  # noqa: E402

REPORT_ENV = "../envs/report.yaml"
try:
    REPORT_SECTIONS = foundry_report.sections(CFG)
except foundry_report.ReportError as exc:
    raise WorkflowError(str(exc)) from None
REPORT_HINT = (
    "run `snakemake --cores 2 report_all` with config report.sections including "
    "'training' and 'deploy' (the default), then `snakemake --report report.html report_all`"
)
REPORT_AUDIO_DATASETS = [d for d in VIEW.datasets if VIEW.is_audio(d)]
REPORT_DEPLOY_ENGINES = [e for e in trained_engines() if e in paths.DEPLOY_ENGINES]
# What the model/deploy figures depend on: nothing when their section is left out (placeholder),
# and deploy decisions only when the deploy rules are part of this workflow.
REPORT_TRAINED = trained_engines() if "training" in REPORT_SECTIONS else []
REPORT_DEPLOYED = (
    REPORT_DEPLOY_ENGINES
    if "deploy" in REPORT_SECTIONS and hasattr(rules, "deploy_engine")
    else []
)


localrules:
    report_all,


rule report_all:
    input:
        foundry_report.outputs(VIEW.engines, trained_engines()),


rule report_datasets:
    input:
        manifests=[paths.raw_manifest(d) for d in VIEW.datasets],
        silver=[paths.silver_manifest(d) for d in VIEW.datasets],
        rejects=[paths.silver_rejects(d) for d in VIEW.datasets],
    output:
        report(
            foundry_report.DATASETS_TABLE,
            caption="../report/datasets.rst",
            category="1. Data",
            subcategory="Datasets",
        ),
    log:
        paths.log("report", "datasets"),
    conda:
        REPORT_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=lambda wc: steps.encode(steps.report_datasets(CFG)),
    script:
        "../scripts/report_datasets.py"


rule report_durations:
    input:
        [paths.silver_manifest(d) for d in REPORT_AUDIO_DATASETS],
    output:
        report(
            foundry_report.DURATIONS_PLOT,
            caption="../report/durations.rst",
            category="1. Data",
            subcategory="Durations",
        ),
    log:
        paths.log("report", "durations"),
    conda:
        REPORT_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=lambda wc: steps.encode(steps.report_datasets(CFG)),
    script:
        "../scripts/report_durations.py"


rule report_rejects:
    input:
        [paths.silver_rejects(d) for d in VIEW.datasets],
    output:
        report(
            foundry_report.REJECTS_TABLE,
            caption="../report/rejects.rst",
            category="1. Data",
            subcategory="Rejects",
        ),
    log:
        paths.log("report", "rejects"),
    conda:
        REPORT_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=lambda wc: steps.encode(steps.report_datasets(CFG)),
        per_reason=lambda wc: CFG["report"]["rejects_per_reason"],
    script:
        "../scripts/report_rejects.py"


rule report_balance:
    input:
        stats=paths.split_stats("{engine}"),
        labels=paths.split_labels("{engine}"),
    output:
        report(
            foundry_report.balance_plot("{engine}"),
            caption="../report/balance.rst",
            category="2. Engines",
            subcategory="{engine}",
            labels={"engine": "{engine}", "figure": "split balance"},
        ),
    log:
        paths.log("report", "balance-{engine}"),
    conda:
        REPORT_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/report_balance.py"


rule report_card:
    input:
        paths.split_card("{engine}"),
    output:
        report(
            foundry_report.card_html("{engine}"),
            caption="../report/card.rst",
            category="2. Engines",
            subcategory="{engine}",
            labels={"engine": "{engine}", "figure": "data card"},
        ),
    log:
        paths.log("report", "card-{engine}"),
    conda:
        REPORT_ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    script:
        "../scripts/report_card.py"


rule report_training:
    input:
        lambda w: [paths.metrics(w.engine)] if w.engine in REPORT_TRAINED else [],
    output:
        report(
            foundry_report.training_plot("{engine}"),
            caption="../report/training.rst",
            category="3. Models",
            subcategory="Training curves",
            labels={"engine": "{engine}", "figure": "training curves"},
        ),
    log:
        paths.log("report", "training-{engine}"),
    conda:
        REPORT_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        hint=REPORT_HINT,
    script:
        "../scripts/report_training.py"


rule report_metrics:
    input:
        metrics=[paths.metrics(e) for e in REPORT_TRAINED],
        decisions=[local(paths.deploy_decision(e)) for e in REPORT_DEPLOYED],
    output:
        report(
            foundry_report.METRICS_TABLE,
            caption="../report/metrics.rst",
            category="3. Models",
            subcategory="Metrics",
        ),
    log:
        paths.log("report", "metrics"),
    conda:
        REPORT_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        engines=trained_engines(),
        kind="table",
        hint=REPORT_HINT,
    script:
        "../scripts/report_metrics.py"


rule report_comparison:
    input:
        metrics=[paths.metrics(e) for e in REPORT_TRAINED],
        decisions=[local(paths.deploy_decision(e)) for e in REPORT_DEPLOYED],
    output:
        report(
            foundry_report.COMPARISON_PLOT,
            caption="../report/comparison.rst",
            category="3. Models",
            subcategory="Metrics",
        ),
    log:
        paths.log("report", "comparison"),
    conda:
        REPORT_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        engines=trained_engines(),
        kind="plot",
        hint=REPORT_HINT,
    script:
        "../scripts/report_metrics.py"


rule report_deploy:
    input:
        [local(paths.deploy_decision(e)) for e in REPORT_DEPLOYED],
    output:
        report(
            foundry_report.DEPLOY_TABLE,
            caption="../report/deploy.rst",
            category="4. Deployment",
            subcategory="Decisions",
        ),
    log:
        paths.log("report", "deploy"),
    conda:
        REPORT_ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        engines=REPORT_DEPLOY_ENGINES,
        hint=REPORT_HINT,
    script:
        "../scripts/report_deploy.py"
