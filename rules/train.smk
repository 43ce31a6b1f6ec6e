# Phase 4: a base model per engine, then one LoRA training rule per engine. Each depends only on
# its own splits/<engine>/ files and engines.<engine> config, so one engine retrains alone.


rule models:
    input:
        all_model_outputs(),


rule base_model:
    input:
        base_inputs,
    output:
        directory(paths.base_model_dir("{engine}")),
    log:
        paths.log("base_model", "{engine}"),
    wildcard_constraints:
        engine="|".join(paths.TRAIN_ENGINES),
    conda:
        TRAIN_ENV
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        settings=base_settings,
    script:
        "../scripts/base_model.py"


rule train_stt:
    input:
        splits=paths.split_outputs("stt"),
        base=paths.base_model_dir("stt"),
    output:
        adapter=directory(paths.adapter_dir("stt")),
        metrics=paths.metrics("stt"),
        predictions=paths.test_predictions("stt"),
    log:
        paths.log("train", "stt"),
    benchmark:
        paths.benchmark("train", "stt")
    conda:
        TRAIN_ENV
    threads: train_resource("stt", "threads", 2)
    resources:
        mem_mb=train_resource("stt", "mem_mb", 4000),
        runtime=train_resource("stt", "runtime", 60),
        gpu=train_resource("stt", "gpu", 0),
    params:
        settings=train_settings("stt"),
    script:
        "../scripts/train_stt.py"


rule train_dialect:
    input:
        splits=paths.split_outputs("dialect"),
        base=paths.base_model_dir("dialect"),
    output:
        adapter=directory(paths.adapter_dir("dialect")),
        metrics=paths.metrics("dialect"),
        predictions=paths.test_predictions("dialect"),
    log:
        paths.log("train", "dialect"),
    benchmark:
        paths.benchmark("train", "dialect")
    conda:
        TRAIN_ENV
    threads: train_resource("dialect", "threads", 2)
    resources:
        mem_mb=train_resource("dialect", "mem_mb", 4000),
        runtime=train_resource("dialect", "runtime", 60),
        gpu=train_resource("dialect", "gpu", 0),
    params:
        settings=train_settings("dialect"),
    script:
        "../scripts/train_dialect.py"


rule train_intent:
    input:
        splits=paths.split_outputs("intent"),
        base=paths.base_model_dir("intent"),
    output:
        adapter=directory(paths.adapter_dir("intent")),
        metrics=paths.metrics("intent"),
        predictions=paths.test_predictions("intent"),
    log:
        paths.log("train", "intent"),
    benchmark:
        paths.benchmark("train", "intent")
    conda:
        TRAIN_ENV
    threads: train_resource("intent", "threads", 2)
    resources:
        mem_mb=train_resource("intent", "mem_mb", 4000),
        runtime=train_resource("intent", "runtime", 60),
        gpu=train_resource("intent", "gpu", 0),
    params:
        settings=train_settings("intent"),
    script:
        "../scripts/train_intent.py"


rule train_text:
    input:
        splits=paths.split_outputs("text"),
        base=paths.base_model_dir("text"),
    output:
        adapter=directory(paths.adapter_dir("text")),
        metrics=paths.metrics("text"),
        predictions=paths.test_predictions("text"),
    log:
        paths.log("train", "text"),
    benchmark:
        paths.benchmark("train", "text")
    conda:
        TRAIN_ENV
    threads: train_resource("text", "threads", 2)
    resources:
        mem_mb=train_resource("text", "mem_mb", 4000),
        runtime=train_resource("text", "runtime", 60),
        gpu=train_resource("text", "gpu", 0),
    params:
        settings=train_settings("text"),
    script:
        "../scripts/train_text.py"


rule train_sentiment:
    input:
        splits=paths.split_outputs("sentiment"),
        base=paths.base_model_dir("sentiment"),
    output:
        adapter=directory(paths.adapter_dir("sentiment")),
        metrics=paths.metrics("sentiment"),
        predictions=paths.test_predictions("sentiment"),
    log:
        paths.log("train", "sentiment"),
    benchmark:
        paths.benchmark("train", "sentiment")
    conda:
        TRAIN_ENV
    threads: train_resource("sentiment", "threads", 2)
    resources:
        mem_mb=train_resource("sentiment", "mem_mb", 4000),
        runtime=train_resource("sentiment", "runtime", 60),
        gpu=train_resource("sentiment", "gpu", 0),
    params:
        settings=train_settings("sentiment"),
    script:
        "../scripts/train_sentiment.py"
