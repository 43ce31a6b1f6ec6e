"""Which CTranslate2 quantization answers like the PyTorch model the gate judged, and at what cost.

    python bench/ct2_quantization.py <built project> [--types int8 int16 float32] [--threads 2]

The production stt candidate's test clips are decoded by the PyTorch base + LoRA (the gate's
model) and by the merged adapter converted to CTranslate2 at each quantization, in this one
process (no service, one batch pass); reported per type: CPU-s per clip (decoding only, the
conversion is not timed), CER between its answers and PyTorch's, and CER against the reference.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch


def main() -> None:
    from foundry import paths
    from foundry.deploy import ct2
    from foundry.deploy.models import read_items
    from foundry.train import infer
    from foundry.train.metrics import stt_metrics

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("project", type=Path)
    ap.add_argument("--types", nargs="+", default=["int8", "int16", "float32"])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    root = args.project.resolve()
    adapter = root / paths.adapter_dir("stt")
    _, inputs, refs = read_items(root / paths.split_file("stt", "test"), "stt")
    pred = infer.load_predictor("stt", str(adapter), None)
    t0 = time.process_time()
    reference = pred.predict(inputs)
    rows = {"torch": {"cpu_s_per_clip": round((time.process_time() - t0) / len(inputs), 3)}}
    rows["torch"]["cer_vs_reference"] = stt_metrics(refs, reference)["cer"]
    with tempfile.TemporaryDirectory() as tmp:
        for quant in args.types:
            folder = ct2.convert(adapter, None, Path(tmp) / quant, quant)
            try:
                model = ct2.Ct2Transcriber("stt", folder, "cpu", args.threads, quant)
            except ValueError as exc:  # e.g. int16 without the CPU instructions for it
                rows[quant] = {"unsupported": str(exc)}
                continue
            t0 = time.process_time()
            answers = model.predict(inputs)
            rows[quant] = {
                "cpu_s_per_clip": round((time.process_time() - t0) / len(inputs), 3),
                "cer_vs_torch": stt_metrics(reference, answers)["cer"],
                "cer_vs_reference": stt_metrics(refs, answers)["cer"],
            }
    print(json.dumps({"clips": len(inputs), "threads": args.threads, **rows}, indent=1))


if __name__ == "__main__":
    main()
