"""Rule deploy_engine: gate, shadow and promote-or-rollback for one engine (foundry.deploy)."""

import json
from pathlib import Path

from foundry.deploy import pipeline
from foundry.runner import step

with step("deploy", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    engine = snakemake.wildcards.engine  # noqa: F821
    inp = snakemake.input  # noqa: F821
    metrics = json.loads(Path(inp.metrics).read_text(encoding="utf-8"))
    pipeline.check_inputs(
        ".", engine, metrics, inp.adapter, inp.base, [inp.test, inp.replay, inp.labels]
    )
    pipeline.deploy_engine(
        ".",
        engine,
        cfg,
        inp.adapter,
        inp.test,
        inp.replay,
        metrics=metrics,
        labels=pipeline.labels_of(inp.labels),
        base_dir=inp.base,
        train_predictions=pipeline.read_predictions(inp.predictions),
    )
