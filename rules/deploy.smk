# Phase 5: per-engine safe deployment into deploy/<engine>/ (foundry.deploy, docs/deploy.md).
# Registry files (production.json, history.jsonl, candidates/) are state shared across runs, so
# only the per-engine decision.json is a declared output; every write is atomic.
from foundry.deploy import workflow as deploy_wf  # noqa: E402


localrules:
    deploy,
    rollback,


# With object storage the registry stays outside the bucket (docs/s3.md), and so does the
# decision that summarizes it: a local() file (without a shared file system Snakemake runs the
# job on the main machine for that).
rule deploy_engine:
    input:
        unpack(lambda wc: deploy_wf.inputs(CFG, wc.engine)),
    output:
        local(paths.deploy_decision("{engine}")),
    log:
        paths.log("deploy", "{engine}"),
    benchmark:
        paths.benchmark("deploy", "{engine}")
    wildcard_constraints:
        engine="|".join(paths.DEPLOY_ENGINES),
    conda:
        TRAIN_ENV
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        settings=lambda wc: steps.encode(steps.deploy(CFG, wc.engine)),
    script:
        "../scripts/deploy_engine.py"


rule deploy:
    input:
        [local(f) for f in deploy_wf.decisions(VIEW)],


rule rollback:
    log:
        paths.log("rollback", str(config.get("engine"))),
    conda:
        TRAIN_ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        engine=lambda wc: config.get("engine"),
    script:
        "../scripts/deploy_rollback.py"


# `snakemake rollback_<engine>`: the same without --config (works whatever the config schema).
for _engine in paths.DEPLOY_ENGINES:

    rule:
        name:
            f"rollback_{_engine}"
        log:
            paths.log("rollback", _engine),
        localrule: True
        conda:
            TRAIN_ENV
        threads: 1
        resources:
            mem_mb=500,
            runtime=10,
        params:
            engine=_engine,
        script:
            "../scripts/deploy_rollback.py"
