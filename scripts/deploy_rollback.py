"""Rule rollback: restore the previous champion of ``--config engine=<engine>`` from history."""

import logging

from foundry.deploy import registry
from foundry.runner import step

with step("rollback", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    engine = snakemake.params.engine  # noqa: F821
    if not engine:
        raise registry.RegistryError(
            "say which engine to roll back: snakemake rollback --config engine=<engine>, "
            "or run `foundry rollback <engine>`"
        )
    record = registry.rollback(".", engine, "snakemake rollback")
    logging.getLogger("foundry.rollback").info(
        "%s: production is now %s again", engine, record["candidate"]
    )
