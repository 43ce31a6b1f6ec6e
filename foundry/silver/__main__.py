"""Plain entry point of the silver jobs: ``python -m foundry.silver <plan|standardize|merge>``.

No Snakemake import per shard job (foundry.runner.entry_point).

    python -m foundry.silver standardize --settings '<json>' --log logs/x.log ds=demo shard=00003
"""

from __future__ import annotations

import logging
import sys
from types import SimpleNamespace

from foundry.runner import entry_point
from foundry.silver import shards


def _plan(cfg: dict, wc: SimpleNamespace) -> None:
    shards.write_plan(shards.Settings.from_config(cfg, wc.ds))


def _standardize(cfg: dict, wc: SimpleNamespace) -> None:
    counts = shards.standardize_shard(shards.Settings.from_config(cfg, wc.ds), int(wc.shard))
    logging.getLogger("foundry.standardize").info("%s shard %s: %s", wc.ds, wc.shard, counts)


def _merge(cfg: dict, wc: SimpleNamespace) -> None:
    counts = shards.merge(wc.ds, cfg["datasets"][wc.ds]["shards"])
    logging.getLogger("foundry.merge").info("%s: %s", wc.ds, counts)


JOBS = {"plan": _plan, "standardize": _standardize, "merge_silver": _merge}


def main(argv: list[str] | None = None) -> int:
    """Run one silver job; exit status 1 with one readable line on a user error."""
    return entry_point("python -m foundry.silver", JOBS, argv)


if __name__ == "__main__":
    sys.exit(main())
