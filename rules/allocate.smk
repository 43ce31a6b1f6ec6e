# Phase 3: per-engine leak-free splits in splits/<engine>/, then one atomic publish as gold/.


rule allocate:
    input:
        engine_silver,
    output:
        paths.split_outputs("{engine}"),
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
        settings=engine_settings,
    script:
        "../scripts/allocate.py"


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
    script:
        "../scripts/publish.py"


rule validate:
    input:
        paths.GOLD,
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
