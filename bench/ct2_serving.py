#!/usr/bin/env python3
"""stt served through PyTorch + LoRA vs the merged adapter on CTranslate2, as callers see it.

Usage: python bench/ct2_serving.py <built project> [--callers 8] [--requests 96]

Starts `foundry serve` on loopback once per backend (serve.stt_backend torch, ctranslate2 =
float32 on CPU, ctranslate2-int8; the conversion happens at load and is not timed), each
micro-batching (max 8), sends the stt dev-split clips from ``--callers`` concurrent clients, and
reports requests/s, p50/p95 latency, CPU-s per request, and the CER between each CTranslate2
backend's answers and PyTorch's on the same clips.
Writes bench/ct2-serving.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.batching import _bodies, run_mode  # noqa: E402


def main() -> int:
    from foundry.train.metrics import stt_metrics

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("project", type=Path, help="a built project (models/stt/ and splits/)")
    ap.add_argument("--callers", type=int, default=8)
    ap.add_argument("--requests", type=int, default=96)
    args = ap.parse_args()
    bodies = _bodies(args.project, "stt", args.requests)
    load = Path("/proc/loadavg").read_text().split()[:3]
    backends = ("torch", "ctranslate2", "ctranslate2-int8")
    modes = {
        backend: run_mode(
            args.project, "stt", bodies, args.callers, 8, serve_extra={"stt_backend": backend}
        )
        for backend in backends
    }
    answers = {b: modes[b].pop("answers") for b in backends}
    for b in backends[1:]:
        agreement = stt_metrics(answers["torch"], answers[b])
        modes[b]["speedup_vs_torch"] = round(
            modes[b]["requests_per_s"] / modes["torch"]["requests_per_s"], 2
        )
        modes[b]["cer_vs_torch"] = agreement["cer"]
        modes[b]["wer_vs_torch"] = agreement["wer"]
    out = {"callers": args.callers, "load_before": load, "cpus": os.cpu_count(), **modes}
    head = f"{'backend':<18}{'req/s':>8}{'p50 s':>8}{'p95 s':>8}{'batch':>7}{'CPU-s/req':>10}"
    print(head + f"{'x torch':>8}{'CER vs torch':>13}")
    for name, m in modes.items():
        print(
            f"{name:<18}{m['requests_per_s']:>8}{m['p50_s']:>8}{m['p95_s']:>8}"
            f"{m['mean_batch'] or 1:>7}{m['service_cpu_s_per_request']:>10}"
            f"{m.get('speedup_vs_torch', 1.0):>8}{m.get('cer_vs_torch', 0.0):>13}"
        )
    print(f"load before: {' '.join(load)} on {os.cpu_count()} CPUs")
    (ROOT / "bench" / "ct2-serving.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
