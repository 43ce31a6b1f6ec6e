# Phase 3: per-engine leak-free splits in splits/<engine>/, then one atomic publish as gold/.


rule allocate:
    input:
        engine_silver,
    output:
        paths.split_data_outputs("{engine}"),
    log:
        paths.log("allocate", "{engine}"),
    benchmark:
        paths.benchmark("allocate", "{engine}")
    conda:
        DATA_ENV
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        settings=lambda wc: steps.encode(steps.allocate(CFG, wc.engine)),
    script:
        "../scripts/allocate.py"


rule card:
    input:
        stats=paths.split_stats("{engine}"),
    output:
        paths.split_card("{engine}"),
    log:
        paths.log("card", "{engine}"),
    conda:
        DATA_ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        settings=lambda wc: steps.encode(steps.card(CFG, wc.engine)),
    script:
        "../scripts/card.py"


rule gold:
    input:
        all_split_outputs(),
    output:
        directory(paths.GOLD),
    log:
        paths.log("gold", "publish"),
    conda:
        DATA_ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        settings=lambda wc: steps.encode(steps.publish(CFG)),
    script:
        "../scripts/publish.py"


# Checking never builds: no input, so `snakemake validate` runs this one job and nothing upstream
# (a damaged file must be reported as it is, not rebuilt from or overwritten first). No output
# either, so it always runs; it writes paths.validation_report() and fails on any problem.
rule validate:
    log:
        paths.log("validate", "all"),
    conda:
        DATA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    script:
        "../scripts/validate.py"
