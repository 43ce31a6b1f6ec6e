"""Tiny dataset repos in every common Hub layout (file name -> bytes), for ingest tests.

Each layout holds the same kind of content: Malayalam sentences, and for the speech layouts short
tones as audio, so a test can compare what each layout yields. ``LAYOUTS`` maps a repo name to
(files, dataset config, expected upstream split per item count).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from factory import SENTENCES, encode, tone

AUDIO_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


def write_repo(folder: Path, files: dict[str, bytes]) -> Path:
    """Lay a repo's files out in a folder (a local `path:` dataset)."""
    for rel, data in files.items():
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return folder


def wav(i: int, seconds: float = 0.8, sr: int = 16000) -> bytes:
    return encode(tone(seconds + 0.01 * i, sr, freq=180 + 20 * i), sr)


def parquet(rows: list[dict[str, Any]], schema: pa.Schema | None = None) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), buf)
    return buf.getvalue()


def gz(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, filename="") as fh:
        fh.write(data)
    return buf.getvalue()


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def delimited(rows: list[dict[str, Any]], sep: str) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), delimiter=sep, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode()


def tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def card(configs: list[dict[str, Any]] | None = None) -> bytes:
    if not configs:
        return b"---\nlicense: cc0-1.0\n---\nA test dataset.\n"
    import yaml

    head = yaml.safe_dump({"license": "cc0-1.0", "configs": configs}, sort_keys=False)
    return f"---\n{head}---\nA test dataset.\n".encode()


def text(i: int) -> str:
    return f"{SENTENCES[i % len(SENTENCES)]} {i}"


def speech_parquet_root() -> dict[str, bytes]:
    """Parquet files at the repo root (no data/ folder), audio as {bytes, path} structs."""
    rows = [{"audio": {"bytes": wav(i), "path": f"a{i}.wav"}, "text": text(i)} for i in range(6)]
    schema = pa.schema([("audio", AUDIO_TYPE), ("text", pa.string())])
    return {
        "README.md": card(),
        "train.parquet": parquet(rows[:4], schema),
        "test.parquet": parquet(rows[4:], schema),
    }


def csv_repo() -> dict[str, bytes]:
    rows = [{"id": i, "translation": text(i)} for i in range(5)]
    return {"README.md": card(), "Dialects - Sheet1.csv": delimited(rows, ",")}


def tsv_repo() -> dict[str, bytes]:
    labels = ["Positive", "Negative", "Mixed feelings", "Mixed_feelings", "not-malayalam"]
    rows = [{"label": labels[i % 5], "query": text(i)} for i in range(10)]
    rows[3]["query"] = 'ഇത് "നല്ല" സേവനം, tab\tinside'
    return {"README.md": card(), "sentiment.tsv": delimited(rows, "\t")}


def jsonl_repo() -> dict[str, bytes]:
    rows = [{"news": text(i), "class": i % 3} for i in range(8)]
    return {
        "README.md": card(),
        "malayalam-train.jsonl": jsonl(rows[:5]),
        "malayalam-test.jsonl": jsonl(rows[5:]),
    }


def massive_repo() -> dict[str, bytes]:
    """JSON Lines gzip per split and language, two named configs in the card (ml, en)."""
    files: dict[str, bytes] = {}
    configs = []
    for lang in ("ml", "en"):
        spec = []
        for k, split in enumerate(("train", "validation", "test")):
            rows = [
                {
                    "id": f"{lang}-{split}-{i}",
                    "label": ["balance", "recharge"][i % 2],
                    "text": text(10 * k + i) if lang == "ml" else f"english {split} {i}",
                    "lang": lang,
                }
                for i in range(4)
            ]
            files[f"{split}/{lang}.json.gz"] = gz(jsonl(rows))
            spec.append({"split": split, "path": f"{split}/{lang}.json.gz"})
        configs.append({"config_name": lang, "data_files": spec})
    files["README.md"] = card(configs)
    return files


def audiofolder_repo() -> dict[str, bytes]:
    """WAVs under Data/Train and Data/Valid + one root metadata.jsonl keyed by file_name."""
    files: dict[str, bytes] = {"README.md": card()}
    meta = []
    districts = ["Trivandrum", "തൃശ്ശൂർ", "Calicut", "Chennai", "", "Kollam"]
    for i in range(6):
        folder = "Train" if i < 4 else "Valid"
        name = f"Data/{folder}/iv_{i:03d}.wav"
        files[name] = wav(i)
        meta.append(
            {
                "file_name": name,
                "sentence": text(i),
                "speaker_id": f"spk{i // 2}",
                "district": districts[i],
                "state": "Tamil Nadu" if districts[i] == "Chennai" else "Kerala",
            }
        )
    meta.append({"file_name": "Data/Train/missing.wav", "sentence": text(7), "speaker_id": "x"})
    meta.append({"file_name": "../../etc/passwd", "sentence": text(8), "speaker_id": "y"})
    files["metadata.jsonl"] = jsonl(meta)
    return files


def webdataset_repo() -> dict[str, bytes]:
    def shard(lo: int, hi: int) -> bytes:
        members = {}
        for i in range(lo, hi):
            members[f"utt{i:03d}.flac"] = encode(tone(0.7, 16000, 300 + 10 * i), 16000, "FLAC")
            members[f"utt{i:03d}.json"] = json.dumps({"sentence": text(i)}).encode()
        return tar(members)

    return {"README.md": card(), "train-0000.tar": shard(0, 4), "test-0000.tar": shard(4, 6)}


def codec_repo() -> dict[str, bytes]:
    rows = [{"text": text(i), "nano_layer_1": [1, 2, 3], "encoded_len": 3} for i in range(4)]
    return {"README.md": card(), "data/train-00000-of-00001.parquet": parquet(rows)}


def paths_only_repo() -> dict[str, bytes]:
    rows = [
        {"path": f"kathbath/ml/{i}.m4a", "text": text(i), "task": "asr" if i % 2 else "st"}
        for i in range(6)
    ]
    return {"README.md": card(), "data/train-00000-of-00001.parquet": parquet(rows)}


# repo name -> (files, dataset config without hub/path, expected {upstream split: items})
LAYOUTS: dict[str, tuple[dict[str, bytes], dict[str, Any], dict[str, int]]] = {
    "parquet_root": (
        speech_parquet_root(),
        {"columns": {"audio": "audio", "text": "text"}, "engines": ["stt"]},
        {"train": 4, "test": 2},
    ),
    "csv": (
        csv_repo(),
        {"columns": {"text": "translation"}, "engines": ["text"]},
        {"train": 5},
    ),
    "tsv": (
        tsv_repo(),
        {"columns": {"text": "query", "label": "label"}, "engines": ["sentiment"]},
        {"train": 10},
    ),
    "jsonl": (
        jsonl_repo(),
        {"columns": {"text": "news"}, "engines": ["text"]},
        {"train": 5, "test": 3},
    ),
    "massive": (
        massive_repo(),
        {
            "config": "ml",
            "columns": {"id": "id", "text": "text", "label": "label"},
            "engines": ["intent"],
        },
        {"train": 4, "validation": 4, "test": 4},
    ),
    "audiofolder": (
        audiofolder_repo(),
        {
            "columns": {"audio": "audio", "text": "sentence", "speaker": "speaker_id"},
            "engines": ["stt"],
        },
        {"train": 4, "validation": 2, "": 2},
    ),
    "webdataset": (
        webdataset_repo(),
        {"columns": {"audio": "flac", "text": "sentence"}, "engines": ["stt"]},
        {"train": 4, "test": 2},
    ),
}
