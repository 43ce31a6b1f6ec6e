"""What quality.language costs: the language_id jobs of a built tree, the whole snakemake tree.

    python bench/language_id.py <built demo tree> [--windows 30 10] [--cores 2]

For each encoder window the stt datasets' language_id jobs are forced (`--forcerun
language_id`, merge_silver after them) with quality.language on; reported: audio seconds of
the clips per CPU-second and per wall-second of the whole process tree (Snakemake included),
the jobs' own CPU time (their benchmark files), and what Whisper-base said (how many clips it
would reject at the default min_probability, how often two windows agree on the language).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from foundry import config, paths


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run(tree: Path, window: int, cores: int) -> dict:
    cfg = config.validate(yaml.safe_load((tree / "config/config.yaml").read_text()))
    view = config.View(cfg)
    cfg["quality"]["language"]["enabled"] = True
    checked = [ds for ds in view.datasets if view.language_checked(ds)]
    targets = [paths.silver_manifest(ds) for ds in checked]
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
        yaml.safe_dump({"quality": {"language": {"enabled": True, "window_seconds": window}}}, fh)
    # targets first: --forcerun and --configfile take several values
    cmd = [sys.executable, "-m", "snakemake", *targets, "--cores", str(cores)]
    cmd += ["--forcerun", "language_id", "--configfile", "config/config.yaml", fh.name]
    cpu0, t0 = _children_cpu(), time.perf_counter()
    subprocess.run(cmd, cwd=tree, check=True, capture_output=True)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    os.unlink(fh.name)
    seconds, jobs_cpu, found = 0.0, 0.0, {}
    for ds in checked:
        for k in view.shard_ids(ds):
            part = pq.read_table(tree / paths.shard_part(ds, k), columns=["id", "duration"])
            seconds += sum(part["duration"].to_pylist())
            bench = tree / paths.benchmark("language_id", f"{ds}-{k:05d}")
            jobs_cpu += float(bench.read_text().splitlines()[1].split("\t")[-1])
            det = pq.read_table(tree / paths.shard_language(ds, k)).to_pylist()
            found.update({(ds, r["id"]): (r["language"], r["probability"]) for r in det})
    lang = cfg["quality"]["language"]
    rejected = sum(
        1 for a, p in found.values() if a != lang["expect"] and p >= lang["min_probability"]
    )
    return {
        "window_seconds": window,
        "clips": len(found),
        "audio_seconds": round(seconds, 1),
        "wall_s": round(wall, 1),
        "tree_cpu_s": round(cpu, 1),
        "jobs_cpu_s": round(jobs_cpu, 1),
        "audio_s_per_cpu_s": round(seconds / cpu, 2),
        "audio_s_per_job_cpu_s": round(seconds / jobs_cpu, 2),
        "audio_s_per_wall_s": round(seconds / wall, 2),
        "would_reject": rejected,
        "top_languages": Counter(a for a, _ in found.values()).most_common(5),
        "_found": found,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tree", type=Path)
    ap.add_argument("--windows", type=int, nargs="+", default=[30, 10])
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args()
    rows = [run(args.tree.resolve(), w, args.cores) for w in args.windows]
    first = rows[0].pop("_found")
    for r in rows[1:]:
        other = r.pop("_found")
        same = sum(other[k][0] == first[k][0] for k in first if k in other)
        r[f"same_language_as_{rows[0]['window_seconds']}s"] = round(same / len(first), 3)
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
