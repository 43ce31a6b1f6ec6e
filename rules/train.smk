# Phase 4: a base model per engine, then one LoRA training rule for every trainable engine (the
# trainer comes from the engine registry). Each job depends only on its own splits/<engine>/ files
# and engines.<engine> config, so one engine retrains alone.


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
    priority: train_priority
    conda:
        TRAIN_ENV
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
        nice=train_nice,
    params:
        settings=lambda wc: steps.encode(steps.base_model(CFG, wc.engine)),
    script:
        "../scripts/base_model.py"


rule train:
    input:
        splits=lambda wc: paths.split_data_outputs(wc.engine),
        base=paths.base_model_dir("{engine}"),
    output:
        adapter=directory(paths.adapter_dir("{engine}")),
        metrics=paths.metrics("{engine}"),
        predictions=paths.test_predictions("{engine}"),
        board=directory(paths.tensorboard_dir("{engine}")),
    log:
        paths.log("train", "{engine}"),
    benchmark:
        paths.benchmark("train", "{engine}")
    wildcard_constraints:
        engine="|".join(paths.TRAIN_ENGINES),
    priority: train_priority
    conda:
        TRAIN_ENV
    threads: lambda wc: train_resource(wc.engine, "threads")
    resources:
        mem_mb=lambda wc: train_resource(wc.engine, "mem_mb"),
        runtime=lambda wc: train_resource(wc.engine, "runtime"),
        gpu=lambda wc: train_resource(wc.engine, "gpu"),
        nice=train_nice,
    params:
        settings=lambda wc: steps.encode(steps.train(CFG, wc.engine)),
    script:
        "../scripts/train.py"
