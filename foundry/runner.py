"""Glue for the thin scripts/ entry points that Snakemake rules call.

Each step logs to the rule's log file, and a failure is printed as one readable line
(``ERROR [step] message``) instead of a traceback wall, then exits non-zero so Snakemake marks the
job failed and removes its (atomic, hence absent) outputs.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import resource
import sys
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

from foundry import config as config_mod
from foundry.errors import UserError
from foundry.steps import decode


def setup_logging(log_path: str | None = None, level: int = logging.INFO) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        handlers.append(logging.FileHandler(log_path, mode="w", encoding="utf-8"))
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", handlers=handlers, force=True
    )


def process_cost() -> str:
    """CPU seconds of this job's process so far, imports included (bench/endtoend.py reads it)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    return f"process cpu_s={cpu:.3f} peak_rss_mb={own.ru_maxrss / 1024:.1f}"


def yield_cpu(resources: Any) -> int:
    """Lower this job's CPU priority by its ``nice`` resource (rules/common.smk train_nice), so a
    side job gives way to the job that bounds the build's wall time; the niceness now."""
    return os.nice(max(0, int(getattr(resources, "nice", 0) or 0)))


@contextlib.contextmanager
def step(name: str, smk: Any) -> Iterator[dict[str, Any]]:
    """Run one workflow step: its settings in, readable error out.

    A step with ``params.settings`` (foundry.steps) gets exactly those; a step without (validate,
    rollback) gets the validated config.
    """
    log_path = smk.log[0] if smk.log else None
    setup_logging(log_path)
    yield_cpu(getattr(smk, "resources", None))
    logger = logging.getLogger(f"foundry.{name}")
    try:
        settings = getattr(smk.params, "settings", None)
        yield decode(settings) if isinstance(settings, str) else config_mod.validate(smk.config)
        logger.info("done: %s", process_cost())
    except Exception as exc:
        if isinstance(exc, UserError):
            logger.error("ERROR [%s] %s", name, exc)
        else:  # a bug or an unforeseen fault: keep the traceback in the job's log
            logger.exception("ERROR [%s] unexpected %s: %s", name, type(exc).__name__, exc)
        sys.exit(1)


Job = Callable[[dict[str, Any], SimpleNamespace], None]


def entry_point(prog: str, jobs: dict[str, Job], argv: list[str] | None = None) -> int:
    """Run one job of a plain entry point (``python -m foundry.<phase> <job> ...``).

    Rules call these with ``shell:`` instead of ``script:``, so a job's process imports only what
    it uses (a ``script:`` job first imports Snakemake and unpickles its job object, a fixed cost
    per job measured in bench/endtoend.py). The arguments carry what the ``script:`` object
    carried: the step's ``params.settings`` (canonical JSON), its wildcards and its log file;
    errors read the same (``step``).

        python -m foundry.silver standardize --settings '<json>' --log logs/x.log ds=demo shard=3
    """
    ap = argparse.ArgumentParser(prog=prog)
    ap.add_argument("job", choices=sorted(jobs))
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
        jobs[args.job](cfg, job.wildcards)
    return 0
