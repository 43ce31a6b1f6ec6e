#!/usr/bin/env python3
"""stt served through PyTorch + LoRA vs the merged adapter on CTranslate2, as callers see it.

Usage: python bench/ct2_serving.py <built project> [--callers 8] [--requests 96]

Starts `foundry serve` on loopback once per backend (serve.stt_backend torch, then ctranslate2:
int8 on CPU; the conversion happens at load and is not timed), both micro-batching (max 8), sends
the stt dev-split clips from ``--callers`` concurrent clients, and reports requests/s, p50/p95
latency, CPU-s per request, and the CER between the two backends' answers on the same clips.
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
    modes = {
        backend: run_mode(
            args.project, "stt", bodies, args.callers, 8, serve_extra={"stt_backend": backend}
        )
        for backend in ("torch", "ctranslate2")
    }
    torch_answers, ct2_answers = (modes[b].pop("answers") for b in ("torch", "ctranslate2"))
    agreement = stt_metrics(torch_answers, ct2_answers)
    out = {
        "callers": args.callers,
        "load_before": load,
        "cpus": os.cpu_count(),
        **modes,
        "speedup": round(
            modes["ctranslate2"]["requests_per_s"] / modes["torch"]["requests_per_s"], 2
        ),
        "cer_between_backends": agreement["cer"],
        "wer_between_backends": agreement["wer"],
    }
    print(f"{'backend':<12}{'req/s':>8}{'p50 s':>8}{'p95 s':>8}{'batch':>7}{'CPU-s/req':>10}")
    for name, m in modes.items():
        print(
            f"{name:<12}{m['requests_per_s']:>8}{m['p50_s']:>8}{m['p95_s']:>8}"
            f"{m['mean_batch'] or 1:>7}{m['service_cpu_s_per_request']:>10}"
        )
    print(f"ctranslate2 / torch {out['speedup']}x; CER between their answers {agreement['cer']}")
    print(f"load before: {' '.join(load)} on {os.cpu_count()} CPUs")
    (ROOT / "bench" / "ct2-serving.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
