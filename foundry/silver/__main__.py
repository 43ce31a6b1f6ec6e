"""Plain entry point of the silver jobs: ``python -m foundry.silver <job>`` (JOBS below).

No Snakemake import per shard job (foundry.runner.entry_point).

    python -m foundry.silver standardize --settings '<json>' --log logs/x.log ds=demo shard=00003
"""

from __future__ import annotations

import logging
import sys
from types import SimpleNamespace

from foundry.runner import entry_point
from foundry.silver import language, shards


def _plan(cfg: dict, wc: SimpleNamespace) -> None:
    shards.write_plan(shards.Settings.from_params(cfg))


def _standardize(cfg: dict, wc: SimpleNamespace) -> None:
    counts = shards.standardize_shard(shards.Settings.from_params(cfg), int(wc.shard))
    logging.getLogger("foundry.standardize").info("%s shard %s: %s", wc.ds, wc.shard, counts)


def _language_id(cfg: dict, wc: SimpleNamespace) -> None:
    window = cfg["quality"]["language"]["window_seconds"]
    n = language.identify_shard(wc.ds, int(wc.shard), window)
    logging.getLogger("foundry.language_id").info("%s shard %s: %d clips", wc.ds, wc.shard, n)


def _merge(cfg: dict, wc: SimpleNamespace) -> None:
    lang = (cfg.get("quality") or {}).get("language")
    counts = shards.merge(wc.ds, cfg["datasets"][wc.ds]["shards"], lang=lang)
    logging.getLogger("foundry.merge").info("%s: %s", wc.ds, counts)


JOBS = {
    "plan": _plan,
    "standardize": _standardize,
    "language_id": _language_id,
    "merge_silver": _merge,
}


def main(argv: list[str] | None = None) -> int:
    """Run one silver job; exit status 1 with one readable line on a user error."""
    return entry_point("python -m foundry.silver", JOBS, argv)


if __name__ == "__main__":
    sys.exit(main())
