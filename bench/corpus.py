"""Deterministic synthetic speech-like corpus in Hugging Face Hub layout (parquet + audio struct).

Mixed 22.05/44.1/48 kHz, mono and stereo, WAV and FLAC, 2-8 s utterances: the kinds of input the
standardizer meets in real Hub datasets. The signal is a harmonic-rich glottal-like source with a
moving pitch, a crude formant filter, a syllable-rate envelope and a little noise, so that FLAC
compresses it like speech (not like silence or white noise) and every clip's bytes are unique.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import soundfile as sf
from scipy.signal import lfilter

RATES = (22050, 44100, 48000)
AUDIO_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
SCHEMA = pa.schema([("audio", AUDIO_TYPE), ("sentence", pa.string()), ("speaker", pa.string())])
ROWS_PER_FILE = 200
ROW_GROUP_SIZE = 100  # what `datasets` writes for audio datasets
SENTENCE = "നമസ്കാരം എന്റെ അക്കൗണ്ട് ബാലൻസ് എത്രയാണ്"


def utterance(rng: np.random.Generator, seconds: float, sr: int, channels: int) -> np.ndarray:
    """One speech-like clip, float32 (frames, channels), peak well below full scale."""
    n = int(seconds * sr)
    t = np.arange(n, dtype=np.float64) / sr
    f0 = rng.uniform(90, 240) * (1 + 0.12 * np.sin(2 * np.pi * rng.uniform(0.3, 1.2) * t))
    phase = np.cumsum(f0) / sr
    source = (phase % 1.0) * 2.0 - 1.0  # sawtooth: all harmonics, like a glottal pulse train
    # Two resonances (a crude vowel), then a syllable-rate (3-6 Hz) on/off envelope.
    y = source
    for formant in (rng.uniform(500, 900), rng.uniform(1100, 2200)):
        r = np.exp(-np.pi * 120.0 / sr)
        theta = 2 * np.pi * formant / sr
        y = lfilter([1 - r], [1, -2 * r * np.cos(theta), r * r], y)
    env = np.sin(2 * np.pi * rng.uniform(3, 6) * t + rng.uniform(0, 6.28)) ** 2
    y = y * env
    y = y / (np.max(np.abs(y)) + 1e-9) * rng.uniform(0.2, 0.6)
    y = y + rng.standard_normal(n) * 0.003
    y = y.astype(np.float32)
    if channels == 1:
        return y[:, None]
    right = np.roll(y, int(sr * 0.0005)) * np.float32(0.9)
    return np.stack([y, right], axis=1)


def make_corpus(folder: Path, hours: float, seed: int = 7) -> dict:
    """Write the corpus (idempotent: reused when corpus.json already matches hours and seed)."""
    folder = Path(folder)
    meta_path = folder / "corpus.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("hours") == hours and meta.get("seed") == seed:
            return meta
    rng = np.random.default_rng(seed)
    target = hours * 3600.0
    rows, total, stats = [], 0.0, {"wav": 0, "flac": 0, "mono": 0, "stereo": 0}
    files: list[str] = []
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(
        "---\nconfigs:\n- config_name: default\n  data_files: data/*.parquet\n---\n"
        "Synthetic speech-like benchmark corpus (bench/corpus.py).\n"
    )
    i = 0
    while total < target:
        seconds = float(rng.uniform(2.0, 8.0))
        sr = int(rng.choice(RATES))
        channels = int(rng.choice((1, 2)))
        fmt = "FLAC" if rng.random() < 0.5 else "WAV"
        x = utterance(rng, seconds, sr, channels)
        buf = io.BytesIO()
        sf.write(buf, x, sr, format=fmt, subtype="PCM_16")
        ext = fmt.lower()
        rows.append(
            {
                "audio": {"bytes": buf.getvalue(), "path": f"utt{i:06d}.{ext}"},
                "sentence": f"{SENTENCE} {i}",
                "speaker": f"spk{i % 40:03d}",
            }
        )
        stats[ext] += 1
        stats["mono" if channels == 1 else "stereo"] += 1
        total += x.shape[0] / sr
        i += 1
        if len(rows) == ROWS_PER_FILE:
            files.append(_flush(data, len(files), rows))
            rows = []
    if rows:
        files.append(_flush(data, len(files), rows))
    meta = {
        "hours": hours,
        "seed": seed,
        "items": i,
        "audio_seconds": round(total, 3),
        "files": files,
        "bytes": sum((folder / f).stat().st_size for f in files),
        **stats,
    }
    meta_path.write_text(json.dumps(meta, indent=1))
    return meta


def _flush(data: Path, k: int, rows: list[dict]) -> str:
    name = f"train-{k:05d}.parquet"
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    pq.write_table(table, data / name, row_group_size=ROW_GROUP_SIZE)
    return f"data/{name}"
