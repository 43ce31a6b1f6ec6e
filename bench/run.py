"""Benchmark: standardization throughput vs Hugging Face `datasets` and Lhotse, memory per job as
the dataset grows, and Snakemake workflow overhead at 10,000 jobs against a bare-Snakefile floor.

    python bench/run.py                      # defaults: 1 h corpus, 2 workers, 100x100 workflow
    python bench/run.py --hours 0.1 --workflow-datasets 10 --workflow-shards 10   # quick look

Prints a table, the ratios and PASS/FAIL per target; writes bench/results.json. See README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import measure, workflow  # noqa: E402
from bench.corpus import make_corpus  # noqa: E402
from bench.pipelines import verify  # noqa: E402

REALTIME_PER_CORE = 1000.0  # audio-seconds per CPU-second
VS_BEST_OTHER = 2.0
FLAT_MEMORY = 1.15  # peak per-process RSS at 4x corpus / at 1x
DAG_FLOOR = 1.5


def pipeline(
    kind: str, corpus: Path, work: Path, workers: int, shards: int, vad: bool = False
) -> dict:
    """One pipeline in its own process; ``vad``: with speech detection (bench.pipelines.VAD_ENV)."""
    out = work / f"out-{kind}"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "bench.pipelines", kind, str(corpus), str(out), str(workers)]
    if kind == "foundry":
        cmd.append(str(shards))
    env = {"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    if vad:
        env["BENCH_VAD"] = "1"
    m = measure.run(cmd, env=env, cwd=str(ROOT))
    if m.returncode != 0:
        raise SystemExit(f"pipeline {kind} failed (exit {m.returncode}); see its output above")
    result = json.loads(m.stdout.split("RESULT ", 1)[1])
    checked = verify(kind, out)
    shutil.rmtree(out, ignore_errors=True)
    return {
        "wall_s": round(m.wall_s, 3),
        "cpu_s": round(m.cpu_s, 3),
        "peak_proc_rss_mb": round(m.peak_proc_rss_mb, 1),
        "peak_tree_rss_mb": round(m.peak_tree_rss_mb, 1),
        "items": result["items"],
        "mode": result.get("mode", "foundry.silver.shards plan + standardize_shard pool + merge"),
        **{k: result[k] for k in ("plan_peak_rss_mb", "shard_job_peak_rss_mb") if k in result},
        **checked,
    }


def warm(corpus: Path) -> None:
    """Read the corpus once so every pipeline starts from the same (warm) page cache."""
    for f in sorted(corpus.glob("data/*.parquet")):
        with open(f, "rb") as fh:
            while fh.read(1 << 24):
                pass


def machine() -> dict:
    import psutil

    return {
        "cpu": platform.processor() or platform.machine(),
        "cpu_model": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def versions() -> dict:
    from importlib.metadata import version

    out = {}
    for pkg in ("datasets", "lhotse", "soxr", "soundfile", "pyarrow", "numpy", "snakemake"):
        try:
            out[pkg] = version(pkg)
        except Exception:
            out[pkg] = "missing"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--hours", type=float, default=1.0, help="corpus size (audio hours)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes for every pipeline")
    ap.add_argument("--shards", type=int, default=8, help="foundry shards for the main corpus")
    ap.add_argument("--mem-hours", type=float, default=0.25, help="base size for memory check")
    ap.add_argument("--mem-shards", type=int, default=2, help="shards at both memory sizes")
    ap.add_argument("--workflow-datasets", type=int, default=100)
    ap.add_argument("--workflow-shards", type=int, default=100)
    ap.add_argument("--skip", action="append", default=[], help="foundry|hf|lhotse|memory|workflow")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "foundry-bench")
    ap.add_argument("--results", type=Path, default=ROOT / "bench" / "results.json")
    ap.add_argument(
        "--report", action="store_true", help="only re-print (and re-judge) --results; run nothing"
    )
    args = ap.parse_args(argv)
    if args.report:
        res = json.loads(args.results.read_text())
        res["targets"] = targets(res)
        report(res)
        args.results.write_text(json.dumps(res, indent=1, sort_keys=True) + "\n")
        return 0 if all(t["pass"] for t in res["targets"]) else 1

    started = time.perf_counter()
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    res: dict = {"machine": machine(), "versions": versions(), "settings": vars(args).copy()}
    res["settings"]["workdir"] = str(work)
    res["settings"]["results"] = str(args.results)
    corpus = work / f"corpus-{args.hours:g}h"
    meta = make_corpus(corpus, args.hours)
    res["corpus"] = meta
    print(
        f"corpus: {meta['items']} items, {meta['audio_seconds'] / 3600:.2f} h audio, "
        f"{meta['bytes'] / 2**20:.0f} MiB ({meta['wav']} WAV / {meta['flac']} FLAC, "
        f"{meta['mono']} mono / {meta['stereo']} stereo; 22.05/44.1/48 kHz)",
        flush=True,
    )
    audio_s = meta["audio_seconds"]
    runs: dict[str, dict] = {}
    for kind in ("foundry", "hf", "lhotse"):
        if kind in args.skip:
            continue
        warm(corpus)
        print(f"running {kind} ...", flush=True)
        r = pipeline(kind, corpus, work, args.workers, args.shards)
        r["audio_s_per_cpu_s"] = round(audio_s / r["cpu_s"], 1)
        r["audio_s_per_wall_s"] = round(audio_s / r["wall_s"], 1)
        runs[kind] = r
    res["standardize"] = runs

    if "memory" not in args.skip:
        res["memory"] = memory_check(args, work)
    if "workflow" not in args.skip:
        print(
            f"workflow overhead: {args.workflow_datasets} datasets x {args.workflow_shards} "
            "shards ...",
            flush=True,
        )
        res["workflow"] = workflow.benchmark(
            work / "workflow", args.workflow_datasets, args.workflow_shards
        )
    res["targets"] = targets(res)
    res["total_wall_s"] = round(time.perf_counter() - started, 1)
    report(res)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(res, indent=1, sort_keys=True) + "\n")
    print(f"\nwrote {args.results}")
    return 0 if all(t["pass"] for t in res["targets"]) else 1


def memory_check(args: argparse.Namespace, work: Path) -> dict:
    """Peak RSS of the largest foundry process at 1x and 4x corpus size, same shard count."""
    out = {}
    for scale in (1, 4):
        hours = args.mem_hours * scale
        corpus = work / f"corpus-{hours:g}h"
        make_corpus(corpus, hours)
        warm(corpus)
        print(f"memory check: foundry on {hours:g} h, {args.mem_shards} shards ...", flush=True)
        r = pipeline("foundry", corpus, work, args.workers, args.mem_shards)
        out[f"{scale}x"] = {
            "hours": hours,
            "shards": args.mem_shards,
            "peak_proc_rss_mb": r["peak_proc_rss_mb"],
            "peak_tree_rss_mb": r["peak_tree_rss_mb"],
            "plan_peak_rss_mb": r["plan_peak_rss_mb"],
            "shard_job_peak_rss_mb": r["shard_job_peak_rss_mb"],
            "items": r["items"],
        }
    for key in ("shard_job_peak_rss_mb", "plan_peak_rss_mb", "peak_proc_rss_mb"):
        out[f"ratio_{key}"] = round(out["4x"][key] / out["1x"][key], 3)
    return out


def targets(res: dict) -> list[dict]:
    t = []
    runs = res.get("standardize", {})
    fd = runs.get("foundry")
    if fd:
        rt = fd["audio_s_per_cpu_s"]
        t.append(
            {
                "target": f"foundry >= {REALTIME_PER_CORE:g}x real time per CPU core",
                "value": f"{rt:.0f}x",
                "pass": rt >= REALTIME_PER_CORE,
            }
        )
        others = [runs[k] for k in ("hf", "lhotse") if k in runs]
        if others:
            best_cpu = max(o["audio_s_per_cpu_s"] for o in others)
            best_wall = max(o["audio_s_per_wall_s"] for o in others)
            r_cpu = fd["audio_s_per_cpu_s"] / best_cpu
            r_wall = fd["audio_s_per_wall_s"] / best_wall
            t.append(
                {
                    "target": f"foundry >= {VS_BEST_OTHER:g}x the faster of HF datasets / Lhotse "
                    "(per CPU-s and per wall-s)",
                    "value": f"{r_cpu:.2f}x per CPU-s, {r_wall:.2f}x per wall-s",
                    "pass": r_cpu >= VS_BEST_OTHER and r_wall >= VS_BEST_OTHER,
                }
            )
        counts = {k: (v["items_out"], v["items_16k_mono_pcm16"]) for k, v in runs.items()}
        same = len({c for c in counts.values()}) == 1 and all(a == b for a, b in counts.values())
        t.append(
            {
                "target": "same item count, all 16 kHz mono PCM16, in every pipeline",
                "value": ", ".join(f"{k} {a}/{b}" for k, (a, b) in counts.items()),
                "pass": same and counts["foundry"][0] == res["corpus"]["items"],
            }
        )
    mem = res.get("memory")
    if mem:
        for key, label in (("shard_job", "standardize job"), ("plan", "plan job")):
            k = f"{key}_peak_rss_mb"
            t.append(
                {
                    "target": f"peak RSS per {label} flat as the dataset grows "
                    f"(4x/1x <= {FLAT_MEMORY})",
                    "value": f"{mem['1x'][k]:.0f} -> {mem['4x'][k]:.0f} MiB "
                    f"({mem['ratio_' + k]:.2f}x)",
                    "pass": mem["ratio_" + k] <= FLAT_MEMORY,
                }
            )
    wf = res.get("workflow")
    if wf:
        for key, label in (("dry_run", "dry-run DAG"), ("noop", "no-op re-run")):
            real, bare = wf["real"][key], wf["bare"][key]
            ratio = real["cpu_s"] / bare["cpu_s"]
            t.append(
                {
                    "target": f"{label} ({wf['jobs']} jobs) within {DAG_FLOOR:g}x bare Snakefile "
                    "(CPU s)",
                    "value": f"CPU {real['cpu_s']:.1f} s vs {bare['cpu_s']:.1f} s ({ratio:.2f}x); "
                    f"wall {real['wall_s']:.1f} s vs {bare['wall_s']:.1f} s "
                    f"({real['wall_s'] / bare['wall_s']:.2f}x)",
                    "pass": ratio <= DAG_FLOOR,
                }
            )
    return t


def report(res: dict) -> None:
    runs = res.get("standardize", {})
    if runs:
        print("\nStandardization (same corpus, same machine, same number of workers)")
        hdr = f"{'pipeline':10s} {'wall s':>8s} {'CPU s':>8s} {'audio-s/CPU-s':>14s} "
        hdr += (
            f"{'audio-s/wall-s':>15s} {'peak proc MiB':>14s} {'peak tree MiB':>14s} {'items':>6s}"
        )
        print(hdr)
        for k, r in runs.items():
            print(
                f"{k:10s} {r['wall_s']:8.2f} {r['cpu_s']:8.2f} {r['audio_s_per_cpu_s']:14.0f} "
                f"{r['audio_s_per_wall_s']:15.0f} {r['peak_proc_rss_mb']:14.0f} "
                f"{r['peak_tree_rss_mb']:14.0f} {r['items_16k_mono_pcm16']:6d}"
            )
        if "foundry" in runs:
            for k in ("hf", "lhotse"):
                if k in runs:
                    f, o = runs["foundry"], runs[k]
                    print(
                        f"foundry / {k}: {f['audio_s_per_cpu_s'] / o['audio_s_per_cpu_s']:.2f}x "
                        f"per CPU-s, {f['audio_s_per_wall_s'] / o['audio_s_per_wall_s']:.2f}x "
                        f"per wall-s, peak tree RSS "
                        f"{f['peak_tree_rss_mb'] / o['peak_tree_rss_mb']:.2f}x"
                    )
        for k, r in runs.items():
            print(f"  {k}: {r['mode']}")
    mem = res.get("memory")
    if mem:
        print(
            f"\nMemory per job: {mem['1x']['hours']:g} h -> {mem['4x']['hours']:g} h "
            f"({mem['1x']['shards']} shards both): standardize job "
            f"{mem['1x']['shard_job_peak_rss_mb']:.0f} -> "
            f"{mem['4x']['shard_job_peak_rss_mb']:.0f} MiB, plan job "
            f"{mem['1x']['plan_peak_rss_mb']:.0f} -> {mem['4x']['plan_peak_rss_mb']:.0f} MiB, "
            f"largest process {mem['1x']['peak_proc_rss_mb']:.0f} -> "
            f"{mem['4x']['peak_proc_rss_mb']:.0f} MiB"
        )
    wf = res.get("workflow")
    if wf:
        print(f"\nWorkflow overhead: {wf['jobs']} jobs ({wf['datasets']} x {wf['shards']} shards)")
        for side in ("real", "bare"):
            w = wf[side]
            print(
                f"  {side:5s} dry-run {w['dry_run']['wall_s']:7.1f} s wall "
                f"{w['dry_run']['cpu_s']:7.1f} s CPU   no-op re-run {w['noop']['wall_s']:7.1f} s "
                f"wall {w['noop']['cpu_s']:7.1f} s CPU"
            )
    print("\nTargets")
    for t in res["targets"]:
        print(f"  [{'PASS' if t['pass'] else 'FAIL'}] {t['target']}: {t['value']}")
    print(
        f"\ntotal benchmark wall time {res['total_wall_s']:.0f} s; load average at start "
        f"{res['machine']['load_avg_at_start']} on {res['machine']['logical_cpus']} CPUs"
    )


if __name__ == "__main__":
    raise SystemExit(main())
