"""Rule deploy_engine: gate, shadow and promote-or-rollback for one engine (foundry.deploy)."""

import json
from pathlib import Path

from foundry.deploy import pipeline
from foundry.runner import step
from foundry.settings import Deploy

with step("deploy", snakemake) as params:  # noqa: F821 - injected by Snakemake
    settings = Deploy.from_params(params)
    engine = settings.engine
    inp = snakemake.input  # noqa: F821
    metrics = json.loads(Path(inp.metrics).read_text(encoding="utf-8"))
    pipeline.check_inputs(
        ".", engine, metrics, inp.adapter, inp.base, [inp.test, inp.replay, inp.labels]
    )
    pipeline.deploy_engine(
        ".",
        engine,
        settings,
        inp.adapter,
        inp.test,
        inp.replay,
        metrics=metrics,
        labels=pipeline.labels_of(inp.labels),
        base_dir=inp.base,
        train_predictions=pipeline.read_predictions(inp.predictions),
    )
