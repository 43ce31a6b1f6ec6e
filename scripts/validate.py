"""Rule validate: re-check checksums, schemas and audio on disk; fail on any mismatch."""

import logging
import sys

from foundry import validate
from foundry.runner import step

with step("validate", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    problems = validate.validate_all(cfg)
    log = logging.getLogger("foundry.validate")
    for p in problems:
        log.error("%s", p)
    log.info("validate: %d problem(s)", len(problems))
    if problems:
        sys.exit(1)
