# Phase 2: plan → one job per shard (decode, mono, 16 kHz, checks, WAV tar) → merged manifests.
# Plain entry points (python -m foundry.silver), not script:, so no job imports Snakemake.


rule plan:
    input:
        unpack(raw_inputs),
    output:
        paths.plan("{ds}"),
    log:
        paths.log("plan", "{ds}"),
    conda:
        DATA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        settings=lambda wc: steps.encode(steps.standardize(CFG, wc.ds)),
    shell:
        "python -m foundry.silver plan --settings {params.settings:q} --log {log:q} ds={wildcards.ds}"


rule standardize:
    input:
        unpack(raw_inputs),
        plan=paths.plan("{ds}"),
    output:
        tar=paths.shard_tar("{ds}", "{shard}"),
        part=paths.shard_part("{ds}", "{shard}"),
        rejects=paths.shard_rejects("{ds}", "{shard}"),
        hashes=paths.shard_hashes("{ds}", "{shard}"),
    log:
        paths.log("standardize", "{ds}-{shard}"),
    benchmark:
        paths.benchmark("standardize", "{ds}-{shard}")
    conda:
        DATA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        settings=lambda wc: steps.encode(steps.standardize(CFG, wc.ds)),
    shell:
        "python -m foundry.silver standardize --settings {params.settings:q} --log {log:q}"
        " ds={wildcards.ds} shard={wildcards.shard}"


# quality.language: Whisper's language detection on each shard's clips, a job of its own so a
# cluster build places the encoder passes on GPU nodes (the stt training resource) and a
# threshold edit re-merges without re-detecting.
rule language_id:
    input:
        tar=paths.shard_tar("{ds}", "{shard}"),
        part=paths.shard_part("{ds}", "{shard}"),
    output:
        paths.shard_language("{ds}", "{shard}"),
    log:
        paths.log("language_id", "{ds}-{shard}"),
    benchmark:
        paths.benchmark("language_id", "{ds}-{shard}")
    conda:
        DATA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
        gpu=LANGUAGE_ID_GPU,
    params:
        settings=lambda wc: steps.encode(steps.language_id(CFG, wc.ds)),
    shell:
        "python -m foundry.silver language_id --settings {params.settings:q} --log {log:q}"
        " ds={wildcards.ds} shard={wildcards.shard}"


rule merge_silver:
    input:
        unpack(shard_parts),
    output:
        manifest=paths.silver_manifest("{ds}"),
        rejects=paths.silver_rejects("{ds}"),
    log:
        paths.log("merge_silver", "{ds}"),
    conda:
        DATA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        settings=lambda wc: steps.encode(steps.merge(CFG, wc.ds)),
    shell:
        "python -m foundry.silver merge_silver --settings {params.settings:q} --log {log:q} ds={wildcards.ds}"
