#!/usr/bin/env python3
"""Serving throughput with and without micro-batching, as callers see it (HTTP, real models).

Usage: python bench/batching.py <project with models/> [--engine stt] [--callers 8] [--requests 96]

Registers and promotes the project's trained adapter in a scratch copy of deploy/, starts
`foundry serve` in-process on loopback (one service per mode), sends the engine's dev-split
items from ``--callers`` concurrent clients, and reports requests/s, p50/p95 latency and
whether every answer equals the unbatched answer. Prints a table and writes JSON next to it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run_mode(project: Path, engine: str, bodies: list[dict], callers: int, max_size: int) -> dict:
    import httpx

    from foundry import paths
    from foundry.deploy import registry
    from foundry.deploy.batching import BatchSettings
    from foundry.deploy.serve import Running, Service

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        root = Path(tmp)
        shutil.copytree(project / paths.model_dir(engine), root / paths.model_dir(engine))
        cand = registry.register(root, engine, root / paths.adapter_dir(engine))
        registry.promote(root, cand, ["bench"])
        base = str(root / paths.base_model_dir(engine))
        service = Service(root, [engine], base, poll_s=3600, batch=BatchSettings(max_size, 10))
        with Running(service) as srv, httpx.Client(timeout=600) as c:
            c.post(f"{srv.url}/v1/{engine}", json=bodies[0])  # warm-up: load and first call

            def ask(i: int) -> tuple[str, float]:
                t0 = time.perf_counter()
                r = c.post(f"{srv.url}/v1/{engine}", json=bodies[i % len(bodies)])
                r.raise_for_status()
                return r.json()["output"], time.perf_counter() - t0

            t0 = time.perf_counter()
            with ThreadPoolExecutor(callers) as pool:
                results = list(pool.map(ask, range(len(bodies))))
            wall = time.perf_counter() - t0
    lat = sorted(x[1] for x in results)
    return {
        "max_batch": max_size,
        "requests": len(results),
        "requests_per_s": round(len(results) / wall, 3),
        "p50_s": round(statistics.median(lat), 3),
        "p95_s": round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 3),
        "answers": [x[0] for x in results],
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("project", type=Path)
    ap.add_argument("--engine", default="stt")
    ap.add_argument("--callers", type=int, default=8)
    ap.add_argument("--requests", type=int, default=96)
    args = ap.parse_args()

    import base64

    import pyarrow.parquet as pq

    from foundry import paths

    table = pq.read_table(args.project / paths.split_file(args.engine, "dev")).to_pylist()
    bodies = []
    for r in table[: args.requests]:
        if "audio" in r and r["audio"]:
            bodies.append({"audio": base64.b64encode(r["audio"]["bytes"]).decode()})
        else:
            bodies.append({"text": r["text"]})
    while len(bodies) < args.requests:
        bodies += bodies[: args.requests - len(bodies)]
    load = Path("/proc/loadavg").read_text().split()[:3]
    one = run_mode(args.project, args.engine, bodies, args.callers, 1)
    many = run_mode(args.project, args.engine, bodies, args.callers, 8)
    same = one.pop("answers") == many.pop("answers")
    out = {
        "engine": args.engine,
        "callers": args.callers,
        "load_before": load,
        "unbatched": one,
        "batched": many,
        "speedup": round(many["requests_per_s"] / one["requests_per_s"], 2),
        "identical_answers": same,
    }
    print(f"{'mode':<12}{'req/s':>8}{'p50 s':>8}{'p95 s':>8}")
    for name in ("unbatched", "batched"):
        m = out[name]
        print(f"{name:<12}{m['requests_per_s']:>8}{m['p50_s']:>8}{m['p95_s']:>8}")
    print(f"speedup {out['speedup']}x, identical answers: {same}, load {' '.join(load)}")
    (ROOT / "bench" / f"batching-{args.engine}.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
