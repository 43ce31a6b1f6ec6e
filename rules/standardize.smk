# Phase 2: plan → one job per shard (decode, mono, 16 kHz, checks, WAV tar) → merged manifests.


rule plan:
    input:
        paths.raw_manifest("{ds}"),
    output:
        paths.plan("{ds}"),
    params:
        settings=dataset_settings,
    log:
        paths.log("plan", "{ds}"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        DATA_ENV
    script:
        "../scripts/plan.py"


rule standardize:
    input:
        manifest=paths.raw_manifest("{ds}"),
        plan=paths.plan("{ds}"),
    output:
        tar=paths.shard_tar("{ds}", "{shard}"),
        part=paths.shard_part("{ds}", "{shard}"),
        rejects=paths.shard_rejects("{ds}", "{shard}"),
    params:
        settings=dataset_settings,
    log:
        paths.log("standardize", "{ds}-{shard}"),
    benchmark:
        paths.benchmark("standardize", "{ds}-{shard}")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    conda:
        DATA_ENV
    script:
        "../scripts/standardize.py"


rule merge_silver:
    input:
        unpack(shard_parts),
    output:
        manifest=paths.silver_manifest("{ds}"),
        rejects=paths.silver_rejects("{ds}"),
    log:
        paths.log("merge_silver", "{ds}"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    conda:
        DATA_ENV
    script:
        "../scripts/merge_silver.py"
