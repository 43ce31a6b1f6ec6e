# Phase 1: pinned download (or local link) → raw/<ds>/files + manifest.json (written last).
# Transient Hub faults are retried inside the job (hub.max_retries, backoff); no rule-level
# retries, so a permanent error (401/403/404) fails at once instead of being repeated.
# A plain entry point (python -m foundry.ingest), not script:, so the job does not import Snakemake.


rule ingest:
    input:
        ingest_inputs,
    output:
        manifest=paths.raw_manifest("{ds}"),
        files=directory(paths.raw_files("{ds}")),
    log:
        paths.log("ingest", "{ds}"),
    conda:
        DATA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=120,
    params:
        settings=ingest_settings,
    shell:
        "python -m foundry.ingest ingest --settings {params.settings:q} --log {log:q} ds={wildcards.ds}"
