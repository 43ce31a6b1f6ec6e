"""Plain entry point of the ingest job: ``python -m foundry.ingest ingest``.

No Snakemake import in the job (foundry.runner.entry_point). How to fetch (Hub retries and
timeouts, config ``hub``) arrives in the environment, not as a param: changing a timeout must
not rerun ingest (foundry.steps.transport).

    python -m foundry.ingest ingest --settings '<json>' --log logs/ingest/demo.log ds=demo
"""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace

from foundry import steps
from foundry.ingest import hub
from foundry.runner import entry_point


def _ingest(cfg: dict, wc: SimpleNamespace) -> None:
    transport = steps.decode(os.environ.get(steps.TRANSPORT_ENV) or "{}")
    hub.ingest(wc.ds, cfg["datasets"][wc.ds], transport)


def main(argv: list[str] | None = None) -> int:
    """Run the ingest job of one dataset; exit status 1 with one readable line on a user error."""
    return entry_point("python -m foundry.ingest", {"ingest": _ingest}, argv)


if __name__ == "__main__":
    sys.exit(main())
