#!/usr/bin/env python3
"""Generate the embedded, SYNTHETIC demo datasets of the Malayalam Data Foundry.

Everything this script writes is synthetic: the speech is rendered by the espeak-ng speech
synthesizer (Malayalam voice ``ml`` and its variants), the sentences are the tables of
``demo/data/``, and the codec tokens of ``rasa-ml`` are random numbers.  Nothing here comes from
the real datasets the demo datasets stand in for; all output is released as CC0-1.0.

Output: eight small dataset repos under ``demo/hub/datasets/foundry-demo/<name>/``, each in the
file layout of the real Hugging Face Hub dataset it mirrors (see ``demo/README.md``; the builders
are ``demo/builders/``):

    indicst-ml      parquet, audio as paths into corpora that are not in the repo (train/dev/test)
    speech-ml       parquet with embedded audio ({bytes, path} structs), 2 train shards + val + test
    indicvoices-ml  audiofolder: Data/Train/*.wav, Data/Valid/*.wav + one root metadata.jsonl
    dialects-ml     one CSV at the repo root, ``Dialects - Sheet1.csv`` (id, translation)
    rasa-ml         parquet: text + random nano-codec token ids (nano_layer_1..4, encoded_len)
    massive-ml      gzipped JSON Lines per split and language config (train/ml.json.gz, ...)
    indicnlp-ml     JSON Lines at the root: malayalam-train.jsonl, malayalam-test.jsonl
    sentiment-ml    one TSV at the root (label<TAB>query), code-mixed like DravidianCodeMix

each with a ``README.md`` whose YAML front matter has ``license: cc0-1.0`` and ``configs:``, plus
``demo/planted.json``: the deliberately bad rows (file relative to the repo root, 0-based row in
that file, expected reject reason) and the planted text-normalization variants.

Usage (from the repository root):

    python demo/make_demo.py            # regenerate demo/hub and demo/planted.json, then verify
    python demo/make_demo.py --verify   # only verify and summarize what is on disk

Determinism: one fixed seed, an independent random stream per purpose, fixed iteration order,
espeak-ng CLI output (byte-identical across runs), FLAC/MP3 encoders that are deterministic, OGG
stream serial numbers rewritten to a value derived from the file name (libsndfile picks them at
random), the PEAK time stamp of float WAVs zeroed, and gzip members written with mtime 0 and no
file name.  Two runs with the same tool versions (espeak-ng 1.51, libsndfile 1.2.2, soxr 1.1,
pyarrow 26) give byte-identical files.

Requirements: Python 3.11, numpy, soundfile >= 0.13 (libsndfile >= 1.1 for MP3/Opus), soxr,
pyarrow, and the ``espeak-ng`` binary on PATH (pyyaml, if installed, is used by ``--verify``).
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import gzip
import hashlib
import io
import json
import posixpath
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import soundfile as sf
from builders.common import (
    _TMP,
    HERE,
    HF_AUDIO,
    HUB_ROOT,
    INTENT_COUNTS,
    MIXED_SPELLINGS,
    PLANTED_JSON,
    SENTIMENT_PLAN,
    SIZE_LIMIT,
    Ctx,
    fmt_counts,
    planted_table,
    stt_pool,
)
from builders.speech import (
    IV_SR,
    build_indicst,
    build_indicvoices,
    build_speech,
)
from builders.text import (
    DIALECTS_FILE,
    MASSIVE_SPLITS,
    RASA_FILE,
    SENTIMENT_FILE,
    build_dialects,
    build_indicnlp,
    build_massive,
    build_rasa,
    build_sentiment,
)

# --------------------------------------------------------------------------------------------
# Main, verification and summary
# --------------------------------------------------------------------------------------------

# Expected planted reasons per dataset (None: an original that must be kept).
EXPECTED = {
    "indicst-ml": {"empty_text": 1},
    "speech-ml": {
        None: 1,
        "undecodable": 1,
        "empty_audio": 1,
        "non_finite": 1,
        "duplicate_audio": 1,
        "clipping": 1,
        "missing_audio": 1,
        "too_long": 1,
        "non_malayalam_text": 1,
        "silence": 1,
        "empty_text": 1,
    },
    "indicvoices-ml": {"missing_audio": 2, "too_short": 1, "silence": 1},
    "dialects-ml": {"empty_text": 1},
    "rasa-ml": {"empty_text": 1, "non_malayalam_text": 1},
    "massive-ml": {"missing_label": 1, "non_malayalam_text": 1},
    "indicnlp-ml": {"empty_text": 1, "non_malayalam_text": 1},
    "sentiment-ml": {
        "empty_text": 1,
        "non_malayalam_text": 1,
        "missing_label": 1,
        "romanised_malayalam": sum(r for _, _, r in SENTIMENT_PLAN),
    },
}
CONVENTIONS = (
    "file: path, relative to the dataset repo root, of the file that holds the row (audiofolder: "
    "the metadata file metadata.jsonl); file_row: 0-based index of the record in that file "
    "(CSV/TSV: data row after the header; JSONL and .json.gz: non-empty line; parquet: row in "
    "that file; audiofolder: line of metadata.jsonl); row == file_row"
)


def generate_all(out: Path) -> Ctx:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    ctx = Ctx()
    pool = stt_pool(ctx)
    build_speech(ctx, pool, out)
    build_indicvoices(ctx, pool, out)
    build_indicst(ctx, pool, out)
    build_dialects(ctx, out)
    build_rasa(ctx, out)
    build_massive(ctx, out)
    build_indicnlp(ctx, out)
    build_sentiment(ctx, out)
    # per-dataset READMEs get the planted-items and variants tables appended
    for ds_dir in sorted(p for p in out.iterdir() if p.is_dir()):
        recs = sorted(
            (r for r in ctx.planted if r["dataset"] == ds_dir.name),
            key=lambda r: (r["file"], r["file_row"]),
        )
        extra = "\n## Planted bad items (deliberate)\n\n"
        extra += "Rows are 0-based records of the file (after the header for CSV/TSV).\n\n"
        extra += planted_table(recs) + "\n"
        vars_ = [v for v in ctx.variants if v["dataset"] == ds_dir.name]
        if vars_:
            extra += "\n## Planted text variants (the normalizer must fix them)\n\n"
            extra += "| file | row in file | variant |\n|---|---|---|\n"
            extra += "".join(f"| `{v['file']}` | {v['file_row']} | {v['kind']} |\n" for v in vars_)
        with open(ds_dir / "README.md", "a", encoding="utf-8") as fh:
            fh.write(extra)
    for ds, want in EXPECTED.items():
        got = Counter(r["reason"] for r in ctx.planted if r["dataset"] == ds)
        assert got == Counter(want), f"{ds}: planted {dict(got)} != expected {want}"
    key = lambda r: (r["dataset"], r["file"], r["file_row"])  # noqa: E731
    planted = {
        "note": "SYNTHETIC demo data made by demo/make_demo.py (CC0-1.0)",
        "conventions": CONVENTIONS,
        "bad_items": sorted(ctx.planted, key=key),
        "text_variants": sorted(ctx.variants, key=key),
        "no_dialect_label": sorted(ctx.unlabelled, key=key),
    }
    PLANTED_JSON.write_text(
        json.dumps(planted, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return ctx


# --- verification --------------------------------------------------------------------------

TEXT_COL = {
    "indicst-ml": "text",
    "speech-ml": "text",
    "indicvoices-ml": "sentence",
    "dialects-ml": "translation",
    "rasa-ml": "text",
    "massive-ml": "text",
    "indicnlp-ml": "news",
    "sentiment-ml": "query",
}
LABEL_COL = {"massive-ml": "label", "sentiment-ml": "label"}
# The data files each repo must hold, exactly (besides README.md and, for the audiofolder, WAVs).
LAYOUT = {
    "indicst-ml": [f"data/{s}-00000-of-00001.parquet" for s in ("train", "dev", "test")],
    "speech-ml": [
        "data/test-00000-of-00001.parquet",
        "data/train-00000-of-00002.parquet",
        "data/train-00001-of-00002.parquet",
        "data/validation-00000-of-00001.parquet",
    ],
    "indicvoices-ml": ["metadata.jsonl"],
    "dialects-ml": [DIALECTS_FILE],
    "rasa-ml": [RASA_FILE],
    "massive-ml": [f"{s}/{lang}.json.gz" for s in MASSIVE_SPLITS for lang in ("en", "ml")],
    "indicnlp-ml": ["malayalam-test.jsonl", "malayalam-train.jsonl"],
    "sentiment-ml": [SENTIMENT_FILE],
}
IV_FIELDS = [
    "file_name",
    "verbatim",
    "normalized",
    "sentence",
    "speaker_id",
    "gender",
    "age_group",
    "district",
    "state",
    "task_name",
    "duration",
]


def read_records(path: Path) -> list[dict]:
    """Records of one data file, in file order, the way the readers number them."""
    name = path.name
    if name.endswith(".parquet"):
        return pq.read_table(path).to_pylist()
    if name.endswith((".jsonl", ".json.gz")):
        data = path.read_bytes()
        if name.endswith(".gz"):
            data = gzip.decompress(data)
        return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
    if name.endswith((".csv", ".tsv")):
        with open(path, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh, delimiter="\t" if name.endswith(".tsv") else ","))
    raise ValueError(path)


def _front_matter(readme: str) -> dict:
    assert readme.startswith("---\n"), "README has no YAML front matter"
    head = readme.split("---", 2)[1]
    try:
        import yaml
    except ImportError:  # pragma: no cover - pyyaml is optional
        assert "configs:" in head and "license: cc0-1.0" in head
        return {}
    return yaml.safe_load(head)


def _matches(pattern: str, rel: str) -> bool:
    if pattern.endswith("/**"):
        return rel.startswith(pattern[:-2])
    return fnmatch.fnmatchcase(rel, pattern)


def _decode(data: bytes) -> tuple[str, int, int, float, np.ndarray]:
    with sf.SoundFile(io.BytesIO(data)) as fh:
        x = fh.read(dtype="float32")
        return f"{fh.format}/{fh.subtype}", fh.samplerate, fh.channels, len(x) / fh.samplerate, x


def check_audio_cells(ds: str, file: str, cells: list, bad: dict) -> Counter:
    fmts: Counter = Counter()
    for r, cell in enumerate(cells):
        if cell is None:
            assert bad.get((file, r)) == "missing_audio", (ds, file, r)
            fmts["<null>"] += 1
            continue
        try:
            fmt, rate, ch, dur, _ = _decode(cell["bytes"])
            fmts[f"{fmt} {rate} Hz {ch}ch"] += 1
        except sf.LibsndfileError:
            assert bad.get((file, r)) == "undecodable", (ds, file, r)
            fmts["<undecodable>"] += 1
    return fmts


def verify_layout(ds_dir: Path, recs: dict[str, list[dict]], bad: dict) -> str:
    """Per-repo layout checks; returns a one-line summary."""
    ds = ds_dir.name
    if ds == "indicst-ml":
        cols = ["path", "text", "task", "source_text", "source_language", "tar_lang"]
        rows = [r for f in recs.values() for r in f]
        assert all(list(r) == cols for r in rows), "indicst columns"
        assert {r["task"] for r in rows} == {"asr", "st"}
        st = [r for r in rows if r["task"] == "st"]
        assert all(r["tar_lang"] == "en" and r["text"].isascii() for r in st)
        assert 0.4 <= len(st) / len(rows) <= 0.6, len(st) / len(rows)
        assert not any((ds_dir / r["path"]).exists() for r in rows), "paths must point outside"
        return f"asr {len(rows) - len(st)}, st {len(st)} ({len(st) / len(rows):.0%} English text)"
    if ds == "speech-ml":
        fmts: Counter = Counter()
        for file, rows in recs.items():
            meta = json.loads(pq.read_schema(ds_dir / file).metadata[b"huggingface"])
            assert meta["info"]["features"]["audio"] == HF_AUDIO
            assert [list(r) for r in rows[:1]] == [["audio", "text", "speaker_id", "gender"]]
            fmts += check_audio_cells(ds, file, [r["audio"] for r in rows], bad)
        spl = {}
        for file, rows in recs.items():
            for r in rows:
                spl.setdefault(r["speaker_id"], set()).add(file.split("/")[1].split("-")[0])
        assert all(len(v) == 1 for v in spl.values()), "speaker in two splits"
        return ", ".join(f"{k} {v}" for k, v in sorted(fmts.items()))
    if ds == "indicvoices-ml":
        lines = recs["metadata.jsonl"]
        wavs = {
            p.relative_to(ds_dir).as_posix() for p in (ds_dir / "Data").rglob("*") if p.is_file()
        }
        assert all(w.endswith(".wav") and w.split("/")[1] in ("Train", "Valid") for w in wavs)
        seen, per_spk = set(), {}
        durs = []
        for r, line in enumerate(lines):
            assert list(line) == IV_FIELDS, (r, list(line))
            fn = line["file_name"]
            inside = posixpath.normpath(fn)
            if fn.startswith("/") or inside.startswith(".."):
                assert bad.get(("metadata.jsonl", r)) == "missing_audio", (r, fn)
                continue
            if fn not in wavs:
                assert bad.get(("metadata.jsonl", r)) == "missing_audio", (r, fn)
                continue
            seen.add(fn)
            per_spk.setdefault(line["speaker_id"], []).append(fn.split("/")[1])
            fmt, rate, ch, dur, x = _decode((ds_dir / fn).read_bytes())
            assert (fmt, rate, ch) == ("WAV/PCM_16", IV_SR, 1), (fn, fmt, rate, ch)
            assert abs(dur - line["duration"]) < 0.002, (fn, dur, line["duration"])
            durs.append(dur)
        assert seen == wavs, f"unreferenced WAVs: {sorted(wavs - seen)[:3]}"
        for spk, folders in per_spk.items():
            assert len(set(folders)) == 1, f"{spk} in two split folders"
        n_lines = Counter(line["speaker_id"] for line in lines)
        assert all(2 <= n <= 4 for n in n_lines.values()), n_lines
        return (
            f"{len(wavs)} WAV (PCM16 16 kHz mono, {min(durs):.2f}-{max(durs):.2f} s, sum "
            f"{sum(durs):.0f} s), {len(n_lines)} speakers"
        )
    if ds == "dialects-ml":
        rows = recs[DIALECTS_FILE]
        assert all(list(r) == ["id", "translation"] for r in rows)
        assert [int(r["id"]) for r in rows] == list(range(1, len(rows) + 1))
        return "columns id, translation"
    if ds == "rasa-ml":
        schema = pq.read_schema(ds_dir / RASA_FILE)
        assert schema.names == ["text", *[f"nano_layer_{q}" for q in range(1, 5)], "encoded_len"]
        assert str(schema.field("nano_layer_1").type) == "list<element: int64>"
        for r in recs[RASA_FILE]:
            assert all(len(r[f"nano_layer_{q}"]) == r["encoded_len"] for q in range(1, 5))
        return "columns " + ", ".join(schema.names)
    if ds == "massive-ml":
        for file in recs:
            head = (ds_dir / file).read_bytes()[:10]
            assert head[:2] == b"\x1f\x8b" and head[4:8] == b"\0\0\0\0", f"{file}: gzip mtime"
            assert not head[3] & 0x08, f"{file}: gzip header holds a file name"
            for r in recs[file]:
                assert list(r) == ["id", "label", "label_text", "text", "lang"], file
                assert r["lang"] == file.split("/")[1][:2]
        labels = set(INTENT_COUNTS)
        for s in MASSIVE_SPLITS:
            assert labels <= {r["label"] for r in recs[f"{s}/ml.json.gz"]}, s
            assert labels <= {r["label"] for r in recs[f"{s}/en.json.gz"]}, s
        return "configs ml, en; every intent in every split"
    if ds == "indicnlp-ml":
        for rows in recs.values():
            assert all(list(r) == ["news", "class"] and r["class"] in (0, 1, 2) for r in rows)
        return "fields news, class"
    if ds == "sentiment-ml":
        rows = recs[SENTIMENT_FILE]
        raw = (ds_dir / SENTIMENT_FILE).read_text(encoding="utf-8")
        assert raw.startswith("label\tquery\n")
        allowed = {"Positive", "Negative", "unknown_state", "not-malayalam", "", *MIXED_SPELLINGS}
        assert {r["label"] for r in rows} <= allowed
        return "labels " + fmt_counts(Counter(r["label"] or "<empty>" for r in rows))
    raise AssertionError(f"unknown dataset {ds}")


def dir_size(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(f.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(f.read_bytes()).digest())
    h.update(hashlib.sha256(PLANTED_JSON.read_bytes()).digest())
    return h.hexdigest()


def verify(out: Path) -> None:
    planted = json.loads(PLANTED_JSON.read_text(encoding="utf-8"))
    assert set(planted) >= {"bad_items", "text_variants"}
    dirs = sorted(p for p in out.iterdir() if p.is_dir())
    assert [d.name for d in dirs] == sorted(LAYOUT), [d.name for d in dirs]
    print(f"{'dataset':15} {'rows':>5} {'size':>8}  layout check")
    for ds_dir in dirs:
        ds = ds_dir.name
        files = sorted(
            p.relative_to(ds_dir).as_posix()
            for p in ds_dir.rglob("*")
            if p.is_file() and p.name != "README.md" and not p.name.endswith(".wav")
        )
        assert files == sorted(LAYOUT[ds]), f"{ds}: files {files} != {sorted(LAYOUT[ds])}"
        readme = (ds_dir / "README.md").read_text(encoding="utf-8")
        assert "synthetic" in readme.lower()
        front = _front_matter(readme)
        if front:
            assert front["license"] == "cc0-1.0" and front["configs"], ds
            all_files = [
                p.relative_to(ds_dir).as_posix()
                for p in ds_dir.rglob("*")
                if p.is_file() and p.name != "README.md"
            ]
            for cfg in front["configs"]:
                for df in cfg["data_files"]:
                    paths = df["path"] if isinstance(df["path"], list) else [df["path"]]
                    for pat in paths:
                        assert any(_matches(pat, f) for f in all_files), (ds, cfg, pat)
        recs = {f: read_records(ds_dir / f) for f in LAYOUT[ds]}
        bad = {
            (r["file"], r["file_row"]): r["reason"]
            for r in planted["bad_items"]
            if r["dataset"] == ds
        }
        for r in planted["bad_items"]:
            if r["dataset"] != ds:
                continue
            assert r["row"] == r["file_row"] < len(recs[r["file"]]), r
            rec = recs[r["file"]][r["file_row"]]
            if r["reason"] == "empty_text":
                assert rec[TEXT_COL[ds]] == "", r
            if r["reason"] == "missing_label":
                assert not rec[LABEL_COL[ds]], r
        for v in planted["text_variants"]:
            if v["dataset"] == ds:
                assert recs[v["file"]][v["file_row"]][TEXT_COL[ds]] == v["text"], v
        info = verify_layout(ds_dir, recs, bad)
        n = sum(len(v) for v in recs.values())
        print(f"{ds:15} {n:5d} {dir_size(ds_dir) / 1e6:6.2f}MB  {info}")
    total = dir_size(out.parents[1])
    where = out.parents[1].relative_to(HERE.parent)
    print(f"total size of {where}: {total / 1e6:.2f} MB ({total} bytes)")
    print(f"sha256 over {where} and planted.json: {tree_digest(out.parents[1])}")
    assert total < SIZE_LIMIT, f"demo/hub is {total} bytes, over the {SIZE_LIMIT}-byte limit"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--verify", action="store_true", help="only verify and summarize demo/hub")
    args = ap.parse_args(argv)
    if shutil.which("espeak-ng") is None and not args.verify:
        print("espeak-ng is required (apt-get install espeak-ng)", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    if not args.verify:
        generate_all(HUB_ROOT)
        print(f"generated {HUB_ROOT.relative_to(HERE.parent)} in {time.perf_counter() - t0:.1f} s")
    verify(HUB_ROOT)
    shutil.rmtree(_TMP, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
