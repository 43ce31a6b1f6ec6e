"""Serving stt through CTranslate2: the adapter merged into its base, converted once, cached.

PyTorch decoding runs the LoRA layers on every step; for serving, the adapter is merged into the
Whisper weights (``merge_and_unload``), converted with ctranslate2's own ``TransformersConverter``
(int8 on CPU, float16 on CUDA) into ``<candidate>/ct2-<quantization>/`` (atomically, once per
candidate; the candidate's files are content-addressed, so the cache never goes stale) and decoded
greedily with the same prompt, suppressed tokens and output vocabulary as training recorded.
The deploy gate still judges the PyTorch adapter; ``bench/ct2_serving.py`` measures the two
backends' agreement (CER between their answers) and speed.
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path

import numpy as np

from foundry import engines
from foundry.atomic import atomic_dir
from foundry.engines import SAMPLE_RATE
from foundry.text import normalize
from foundry.train.common import FOUNDRY_META, chunks

log = logging.getLogger("foundry.deploy.ct2")

BACKENDS = ("ctranslate2", "ctranslate2-int8", "torch")
# What each CTranslate2 backend computes in, per device. "ctranslate2" answers as the PyTorch
# model the gate judged (float32 on CPU: CER 0.0 between the two on the demo's test clips,
# 1.6x less CPU per clip); "ctranslate2-int8" is 3.9x cheaper than PyTorch but a different
# model (CER 0.45 between the answers of the demo's adapter): bench/ct2_quantization.py.
SERVING_COMPUTE = {
    ("ctranslate2", "cpu"): "float32",
    ("ctranslate2", "cuda"): "float16",
    ("ctranslate2-int8", "cpu"): "int8",
    ("ctranslate2-int8", "cuda"): "int8_float16",
}
BATCH = 32


def cache_dir(adapter_dir: str | Path, quant: str) -> Path:
    """Where a candidate's converted model lives: beside its adapter folder."""
    return Path(adapter_dir).parent / f"ct2-{quant}"


def convert(adapter_dir: str | Path, base_dir: str | None, out: str | Path, quant: str) -> Path:
    """Merge the stt adapter into its base and convert it to CTranslate2 in ``out`` (atomic)."""
    from ctranslate2.converters import TransformersConverter

    from foundry.train import infer

    pred = infer.load_predictor(engines.TRANSCRIBER, str(adapter_dir), base_dir)
    if not isinstance(pred, infer.WhisperTranscriber):
        raise ValueError(f"{adapter_dir}: only Whisper stt adapters convert to CTranslate2")
    merged = pred.model.merge_and_unload()
    with tempfile.TemporaryDirectory(prefix=".tmp-merge-") as tmp, atomic_dir(out) as dest:
        merged.save_pretrained(tmp)
        for proc in pred.processor.values():
            proc.save_pretrained(tmp)
        TransformersConverter(tmp).convert(str(dest), quantization=quant, force=True)
        for proc in pred.processor.values():  # CTranslate2 keeps only its vocabulary
            proc.save_pretrained(str(dest))
        ids = pred.suppressed()  # every token id the PyTorch transcriber never chooses
        meta = {**pred.meta, "suppress_all": [] if ids is None else ids.tolist()}
        (dest / FOUNDRY_META).write_text(json.dumps(meta, sort_keys=True), encoding="utf-8")
    log.info("stt: %s merged and converted to CTranslate2 (%s) in %s", adapter_dir, quant, out)
    return Path(out)


class Ct2Transcriber:
    """Greedy Whisper decoding on CTranslate2 with the recorded prompt and suppressed tokens."""

    def __init__(
        self, engine: str, folder: Path, device: str, threads: int, compute_type: str
    ) -> None:
        import ctranslate2
        from transformers import AutoTokenizer, WhisperFeatureExtractor

        self.engine = engine
        self.meta = json.loads((folder / FOUNDRY_META).read_text(encoding="utf-8"))
        self.fe = WhisperFeatureExtractor.from_pretrained(folder)
        self.tok = AutoTokenizer.from_pretrained(folder)
        self.model = ctranslate2.models.Whisper(
            str(folder),
            device=device,
            compute_type=compute_type,
            intra_threads=threads,
        )
        self._ctranslate2 = ctranslate2

    def token_ids(self, inputs: list[dict]) -> list[list[int]]:
        """The greedy transcript tokens of each input (prompt and end of text left out)."""
        from foundry.train.infer import wave_of

        out: list[list[int]] = []
        prompt = list(self.meta["decoder_prompt"])
        eos, budget = self.tok.eos_token_id, int(self.meta["max_new_tokens"])
        # ctranslate2 4.8.5 ends Whisper decoding after about max_length / 2 new tokens (measured:
        # 20 -> 10, 148 -> 74): ask for twice the budget, cut where the PyTorch loop stops
        max_length = min(2 * (len(prompt) + budget), 2 * 448)
        for batch in chunks(list(inputs), BATCH):
            waves = [wave_of(x, self.engine) for x in batch]
            feats = self.fe(waves, sampling_rate=SAMPLE_RATE, return_tensors="np").input_features
            view = self._ctranslate2.StorageView.from_array(np.ascontiguousarray(feats, np.float32))
            results = self.model.generate(
                view,
                [prompt] * len(batch),
                beam_size=1,
                max_length=max_length,
                suppress_tokens=self.meta["suppress_all"],
                suppress_blank=False,
            )
            out += [[t for t in r.sequences_ids[0][:budget] if t < eos] for r in results]
        return out

    def predict(self, inputs: list[dict]) -> list[str]:
        return [
            normalize(self.tok.decode(ids, skip_special_tokens=True))
            for ids in self.token_ids(inputs)
        ]


def load(
    adapter_dir: str | Path,
    base_dir: str | None,
    device: str = "cpu",
    threads: int = 1,
    backend: str = "ctranslate2",
) -> Ct2Transcriber:
    """The candidate's CTranslate2 model for ``backend`` (SERVING_COMPUTE), converted once."""
    quant = SERVING_COMPUTE[(backend, device)]
    folder = cache_dir(adapter_dir, quant)
    if not (folder / "model.bin").exists():
        convert(adapter_dir, base_dir, folder, quant)
    return Ct2Transcriber(engines.TRANSCRIBER, folder, device, threads, quant)
