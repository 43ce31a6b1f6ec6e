# Phase 1: pinned download (or local copy) → raw/<ds>/files + manifest.json (written last).


rule ingest:
    input:
        ingest_inputs,
    output:
        paths.raw_manifest("{ds}"),
    log:
        paths.log("ingest", "{ds}"),
    retries: 2
    conda:
        DATA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=120,
    params:
        source=ingest_source,
    script:
        "../scripts/ingest.py"
