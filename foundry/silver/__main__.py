"""Plain entry point of the silver jobs: ``python -m foundry.silver <plan|standardize|merge>``.

The rules call this with ``shell:`` instead of ``script:``, so a shard job's process imports only
what it uses: a ``script:`` job first imports Snakemake and unpickles its job object, a fixed
cost paid once per shard (measured in bench/endtoend.py). Arguments carry exactly what the
``script:`` object carried: the step's ``params.settings`` (canonical JSON), its wildcards and
its log file; errors read the same (foundry.runner).

    python -m foundry.silver standardize --settings '<json>' --log logs/x.log ds=demo shard=00003
"""

from __future__ import annotations

import argparse
import logging
import sys
from types import SimpleNamespace

from foundry.runner import step
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
    ap = argparse.ArgumentParser(prog="python -m foundry.silver")
    ap.add_argument("job", choices=sorted(JOBS))
    ap.add_argument("--settings", required=True, help="the rule's params.settings (JSON)")
    ap.add_argument("--log", default=None, help="the rule's log file")
    ap.add_argument("wildcards", nargs="*", metavar="name=value")
    args = ap.parse_intermixed_args(argv)
    wildcards = dict(w.split("=", 1) for w in args.wildcards)
    job = SimpleNamespace(
        log=[args.log] if args.log else [],
        params=SimpleNamespace(settings=args.settings),
        wildcards=SimpleNamespace(**wildcards),
    )
    with step(args.job, job) as cfg:
        JOBS[args.job](cfg, job.wildcards)
    return 0


if __name__ == "__main__":
    sys.exit(main())
