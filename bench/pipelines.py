"""The three standardization pipelines, each run in its own process by bench/run.py.

    python -m bench.pipelines {foundry,hf,lhotse,floor} CORPUS OUT WORKERS [SHARDS]

Each does: read the Hub-layout parquet corpus -> decode -> mono -> 16 kHz -> PCM16 WAV -> write
its native dataset format, using WORKERS worker processes. It prints one JSON line describing what
it did (items, decoder used). Verification (item counts, 16 kHz headers) happens in run.py after
the clock stops, so it is not timed.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import resource
import struct
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

DS = "bench"
# Fresh worker processes, like Snakemake's one process per job: a forked worker would start with
# the parent's memory (plan pass) counted in its RSS.
SPAWN = multiprocessing.get_context("spawn")


# ---------------------------------------------------------------- (a) this project
def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _foundry_shard(args: tuple[dict, int, str]) -> dict[str, float]:
    from foundry.silver import shards

    cfg, k, root = args
    counts = shards.standardize_shard(shards.Settings.from_config(cfg, DS), k, root)
    return {**counts, "worker_peak_rss_mb": _peak_mb()}


def run_foundry(corpus: Path, out: Path, workers: int, n_shards: int) -> dict:
    """Phase 2 exactly as the Snakemake rules run it: plan, one job per shard, merge."""
    from foundry import config as fconfig
    from foundry import paths
    from foundry.atomic import write_json
    from foundry.silver import shards

    cfg = fconfig.validate(
        {
            "datasets": {
                DS: {
                    "path": str(corpus),
                    "columns": {"audio": "audio", "text": "sentence", "speaker": "speaker"},
                    "engines": ["stt"],
                    "shards": n_shards,
                    "license": "cc0-1.0",
                }
            },
            "audio": {"max_duration": 20.0},
            # speech detection only in the like-for-like runs (BENCH_VAD=1, the peers too)
            "quality": {"vad": {"enabled": vad_on()}},
        }
    )
    # raw/<ds>: the ingest step's result, built here by linking (ingest is not what is measured).
    files = sorted(p.relative_to(corpus).as_posix() for p in corpus.glob("data/*.parquet"))
    raw = out / paths.raw_files(DS)
    for f in files:
        (raw / f).parent.mkdir(parents=True, exist_ok=True)
        os.link(corpus / f, raw / f) if _same_fs(corpus, out) else os.symlink(corpus / f, raw / f)
    from foundry import integrity

    manifest = {  # with each file's size and sha256, as ingest records them (plan checks them)
        "dataset": DS,
        "resolved_revision": "bench",
        "files": [{"path": f, **integrity.file_record(raw / f)} for f in files],
    }
    write_json(out / paths.raw_manifest(DS), manifest)
    settings = shards.Settings.from_config(cfg, DS)
    shards.write_plan(settings, out)
    plan_peak = _peak_mb()
    jobs = [(cfg, k, str(out)) for k in range(n_shards)]
    with ProcessPoolExecutor(workers, mp_context=SPAWN) as pool:
        counts = list(pool.map(_foundry_shard, jobs))
    merged = shards.merge(DS, n_shards, out)
    return {
        "items": merged["kept"],
        "rejected": merged["rejected"],
        "plan_peak_rss_mb": round(plan_peak, 1),
        "shard_job_peak_rss_mb": round(max(c["worker_peak_rss_mb"] for c in counts), 1),
        "shard_counts": counts,
    }


def _same_fs(a: Path, b: Path) -> bool:
    b.mkdir(parents=True, exist_ok=True)
    return os.stat(a).st_dev == os.stat(b).st_dev


# ---------------------------------------------------------------- speech detection, like for like
# BENCH_VAD=1: every pipeline detects speech with the same silero-vad ONNX model and settings
# (config quality.vad defaults), drops clips with too little speech and trims the rest, as this
# workflow's quality.vad does; the peers call it in their own map / cut transform.
VAD_ENV = "BENCH_VAD"
_DETECTOR: list = []


def vad_on() -> bool:
    return os.environ.get(VAD_ENV) == "1"


def speech_span(y: np.ndarray) -> tuple[int, int] | None:
    """(first, last) sample of the speech in a 16 kHz mono clip, None when too little speech."""
    from foundry.config import defaults
    from foundry.silver import vad

    spec = defaults("quality", "vad")
    if not _DETECTOR:
        keys = ("threshold", "min_speech_ms", "min_silence_ms", "speech_pad_ms", "rate_hz")
        _DETECTOR.append(vad.SpeechDetector(**{k: spec[k] for k in keys}))
    st = _DETECTOR[0].stats(np.asarray(y, dtype=np.float32), 16000, spec["pad_ms"])
    if st.speech_seconds < spec["min_speech_seconds"] or st.speech_ratio < spec["min_speech_ratio"]:
        return None
    return int(round(st.trim_start * 16000)), int(round(st.trim_end * 16000))


# ---------------------------------------------------------------- (b) Hugging Face datasets
def _hf_standardize(batch: dict) -> dict:
    """What a `datasets` user writes when Audio() cannot decode: soundfile + soxr inside map
    (and, with speech detection, the VAD span: ``speech`` False marks a clip to filter out)."""
    import soundfile as sf
    import soxr

    out, speech = [], []
    for a in batch["audio"]:
        x, sr = sf.read(io.BytesIO(a["bytes"]), dtype="float32", always_2d=True)
        y = soxr.resample(x.mean(axis=1), sr, 16000, quality="HQ")
        span = speech_span(y) if vad_on() else (0, y.size)
        speech.append(span is not None)
        if span is not None:
            y = y[span[0] : span[1]]
        pcm = (np.clip(y, -1.0, 1.0) * 32767.0).astype("<i2")
        buf = io.BytesIO()
        sf.write(buf, pcm, 16000, format="WAV", subtype="PCM_16")
        out.append({"bytes": buf.getvalue(), "path": None})
    return {"audio": out, "speech": speech}


def _hf_decode_works(sample: dict) -> str:
    """Try the intended path (Audio(sampling_rate=16000) via torchcodec); say why not if not."""
    try:
        from datasets import Audio

        Audio(sampling_rate=16000).decode_example(sample)
        return ""
    except Exception as exc:  # torchcodec import/FFmpeg failure: report it, use the fallback
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"


def _hf_torchcodec(batch: dict) -> dict:
    import soundfile as sf

    out = []
    for a in batch["audio"]:
        arr = np.asarray(a["array"], dtype=np.float32)
        if arr.ndim > 1:
            arr = arr.mean(axis=0)
        pcm = (np.clip(arr, -1.0, 1.0) * 32767.0).astype("<i2")
        buf = io.BytesIO()
        sf.write(buf, pcm, 16000, format="WAV", subtype="PCM_16")
        out.append({"bytes": buf.getvalue(), "path": None})
    return {"audio16k": out}


def run_hf(corpus: Path, out: Path, workers: int) -> dict:
    os.environ["HF_DATASETS_CACHE"] = str(out / "cache")
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    import datasets
    from datasets import Audio, load_dataset

    datasets.disable_progress_bars()
    files = sorted(str(p) for p in corpus.glob("data/*.parquet"))
    ds = load_dataset("parquet", data_files=files, split="train", cache_dir=str(out / "cache"))
    why = _hf_decode_works(ds.cast_column("audio", Audio(decode=False))[0]["audio"])
    if not why:
        mode = "Audio(sampling_rate=16000) decode via torchcodec+FFmpeg, mono mean, PCM16 WAV"
        ds = ds.cast_column("audio", Audio(sampling_rate=16000, num_channels=None))
        ds = ds.map(_hf_torchcodec, batched=True, batch_size=16, num_proc=workers)
        ds = ds.remove_columns("audio").rename_column("audio16k", "audio")
    else:
        mode = "Audio(decode=False) + soundfile decode + soxr HQ inside map (torchcodec: " + why
        mode += ")"
        ds = ds.cast_column("audio", Audio(decode=False))
        ds = ds.map(_hf_standardize, batched=True, batch_size=16, num_proc=workers)
        if vad_on():
            mode += "; silero-vad span + filter in the same map"
            ds = ds.filter(lambda s: s, input_columns="speech", num_proc=workers)
        ds = ds.remove_columns("speech")
    ds = ds.cast_column("audio", Audio(sampling_rate=16000, decode=False))
    ds.save_to_disk(str(out / "dataset"), num_proc=workers)
    return {"items": len(ds), "mode": mode}


# ---------------------------------------------------------------- (c) Lhotse
def _lhotse_worker(args: tuple[list[str], str, int]) -> int:
    """One worker: its parquet files -> Recording.from_bytes -> resample -> mono -> Shar."""
    import pyarrow.parquet as pq
    from lhotse import CutSet, Recording

    files, out, k = args
    cuts = []
    for f in files:
        pf = pq.ParquetFile(f)
        for batch in pf.iter_batches(batch_size=100, columns=["audio"]):
            for a in batch.column("audio").to_pylist():
                rec = Recording.from_bytes(a["bytes"], Path(a["path"]).stem).resample(16000)
                cut = rec.to_cut()
                if rec.num_channels > 1:
                    cut = cut.to_mono(mono_downmix=True)
                if vad_on():  # the cut's audio, the span, a truncated cut (to_shar reloads it)
                    span = speech_span(cut.load_audio()[0])
                    if span is None:
                        continue
                    cut = cut.truncate(offset=span[0] / 16000, duration=(span[1] - span[0]) / 16000)
                cuts.append(cut)
    target = Path(out) / f"part-{k}"
    target.mkdir(parents=True, exist_ok=True)
    CutSet.from_cuts(cuts).to_shar(str(target), fields={"recording": "wav"}, shard_size=1000)
    return len(cuts)


def run_lhotse(corpus: Path, out: Path, workers: int) -> dict:
    files = sorted(str(p) for p in corpus.glob("data/*.parquet"))
    groups = [files[i::workers] for i in range(workers)]
    jobs = [(g, str(out / "shar"), k) for k, g in enumerate(groups) if g]
    with ProcessPoolExecutor(workers, mp_context=SPAWN) as pool:
        n = sum(pool.map(_lhotse_worker, jobs))
    mode = "Recording.from_bytes + resample(16000) + to_mono(mono_downmix) + to_shar(wav)"
    if vad_on():
        mode += "; load_audio + silero-vad span + truncate per cut"
    return {"items": n, "mode": mode}


# ---------------------------------------------------------------- (d) the floor
def _floor_worker(args: tuple[list[str], str, int]) -> int:
    """Only what every pipeline must do: read, decode, mono, 16 kHz, PCM16 WAV into a tar."""
    import tarfile

    import pyarrow.parquet as pq

    from foundry import audio

    files, out, k = args
    n = 0
    Path(out).mkdir(parents=True, exist_ok=True)
    with tarfile.open(Path(out) / f"part-{k}.tar", "w") as tar:
        for f in files:
            pf = pq.ParquetFile(f)
            for g in range(pf.metadata.num_row_groups):
                for a in pf.read_row_group(g, columns=["audio"]).column("audio").to_pylist():
                    x, sr, _ = audio.decode(a["bytes"])
                    y = audio.resample(audio.remove_dc(audio.to_mono(x), inplace=True), sr)
                    wav = audio.encode_wav(audio.to_pcm16(y))
                    info = tarfile.TarInfo(f"{k}-{n:06d}.wav")
                    info.size = len(wav)
                    tar.addfile(info, io.BytesIO(wav))
                    n += 1
    return n


def run_floor(corpus: Path, out: Path, workers: int) -> dict:
    """The bound for any pipeline on this corpus: this project's decode -> mono -> DC -> soxr HQ ->
    PCM16 WAV, no checks, no hashes, no manifests, no Snakemake."""
    files = sorted(str(p) for p in corpus.glob("data/*.parquet"))
    jobs = [(files[i::workers], str(out / "floor"), i) for i in range(workers)]
    with ProcessPoolExecutor(workers, mp_context=SPAWN) as pool:
        n = sum(pool.map(_floor_worker, [j for j in jobs if j[0]]))
    return {"items": n, "mode": "foundry.audio decode/mono/DC/resample/WAV only, into tars"}


# ---------------------------------------------------------------- verification (untimed)
def wav_header(data: bytes) -> tuple[int, int, int]:
    """(sample_rate, channels, bits) of a RIFF/WAVE byte string (fmt chunk first or searched)."""
    i = data.find(b"fmt ", 12)
    _, channels, sr, _, _, bits = struct.unpack_from("<HHIIHH", data, i + 8)
    return sr, channels, bits


def verify(kind: str, out: Path) -> dict:
    """Count the output items and check each is a 16 kHz mono 16-bit WAV."""
    import tarfile

    import pyarrow.parquet as pq

    headers: list[tuple[int, int, int]] = []
    if kind == "foundry":
        for tar in sorted(out.glob(f"silver/{DS}/shards/*.tar")):
            with tarfile.open(tar) as t:
                for m in t:
                    if m.name.endswith(".wav"):
                        headers.append(wav_header(t.extractfile(m).read(64)))
    elif kind == "hf":
        for f in sorted((out / "dataset").glob("*.arrow")):
            import pyarrow as pa

            with pa.memory_map(str(f)) as src:
                table = pa.ipc.open_stream(src).read_all()
            for a in table.column("audio").to_pylist():
                headers.append(wav_header(a["bytes"][:64]))
    else:
        pattern = "floor/part-*.tar" if kind == "floor" else "shar/part-*/recording.*.tar"
        tars = out.glob(pattern)
        for tar in sorted(tars):
            with tarfile.open(tar) as t:
                for m in t:
                    if m.name.endswith(".wav"):
                        headers.append(wav_header(t.extractfile(m).read(64)))
    del pq
    ok = sum(1 for h in headers if h == (16000, 1, 16))
    return {"items_out": len(headers), "items_16k_mono_pcm16": ok}


if __name__ == "__main__":
    kind, corpus_dir, out_dir, n_workers = sys.argv[1:5]
    corpus_p, out_p = Path(corpus_dir), Path(out_dir)
    out_p.mkdir(parents=True, exist_ok=True)
    if kind == "foundry":
        result = run_foundry(corpus_p, out_p, int(n_workers), int(sys.argv[5]))
    elif kind == "hf":
        result = run_hf(corpus_p, out_p, int(n_workers))
    elif kind == "lhotse":
        result = run_lhotse(corpus_p, out_p, int(n_workers))
    elif kind == "floor":
        result = run_floor(corpus_p, out_p, int(n_workers))
    else:
        raise SystemExit(f"unknown pipeline {kind!r}; use foundry, hf, lhotse or floor")
    print("RESULT " + json.dumps(result, default=str))
