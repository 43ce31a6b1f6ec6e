"""Rule validate: re-check raw/silver/gold on disk (reads only; no inputs, so nothing is rebuilt).

Writes reports/validate.json and fails, naming each damaged file and item, on any problem.
"""

import logging
import sys

from foundry import paths, validate
from foundry.runner import step

with step("validate", snakemake) as cfg:  # noqa: F821 - injected by Snakemake
    problems = validate.validate_all(cfg)
    log = logging.getLogger("foundry.validate")
    for p in problems:
        log.error("%s", validate.describe(p))
    log.info("validate: %d problem(s); report: %s", len(problems), paths.validation_report())
    if problems:
        sys.exit(1)
