"""Run the real Snakemake workflow in a throwaway copy of the project (shared by workflow tests)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = (
    "Snakefile",
    "rules",
    "scripts",
    "config",
    "envs",
    "profiles",
    "foundry",
    "report",
    "demo",
)


def copy_project(dest: Path, with_demo: bool = True) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        if name == "demo" and not with_demo:
            continue
        src = ROOT / name
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dest / name)
    return dest


def snakemake(
    cwd: Path, *args: str, check: bool = True, env: dict[str, str] | None = None, timeout=1200
) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )
    if check and run.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
        )
    return run


def planned_jobs(cwd: Path, *targets: str) -> Counter:
    """Rule -> number of jobs a dry run would execute (empty when nothing to do)."""
    run = snakemake(cwd, "-n", "--cores", "1", *targets)
    return job_counts(run.stdout + run.stderr)


def job_counts(output: str) -> Counter:
    """Rule -> jobs from the 'Job stats' table of Snakemake's output (empty: nothing to do)."""
    if "Nothing to be done" in output:
        return Counter()
    m = re.search(r"Job stats:\n(.*?)\n\n", output, re.S)
    assert m, output[-3000:]
    jobs = Counter()
    for line in m.group(1).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("job", "total"):
            jobs[parts[0]] = int(parts[1])
    return jobs


def tree_bytes(root: Path, *patterns: str) -> dict[str, bytes]:
    out = {}
    for pattern in patterns:
        for p in sorted(root.glob(pattern)):
            if p.is_file():
                out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out
