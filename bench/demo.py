"""What a new user waits for: the README's demo commands, timed as they are run.

On a fresh copy of the tracked files (no outputs, no .snakemake): `snakemake --cores 8 gold/`,
then a second run of it (nothing to do), then `snakemake --cores 8` (everything else); then
`snakemake --cores 8` alone on a second fresh copy (the whole demo from nothing). Each is
measured over the whole snakemake process tree (wall, CPU, peak RSS); the jobs of the full run
are timed from Snakemake's own log, so the critical path is visible. Writes `bench/demo.json`
with the machine and the date: the README quotes it.

    python bench/demo.py                 # about 12 minutes on an idle 2-core machine
    python bench/demo.py --workdir /tmp/x
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import measure  # noqa: E402
from bench.run import machine, versions  # noqa: E402

STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ [\d:]+ \d{4})\]")
RULE = re.compile(r"^(?:local)?rule (\w+):")
JOBID = re.compile(r"^\s+jobid: (\d+)")
WILDCARDS = re.compile(r"^\s+wildcards: (.*)")
FINISHED = re.compile(r"^Finished jobid: (\d+)")


def fresh_copy(dest: Path) -> Path:
    """The tracked files only, as a clean clone would have them."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        src = ROOT / name.decode()
        if src.is_file():
            (dest / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name.decode())
    return dest


def job_times(log: str) -> list[dict]:
    """(rule, wildcards, start, end) of every job, seconds from the first start."""
    now = rule = current = None
    jobs: dict[str, dict] = {}
    for line in log.splitlines():
        if m := STAMP.match(line):
            now = dt.datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y")
        elif m := RULE.match(line):
            rule, current = m.group(1), None
        elif (m := JOBID.match(line)) and now and rule:
            current = m.group(1)
            jobs.setdefault(current, {"rule": rule, "start": now})
        elif (m := WILDCARDS.match(line)) and current in jobs:
            jobs[current]["wildcards"] = m.group(1)
        elif (m := FINISHED.match(line)) and m.group(1) in jobs:
            jobs[m.group(1)]["end"] = now
    if not jobs:
        return []
    t0 = min(j["start"] for j in jobs.values())
    out = []
    for j in sorted(jobs.values(), key=lambda j: j["start"]):
        end = j.get("end")
        out.append(
            {
                "rule": j["rule"],
                "wildcards": j.get("wildcards", ""),
                "start_s": (j["start"] - t0).total_seconds(),
                "end_s": (end - t0).total_seconds() if end else None,
            }
        )
    return out


def timed(cwd: Path, *args: str) -> dict:
    m = measure.run(["snakemake", *args], cwd=str(cwd), merge_stderr=True)
    if m.returncode != 0:
        sys.stderr.write(m.stdout[-4000:])
        raise SystemExit(f"snakemake {' '.join(args)} failed ({m.returncode})")
    jobs = len(re.findall(r"^Finished jobid: ", m.stdout, flags=re.M))
    return {
        "command": "snakemake " + " ".join(args),
        "wall_s": round(m.wall_s, 1),
        "cpu_s": round(m.cpu_s, 1),
        "peak_proc_rss_mb": round(m.peak_proc_rss_mb, 1),
        "jobs": jobs,
        "log": m.stdout,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", default=None, help="scratch folder (default: a temp folder)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "demo.json"))
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="foundry-demo-"))
    clean_work = work.with_name(work.name + "-clean")
    for folder in (work, clean_work):
        if folder.exists():
            shutil.rmtree(folder)
    project = fresh_copy(work)
    runs = [
        timed(project, "--cores", "8", "gold/"),
        timed(project, "--cores", "8", "gold/"),
        timed(project, "--cores", "8"),
    ]
    # the whole demo from nothing, in a second fresh copy: what #24 bounds at 6 minutes
    clean = fresh_copy(clean_work)
    runs.append(timed(clean, "--cores", "8") | {"fresh_copy": True})
    full = runs[-1]
    jobs = job_times(full.pop("log"))
    for r in runs[:-1]:
        r.pop("log")
    res = {
        "date": dt.date.today().isoformat(),
        "machine": machine() | {"load_avg_at_end": [round(x, 2) for x in os.getloadavg()]},
        "versions": versions(),
        "runs": runs,
        "slowest_jobs": sorted(
            (j for j in jobs if j["end_s"] is not None),
            key=lambda j: j["start_s"] - j["end_s"],
        )[:8],
    }
    Path(args.out).write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    for r in runs:
        cost = f"{r['wall_s']:7.1f} s wall {r['cpu_s']:7.1f} CPU-s"
        print(f"{r['command']:<32} {cost}, {r['jobs']} jobs")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
