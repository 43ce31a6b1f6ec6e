"""What every demo builder shares: the seed and paths, the tables of demo/data/, sentence
generation, espeak-ng speech, audio encoders and the file writers of each Hub layout."""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import string
import struct
import subprocess
import tempfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import soundfile as sf
import soxr

SEED = 20240611
HERE = Path(__file__).resolve().parent.parent  # demo/
HUB_ROOT = HERE / "hub" / "datasets" / "foundry-demo"
PLANTED_JSON = HERE / "planted.json"
SIZE_LIMIT = 15 * 1024 * 1024  # the whole of demo/hub must stay below this

AUDIO_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
HF_STRING = {"dtype": "string", "_type": "Value"}
HF_INT64 = {"dtype": "int64", "_type": "Value"}
HF_AUDIO = {"_type": "Audio"}
HF_INT64_LIST = {"feature": {"dtype": "int64", "_type": "Value"}, "_type": "List"}

# --------------------------------------------------------------------------------------------
# Sentence material (standard modern Malayalam orthography: atomic chillus, au length mark
# U+0D57, ASCII digits, no joiners).  Slot values are substituted into the templates below.
# --------------------------------------------------------------------------------------------

# Sentence material, speakers and districts live in demo/data/*.json (standard modern Malayalam
# orthography: atomic chillus, au length mark U+0D57, ASCII digits, no joiners): slot values
# substituted into the templates, the English the non-Malayalam rows say, the speakers per region.
DATA = HERE / "data"


def _data(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _pairs(rows: list) -> list[tuple]:
    return [tuple(r) for r in rows]


_SLOTS, _TEXTS = _data("slots.json"), _data("templates.json")
_FOREIGN, _SPEAKERS = _data("not_malayalam.json"), _data("speakers.json")
SLOTS: dict[str, list[str]] = _SLOTS["SLOTS"]
PAR_SLOTS: dict[str, list[tuple[str, str]]] = {k: _pairs(v) for k, v in _SLOTS["PAR_SLOTS"].items()}
STT_TEMPLATES = _TEXTS["STT_TEMPLATES"]
INTENT_COUNTS = _TEXTS["INTENT_COUNTS"]
INTENT_TEMPLATES = _TEXTS["INTENT_TEMPLATES"]
SENTIMENT_TEMPLATES = _TEXTS["SENTIMENT_TEMPLATES"]
GENERAL_TEMPLATES = _TEXTS["GENERAL_TEMPLATES"]
DIALECT_TEMPLATES = _TEXTS["DIALECT_TEMPLATES"]
REGION_MARKERS = _TEXTS["REGION_MARKERS"]
EXPRESSIVE_TEMPLATES = _TEXTS["EXPRESSIVE_TEMPLATES"]
ST_TEMPLATES = _pairs(_TEXTS["ST_TEMPLATES"])
MIXED_TEMPLATES = _TEXTS["MIXED_TEMPLATES"]
MANGLISH_TEMPLATES = _TEXTS["MANGLISH_TEMPLATES"]
SENTIMENT_PLAN = _pairs(_TEXTS["SENTIMENT_PLAN"])
MIXED_SPELLINGS = _TEXTS["MIXED_SPELLINGS"]
DIALECT_SHEET = _pairs(_TEXTS["DIALECT_SHEET"])
ENGLISH = _FOREIGN["ENGLISH"]
NOT_MALAYALAM = _FOREIGN["NOT_MALAYALAM"]
ENGLISH_INTENTS = _FOREIGN["ENGLISH_INTENTS"]
STT_VARIANTS = _SPEAKERS["STT_VARIANTS"]
MALE_VARIANTS = _SPEAKERS["MALE_VARIANTS"]
REGIONS = {
    region: {
        **spec,
        "pitch": tuple(spec["pitch"]),
        "speed": tuple(spec["speed"]),
        "speakers": _pairs(spec["speakers"]),
    }
    for region, spec in _SPEAKERS["REGIONS"].items()
}
OTHER_SPEAKERS = _pairs(_SPEAKERS["OTHER_SPEAKERS"])
KERALA_STATE = _SPEAKERS["KERALA_STATE"]
AGE_GROUPS = _SPEAKERS["AGE_GROUPS"]


EXPRESSIVE_COUNT = 60


# --------------------------------------------------------------------------------------------
# Speakers.  An espeak-ng voice variant + pitch (-p) + speed (-s) is one synthetic "speaker".
# Speaker ids are unique across all demo datasets.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Speaker:
    id: str
    voice: str
    pitch: int
    speed: int

    @property
    def gender(self) -> str:
        return "female" if "+f" in self.voice else "male"


def stt_speakers(first: int, n: int) -> list[Speaker]:
    """Speakers spk-<first>.. for one STT dataset; parameters vary with the global index."""
    out = []
    for k in range(first - 1, first - 1 + n):
        out.append(
            Speaker(
                id=f"spk-{k + 1:02d}",
                voice=STT_VARIANTS[k % len(STT_VARIANTS)],
                pitch=35 + (k * 11) % 31,  # 35..65
                speed=168 + (k * 7) % 23,  # 168..190 words/min
            )
        )
    return out


DIALECT_PER_REGION = 30


# --------------------------------------------------------------------------------------------
# Normalizer test variants: each kind is planted into one row per dataset (a handful, not most).
VARIANT_KINDS = ["old_chillu", "nbsp", "soft_hyphen", "ml_digits", "au_sign"]
ATOMIC_TO_OLD_CHILLU = {
    "\u0d7a": "\u0d23\u0d4d\u200d",  # ൺ
    "\u0d7b": "\u0d28\u0d4d\u200d",  # ൻ
    "\u0d7c": "\u0d30\u0d4d\u200d",  # ർ
    "\u0d7d": "\u0d32\u0d4d\u200d",  # ൽ
    "\u0d7e": "\u0d33\u0d4d\u200d",  # ൾ
}
FORBIDDEN_IN_CLEAN = "\u200c\u200d\u00a0\u00ad\u0d4c\u0d4e" + "".join(
    chr(0x0D66 + i) for i in range(10)
)


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------


def _fields(template: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


def generate(
    templates: list[str], n: int, rng: random.Random, taken: set[str] | None = None
) -> list[str]:
    """n distinct sentences, templates used round-robin, slots filled from SLOTS with rng."""
    seen = set(taken or ())
    out: list[str] = []
    exhausted: set[int] = set()
    i = 0
    while len(out) < n:
        if len(exhausted) == len(templates):
            raise RuntimeError(f"templates exhausted after {len(out)} of {n} sentences")
        t = i % len(templates)
        i += 1
        if t in exhausted:
            continue
        tmpl = templates[t]
        for _ in range(60):
            s = tmpl.format(**{f: rng.choice(SLOTS[f]) for f in _fields(tmpl)})
            if s not in seen:
                break
        else:
            exhausted.add(t)
            continue
        seen.add(s)
        out.append(s)
    return out


def check_clean(texts: list[str]) -> None:
    for t in texts:
        bad = [f"U+{ord(c):04X}" for c in t if c in FORBIDDEN_IN_CLEAN]
        assert not bad, f"clean sentence contains {bad}: {t!r}"
        assert "\u0d46\u0d57" not in t, t
        letters = [c for c in t if c.isalpha() or 0x0D00 <= ord(c) <= 0x0D7F]
        assert sum(0x0D00 <= ord(c) <= 0x0D7F for c in letters) == len(letters), t


def make_variant(text: str, kind: str) -> str | None:
    """Return text re-encoded with one normalization problem, or None if it does not apply."""
    if kind == "old_chillu":
        if not any(c in text for c in ATOMIC_TO_OLD_CHILLU):
            return None
        return "".join(ATOMIC_TO_OLD_CHILLU.get(c, c) for c in text)
    if kind == "nbsp":
        if " " not in text:
            return None
        return text.replace(" ", "\u00a0", 1)
    if kind == "soft_hyphen":
        words = text.split(" ")
        w = max(range(len(words)), key=lambda k: len(words[k]))
        word = words[w]
        for j in range(len(word) // 2, len(word)):
            # a syllable boundary: before a consonant that is not part of a conjunct
            if 0x0D15 <= ord(word[j]) <= 0x0D39 and word[j - 1] != "\u0d4d" and j >= 2:
                words[w] = word[:j] + "\u00ad" + word[j:]
                return " ".join(words)
        return None
    if kind == "ml_digits":
        if not any(c.isdigit() for c in text):
            return None
        return "".join(chr(0x0D66 + int(c)) if c.isdigit() else c for c in text)
    if kind == "au_sign":
        if "\u0d57" not in text:
            return None
        return text.replace("\u0d57", "\u0d4c")
    raise ValueError(kind)


def plant_variants(texts: list[str | None], skip: set[int], rng: random.Random) -> dict[int, str]:
    """Re-encode one row per variant kind in place; returns {row: kind}."""
    order = list(range(len(texts)))
    rng.shuffle(order)
    used: dict[int, str] = {}
    for kind in VARIANT_KINDS:
        for r in order:
            if r in skip or r in used or not texts[r]:
                continue
            v = make_variant(texts[r], kind)
            if v is not None:
                texts[r] = v
                used[r] = kind
                break
    return dict(sorted(used.items()))


# --------------------------------------------------------------------------------------------
# Audio helpers
# --------------------------------------------------------------------------------------------

_TMP = Path(tempfile.mkdtemp(prefix="foundry-demo-"))


def espeak(text: str, voice: str, pitch: int, speed: int) -> bytes:
    """espeak-ng WAV bytes (mono PCM16, 22,050 Hz)."""
    out = _TMP / "espeak.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed), "-w", str(out), text],
        check=True,
        capture_output=True,
    )
    return out.read_bytes()


def speak(text: str, spk: Speaker, voice: str | None = None) -> tuple[bytes, np.ndarray, int]:
    wav = espeak(text, voice or spk.voice, spk.pitch, spk.speed)
    x, sr = sf.read(io.BytesIO(wav), dtype="float32")
    return wav, x, sr


def _ogg_crc_table() -> list[int]:
    table = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else (r << 1)
            r &= 0xFFFFFFFF
        table.append(r)
    return table


_OGG_CRC = _ogg_crc_table()


def _ogg_crc(data: bytes) -> int:
    c = 0
    for b in data:
        c = ((c << 8) & 0xFFFFFFFF) ^ _OGG_CRC[((c >> 24) & 0xFF) ^ b]
    return c


def fix_ogg_serial(data: bytes, serial: int) -> bytes:
    """Rewrite the (randomly chosen) OGG stream serial number and page CRCs: reproducible bytes."""
    b = bytearray(data)
    i = 0
    while i < len(b):
        if b[i : i + 4] != b"OggS":
            raise ValueError(f"not an OGG page at byte {i}")
        nseg = b[i + 26]
        length = 27 + nseg + sum(b[i + 27 : i + 27 + nseg])
        page = bytearray(b[i : i + length])
        struct.pack_into("<I", page, 14, serial)
        page[22:26] = b"\0\0\0\0"
        struct.pack_into("<I", page, 22, _ogg_crc(bytes(page)))
        b[i : i + length] = page
        i += length
    return bytes(b)


def encode(
    x: np.ndarray, sr: int, fmt: str, subtype: str, name: str, level: float | None = None
) -> bytes:
    buf = io.BytesIO()
    kw = {} if level is None else {"compression_level": level}
    sf.write(buf, x, sr, format=fmt, subtype=subtype, **kw)
    data = buf.getvalue()
    if fmt == "OGG":
        data = fix_ogg_serial(data, zlib.crc32(name.encode()) & 0xFFFFFFFF)
    if fmt == "WAV" and (k := data.find(b"PEAK", 12, 200)) > 0:
        # libsndfile stamps the current time into the PEAK chunk of float WAVs: zero it
        data = data[: k + 12] + b"\0\0\0\0" + data[k + 16 :]
    return data


def resample(x: np.ndarray, sr: int, target: int) -> np.ndarray:
    return x if sr == target else soxr.resample(x, sr, target, quality="HQ").astype(np.float32)


def trim(x: np.ndarray, sr: int, pad: float = 0.1, thresh: float = 0.01) -> np.ndarray:
    idx = np.nonzero(np.abs(x) > thresh)[0]
    if idx.size == 0:
        return x
    p = int(pad * sr)
    return x[max(0, idx[0] - p) : idx[-1] + p]


def audio_cell(data: bytes | None, path: str) -> dict | None:
    return None if data is None else {"bytes": data, "path": path}


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def write_parquet(
    path: Path, columns: dict[str, pa.Array], features: dict, row_group_size: int | None = None
) -> None:
    table = pa.table(columns)
    meta = {
        b"huggingface": json.dumps({"info": {"features": features}}, ensure_ascii=False).encode()
    }
    table = table.replace_schema_metadata(meta)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", row_group_size=row_group_size)


def write_jsonl(path: Path, records: list[dict], gz: bool = False) -> None:
    """JSON Lines (UTF-8, one object a line); gzip with mtime 0 and no file name: reproducible."""
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    if gz:
        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0, filename="") as fh:
            fh.write(data)
        data = buf.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_delimited(path: Path, header: list[str], rows: list[list], sep: str, eol: str) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, quoting=csv.QUOTE_MINIMAL, lineterminator=eol)
    w.writerow(header)
    w.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode("utf-8"))


def yaml_configs(configs: list[tuple[str, list[tuple[str, list[str]]]]]) -> str:
    """The card's ``configs:`` list: [(config_name, [(split, [path patterns])])]."""
    lines = ["configs:"]
    for name, splits in configs:
        lines += [f"- config_name: {name}", "  data_files:"]
        for split, paths in splits:
            lines.append(f"  - split: {split}")
            if len(paths) == 1:
                lines.append(f"    path: {json.dumps(paths[0], ensure_ascii=False)}")
            else:
                lines.append("    path:")
                lines += [f"    - {json.dumps(p, ensure_ascii=False)}" for p in paths]
    return "\n".join(lines)


def yaml_features(features: dict) -> str:
    """``dataset_info.features`` as ``push_to_hub`` writes it for a parquet repo."""
    lines = ["dataset_info:", "  features:"]
    for col, f in features.items():
        lines.append(f"  - name: {col}")
        if f["_type"] == "Audio":
            lines.append("    dtype: audio")
        elif f["_type"] == "List":
            lines.append(f"    list: {f['feature']['dtype']}")
        else:
            lines.append(f"    dtype: {f['dtype']}")
    return "\n".join(lines)


def write_readme(
    ds_dir: Path,
    name: str,
    mirrors: str,
    header_yaml: str,
    body: str,
    tasks: list[str],
    languages: tuple[str, ...] = ("ml",),
    speech: bool = False,
) -> None:
    front = "\n".join(
        [
            "---",
            "license: cc0-1.0",
            "language:",
            *[f"- {lang}" for lang in languages],
            f'pretty_name: "Foundry demo: {name} (synthetic)"',
            "task_categories:",
            *[f"- {t}" for t in tasks],
            "tags:",
            "- synthetic",
            "- foundry-demo",
            *(["- espeak-ng"] if speech else []),
            header_yaml,
            "---",
        ]
    )
    made = (
        "speech rendered with the espeak-ng Malayalam voice;\nsentences written for the demo"
        if speech
        else "sentences written for the demo"
    )
    text = f"""{front}

# foundry-demo/{name} — SYNTHETIC demo data

**This dataset is synthetic** (CC0-1.0). It was generated by `demo/make_demo.py` of the
Malayalam Data Foundry ({made}; nothing is taken from any real dataset). It stands in for
[`{mirrors}`](https://huggingface.co/datasets/{mirrors})
and copies that repo's **file layout** (file names, format, columns), so that the workflow's
readers can be exercised offline; it is not useful for training a real model.

{body.strip()}

Regenerate with `python demo/make_demo.py`; `demo/planted.json` lists every planted bad row and
normalization variant, and `demo/README.md` explains why they are there.
"""
    ds_dir.mkdir(parents=True, exist_ok=True)
    (ds_dir / "README.md").write_text(text, encoding="utf-8")


def fmt_counts(counts: Counter) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: str(kv[0])))


def planted_table(records: list[dict]) -> str:
    lines = ["| file | row in file | planted | expected reject |", "|---|---|---|---|"]
    for r in records:
        reason = f"`{r['reason']}`" if r["reason"] else "- (kept)"
        lines.append(f"| `{r['file']}` | {r['file_row']} | {r['what']} | {reason} |")
    return "\n".join(lines)


def _insert(rows: list, planted: dict[int, object]) -> list:
    """Insert planted rows so that each ends up at exactly its key position."""
    out = list(rows)
    for pos in sorted(planted):
        out.insert(pos, planted[pos])
    return out


# --------------------------------------------------------------------------------------------
# Datasets
# --------------------------------------------------------------------------------------------


class Ctx:
    def __init__(self) -> None:
        self.planted: list[dict] = []
        self.variants: list[dict] = []
        self.unlabelled: list[dict] = []

    def sub(self, label: str) -> random.Random:
        """An independent, reproducible stream per purpose (adding one does not shift others)."""
        return random.Random(f"{SEED}:{label}")

    def plant(self, ds: str, file: str, file_row: int, reason: str | None, what: str) -> None:
        self.planted.append(
            {
                "dataset": ds,
                "file": file,
                "row": file_row,
                "file_row": file_row,
                "reason": reason,
                "what": what,
            }
        )

    def plant_variants(
        self, ds: str, addrs: list[tuple[str, int]], texts: list, skip: set[int]
    ) -> None:
        """Re-encode one row per variant kind (texts changed in place) and record where."""
        for i, kind in plant_variants(texts, skip, self.sub(ds + ":variants")).items():
            f, r = addrs[i]
            self.variants.append(
                {"dataset": ds, "file": f, "row": r, "file_row": r, "kind": kind, "text": texts[i]}
            )


class Pool:
    """The shared pool of IVR sentences; each is used once across the demo datasets."""

    def __init__(self, sentences: list[str]) -> None:
        self.sentences = sentences
        self.next = 0

    def take(self) -> str:
        s = self.sentences[self.next]
        self.next += 1
        return s


def stt_pool(ctx: Ctx) -> Pool:
    pool = generate(STT_TEMPLATES, 210, ctx.sub("stt-pool"))
    check_clean(pool)
    return Pool(pool)


def generate_parallel(
    templates: list[tuple[str, str]], n: int, rng: random.Random
) -> list[tuple[str, str]]:
    """n distinct (Malayalam, English) pairs from parallel templates and PAR_SLOTS."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    i = 0
    while len(out) < n:
        ml, en = templates[i % len(templates)]
        i += 1
        for _ in range(30):
            vals = {f: rng.choice(PAR_SLOTS[f]) for f in _fields(ml)}
            s = ml.format(**{f: v[0] for f, v in vals.items()})
            if s not in seen:
                seen.add(s)
                out.append((s, en.format(**{f: v[1] for f, v in vals.items()})))
                break
        if i > 50 * n:
            raise RuntimeError("parallel templates exhausted")
    return out
