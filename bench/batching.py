#!/usr/bin/env python3
"""Serving throughput with and without micro-batching, as callers see it (HTTP, real models).

Usage: python bench/batching.py <built project> [--engine stt] [--callers 8] [--requests 96]
                                [--baseline <checkout of 6f2720a, built up to models/stt>]

Registers and promotes the project's trained adapter in a scratch deploy/, starts `foundry serve`
as its own process on loopback, as it is deployed (one per mode), sends the engine's dev-split
items from ``--callers`` concurrent clients, and reports requests/s, p50/p95 latency, mean batch
size, the service's CPU seconds per request, and whether every batched answer equals the
unbatched one. ``--baseline`` adds the service as it was when the issue was filed. Prints a
table and writes bench/batching-<engine>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _wait_ready(url: str, proc: subprocess.Popen, engine: str, limit_s: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"foundry serve exited with {proc.returncode}")
        try:
            models = httpx.get(f"{url}/v1/models", timeout=2).json()
            if (models.get(engine) or {}).get("champion"):
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"foundry serve at {url} did not load {engine} in {limit_s:.0f} s")


def _register(code: Path, root: Path, engine: str) -> None:
    """Register and promote the copied adapter with ``code``'s own registry (any checkout)."""
    prog = (
        "import sys; from foundry import paths; from foundry.deploy import registry as r; "
        "root, e = sys.argv[1], sys.argv[2]; "
        "r.promote(root, r.register(root, e, f'{root}/{paths.adapter_dir(e)}'), ['bench'])"
    )
    subprocess.run([sys.executable, "-c", prog, str(root), engine], cwd=code, check=True)


def run_mode(
    project: Path,
    engine: str,
    bodies: list[dict],
    callers: int,
    max_size: int | None,
    code: Path = ROOT,
    threads: int = 1,
    serve_extra: dict | None = None,
) -> dict:
    """One `foundry serve` process (as deployed) from checkout ``code``; callers in this one.

    ``max_size`` None: the checkout's service as it is (no serve.batch, for code before it).
    """
    import httpx
    import yaml

    from foundry import paths
    from foundry.deploy.serve import free_port

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        root = Path(tmp)
        shutil.copytree(project / paths.model_dir(engine), root / paths.model_dir(engine))
        _register(code, root, engine)
        port = free_port()
        cmd = [sys.executable, "-m", "foundry.cli", "serve", "--root", str(root)]
        cmd += ["--engines", engine, "--port", str(port)]
        cmd += ["--base-dir", str(root / paths.base_model_dir(engine))]
        if max_size is not None:
            cfg = yaml.safe_load((project / "config" / "config.yaml").read_text(encoding="utf-8"))
            cfg.setdefault("serve", {})["batch"] = {"max_size": max_size, "max_wait_ms": 10}
            cfg["serve"]["threads"] = threads
            cfg["serve"].update(serve_extra or {})
            (root / "serve.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True))
            cmd += ["--config", str(root / "serve.yaml")]
        log = (root / "serve.log").open("wb")
        proc = subprocess.Popen(cmd, cwd=code, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url, proc, engine, 600)
            with httpx.Client(timeout=600, limits=httpx.Limits(max_connections=callers)) as c:
                c.post(f"{url}/v1/{engine}", json=bodies[0]).raise_for_status()  # warm-up

                def ask(i: int) -> tuple[str, float]:
                    t0 = time.perf_counter()
                    r = c.post(f"{url}/v1/{engine}", json=bodies[i % len(bodies)])
                    r.raise_for_status()
                    return r.json()["output"], time.perf_counter() - t0

                cpu0 = _cpu_seconds(proc.pid)
                t0 = time.perf_counter()
                with ThreadPoolExecutor(callers) as pool:
                    results = list(pool.map(ask, range(len(bodies))))
                wall = time.perf_counter() - t0
                cpu = _cpu_seconds(proc.pid) - cpu0
                mean_batch = _mean_batch(c.get(f"{url}/metrics").text)
        finally:
            proc.terminate()
            proc.wait(30)
            log.close()
    lat = sorted(x[1] for x in results)
    return {
        "max_batch": max_size,
        "requests": len(results),
        "requests_per_s": round(len(results) / wall, 3),
        "p50_s": round(statistics.median(lat), 3),
        "p95_s": round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 3),
        "service_cpu_s_per_request": round(cpu / len(results), 4),
        "mean_batch": mean_batch,
        "answers": [x[0] for x in results],
    }


def _mean_batch(exposition: str) -> float | None:
    """Mean requests per model call, from the service's foundry_batch_size histogram."""
    total = {"sum": 0.0, "count": 0.0}
    for line in exposition.splitlines():
        for kind in total:
            if line.startswith(f"foundry_batch_size_{kind}{{"):
                total[kind] += float(line.rsplit(" ", 1)[1])
    return round(total["sum"] / total["count"], 2) if total["count"] else None


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _bodies(project: Path, engine: str, n: int) -> list[dict]:
    """The engine's dev-split items as JSON request bodies, repeated up to ``n``."""
    import base64

    import pyarrow.parquet as pq

    from foundry import paths

    table = pq.read_table(project / paths.split_file(engine, "dev")).to_pylist()
    bodies = []
    for r in table[:n]:
        if "audio" in r and r["audio"]:
            bodies.append({"audio": base64.b64encode(r["audio"]["bytes"]).decode()})
        else:
            bodies.append({"text": r["text"]})
    while len(bodies) < n:
        bodies += bodies[: n - len(bodies)]
    return bodies


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("project", type=Path, help="a built project (models/<engine>/ and splits/)")
    ap.add_argument("--engine", default="stt")
    ap.add_argument("--callers", type=int, default=8)
    ap.add_argument("--requests", type=int, default=96)
    ap.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="also measure 'today' as filed: a checkout of the commit the issue was filed at "
        "(6f2720a), built with its own demo up to models/<engine>, serving with its own code",
    )
    ap.add_argument("--threads", type=int, default=1, help="serve.threads of the service")
    args = ap.parse_args()

    bodies = _bodies(args.project, args.engine, args.requests)
    load = Path("/proc/loadavg").read_text().split()[:3]
    modes = {}
    if args.baseline is not None:
        old = _bodies(args.baseline, args.engine, args.requests)
        modes["baseline"] = run_mode(
            args.baseline, args.engine, old, args.callers, None, args.baseline
        )
        modes["baseline"]["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=args.baseline,
            capture_output=True,
            text=True,
        ).stdout.strip()
        modes["baseline"].pop("answers")
    for name, size in (("unbatched", 1), ("batched", 8)):
        modes[name] = run_mode(
            args.project, args.engine, bodies, args.callers, size, ROOT, args.threads
        )
    same = modes["unbatched"].pop("answers") == modes["batched"].pop("answers")
    out = {
        "engine": args.engine,
        "callers": args.callers,
        "load_before": load,
        "cpus": os.cpu_count(),
        "serve_threads": args.threads,
        **modes,
        "speedup": round(
            modes["batched"]["requests_per_s"] / modes["unbatched"]["requests_per_s"], 2
        ),
        "identical_answers": same,
    }
    if "baseline" in modes:
        out["speedup_over_baseline"] = round(
            modes["batched"]["requests_per_s"] / modes["baseline"]["requests_per_s"], 2
        )
    print(f"{'mode':<12}{'req/s':>8}{'p50 s':>8}{'p95 s':>8}{'batch':>7}{'CPU-s/req':>10}")
    for name, m in modes.items():
        print(
            f"{name:<12}{m['requests_per_s']:>8}{m['p50_s']:>8}{m['p95_s']:>8}"
            f"{m['mean_batch'] or 1:>7}{m['service_cpu_s_per_request']:>10}"
        )
    print(f"batched / unbatched {out['speedup']}x, identical answers: {same}")
    if "baseline" in modes:
        print(f"batched / baseline {out['speedup_over_baseline']}x")
    print(f"load before: {' '.join(load)} on {os.cpu_count()} CPUs")
    (ROOT / "bench" / f"batching-{args.engine}.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
