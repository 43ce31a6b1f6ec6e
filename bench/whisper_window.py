"""Zero-shot Whisper-base CER on a built tree's stt test split at two encoder windows.

    python bench/whisper_window.py <built demo tree> [--windows 30 4]

What the shorter encoder window of the demo base costs the untrained model (docs/training.md).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import torch

from foundry.train import whisper_ct2
from foundry.train.infer import WhisperTranscriber, load_base, load_processor
from foundry.train.metrics import stt_metrics
from foundry.train.stt import suppressed_ids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tree", type=Path)
    ap.add_argument("--windows", type=int, nargs="+", default=[30, 4])
    args = ap.parse_args()
    torch.set_num_threads(1)
    test = pq.read_table(args.tree / "splits/stt/test.parquet").to_pydict()
    inputs = [{"audio": a["bytes"]} for a in test["audio"]]
    with tempfile.TemporaryDirectory() as tmp:
        ct2 = whisper_ct2.assemble(Path(tmp) / "ct2")
        for w in args.windows:
            out = Path(tmp) / f"w{w}"
            whisper_ct2.convert(ct2, out, window_seconds=w)
            proc = load_processor("whisper", out)
            tok = proc["tokenizer"]
            tok.set_prefix_tokens(language="malayalam", task="transcribe", predict_timestamps=False)
            meta = {
                "decoder_prompt": tok("").input_ids[:-1],
                "max_new_tokens": 144,
                "suppress_ids": suppressed_ids(tok),
            }
            model = load_base("whisper", out, {}).eval()
            hyps = WhisperTranscriber("stt", model, proc, meta).predict(inputs)
            m = stt_metrics(test["text"], hyps)
            print(
                f"window {w:>2} s: cer {m['cer']:.3f} wer {m['wer']:.3f} "
                f"script_fidelity {m['script_fidelity']:.2f} ({m['items']} clips)"
            )


if __name__ == "__main__":
    main()
