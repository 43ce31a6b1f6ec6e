# Phase 3: per-engine leak-free splits in splits/<engine>/, then one atomic publish as gold/.


rule allocate:
    input:
        engine_silver,
    output:
        paths.split_outputs("{engine}"),
    params:
        settings=engine_settings,
    log:
        paths.log("allocate", "{engine}"),
    benchmark:
        paths.benchmark("allocate", "{engine}")
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        DATA_ENV
    script:
        "../scripts/allocate.py"


rule gold:
    input:
        all_split_outputs(),
    output:
        directory(paths.GOLD),
    log:
        paths.log("gold", "publish"),
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    conda:
        DATA_ENV
    script:
        "../scripts/publish.py"


rule validate:
    input:
        paths.GOLD,
    log:
        paths.log("validate", "all"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    conda:
        DATA_ENV
    script:
        "../scripts/validate.py"
