"""The speech datasets: indicst-ml (audio paths into other corpora), speech-ml (parquet with
embedded audio in six formats) and indicvoices-ml (audiofolder with districts)."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa

from builders.common import (
    AGE_GROUPS,
    AUDIO_TYPE,
    DIALECT_PER_REGION,
    DIALECT_TEMPLATES,
    ENGLISH,
    HF_AUDIO,
    HF_STRING,
    KERALA_STATE,
    MALE_VARIANTS,
    OTHER_SPEAKERS,
    REGION_MARKERS,
    REGIONS,
    ST_TEMPLATES,
    Ctx,
    Pool,
    Speaker,
    _insert,
    audio_cell,
    check_clean,
    encode,
    fmt_counts,
    generate,
    generate_parallel,
    resample,
    speak,
    stt_speakers,
    trim,
    write_jsonl,
    write_parquet,
    write_readme,
    yaml_configs,
    yaml_features,
)

# --- indicst-ml: parquet, text only, audio as paths into upstream corpora --------------------

INDICST_SPLITS = [("train", 56, 54), ("dev", 10, 10), ("test", 11, 9)]  # (split, asr, st)


def upstream_path(rng: random.Random, corpus: str, split: str) -> str:
    """A made-up path into an upstream corpus (none of them is in the repo), shaped like theirs."""
    if corpus == "kathbath":
        ks = {"train": "train", "dev": "valid", "test": "test_known"}[split]
        return (
            f"kathbath/malayalam/{ks}/audio/{rng.randrange(10**14, 10**15)}"
            f"-{rng.randrange(1000, 10000)}-{rng.choice('mf')}.m4a"
        )
    if corpus == "indic_tts":
        g = rng.choice(["male", "female"])
        return f"indic_tts/ml/{g}/train_malayalam{g}_{rng.randrange(1, 9000):05d}.wav"
    if corpus == "shrutilipi":
        return (
            f"shrutilipi/malayalam/newsonair/ml_{rng.randrange(2018, 2023)}_"
            f"{rng.randrange(1, 13):02d}_{rng.randrange(1, 29):02d}_{rng.randrange(1, 200):04d}.wav"
        )
    if corpus == "mucs":
        return (
            f"mucs/malayalam/{split}/audio/{rng.randrange(1000, 10000)}_"
            f"{rng.randrange(100000, 1000000)}.wav"
        )
    return f"spring_inx/malayalam/{split}/wav/SPRING_INX_ML_{rng.randrange(1, 100000):05d}.wav"


def build_indicst(ctx: Ctx, pool: Pool, out: Path) -> None:
    name = "indicst-ml"
    ds = out / name
    n_st = sum(s for _, _, s in INDICST_SPLITS)
    st_pairs = generate_parallel(ST_TEMPLATES, n_st, ctx.sub(name + ":st"))
    check_clean([p[0] for p in st_pairs])
    pairs = iter(st_pairs)
    prng = ctx.sub(name + ":paths")
    used_paths: set[str] = set()

    def new_path(corpus: str, split: str) -> str:
        while (p := upstream_path(prng, corpus, split)) in used_paths:
            pass
        used_paths.add(p)
        return p

    files, addrs, texts, skip = {}, [], [], set()
    counts: Counter = Counter()
    for split, n_asr, n_st_split in INDICST_SPLITS:
        rows = []
        for _ in range(n_asr):
            corpus = prng.choice(["kathbath", "kathbath", "indic_tts", "shrutilipi", "mucs"])
            t = pool.take()
            rows.append([new_path(corpus, split), t, "asr", t, "ml", "ml"])
        for _ in range(n_st_split):
            corpus = prng.choice(["kathbath", "indic_tts", "spring_inx"])
            ml, en = next(pairs)
            rows.append([new_path(corpus, split), en, "st", ml, "ml", "en"])
        ctx.sub(f"{name}:{split}:order").shuffle(rows)
        file = f"data/{split}-00000-of-00001.parquet"
        if split == "train":
            rows = _insert(rows, {23: [new_path("kathbath", split), "", "asr", "", "ml", "ml"]})
            ctx.plant(name, file, 23, "empty_text", "asr row with an empty transcript")
            skip.add(len(texts) + 23)
        for r, row in enumerate(rows):
            addrs.append((file, r))
            texts.append(row[1] if row[2] == "asr" else None)  # variants in asr text only
            counts[(split, row[2])] += 1
        files[file] = rows
    ctx.plant_variants(name, addrs, texts, skip)
    k = 0
    feats = {c: HF_STRING for c in ["path", "text", "task", "source_text", "source_language"]}
    feats["tar_lang"] = HF_STRING
    for file, rows in files.items():
        for row in rows:
            if texts[k] is not None:
                row[1] = row[3] = texts[k]  # asr: source_text is the transcript itself
            k += 1
        cols = list(zip(*rows, strict=True))
        write_parquet(
            ds / file,
            {c: pa.array(list(v), type=pa.string()) for c, v in zip(feats, cols, strict=True)},
            feats,
        )
    n_rows = sum(len(r) for r in files.values())
    st_share = sum(v for (s, t), v in counts.items() if t == "st") / n_rows
    by_split = fmt_counts(Counter({f"{s}/{t}": v for (s, t), v in counts.items()}))
    body = f"""
## Layout (as the real repo)

Parquet **without audio**: `data/train-00000-of-00001.parquet`,
`data/dev-00000-of-00001.parquet`, `data/test-00000-of-00001.parquet` (splits train/dev/test;
the real one also has a `kathbath` split). String columns `path`, `text`, `task`,
`source_text`, `source_language`, `tar_lang`. `path` is a relative path into one of the
upstream corpora (kathbath, indic_tts, shrutilipi, mucs, spring_inx) — **those files are not in
the repo**, exactly like the real dataset.

* `task` = `asr`: `text` is the Malayalam transcript (`source_text` repeats it), `source_language`
  `ml`, `tar_lang` `ml`.
* `task` = `st`: speech translation; `source_text` is the Malayalam transcript, `text` the
  **English** translation, `tar_lang` `en`.

{n_rows} rows ({by_split}); {st_share:.0%} of the rows have English `text`, like the
~49 % of the real one. The foundry reads only the `asr` rows' `text` (row filter
`task == asr`) for the text engine.
"""
    write_readme(
        ds,
        name,
        "Be-win/IndicST-malayalam-only",
        yaml_configs(
            [
                (
                    "default",
                    [(s, [f"data/{s}-*"]) for s, _, _ in INDICST_SPLITS],
                )
            ]
        )
        + "\n"
        + yaml_features(feats),
        body,
        ["automatic-speech-recognition", "translation"],
        languages=("ml", "en"),
    )


# --- speech-ml: parquet with embedded audio, sharded train + validation + test ---------------

SPEECH_FORMATS = ["wav22", "flac_stereo", "vorbis", "opus", "mp3", "wav8k"]
SPEECH_EXT = {
    "wav22": "wav",
    "flac_stereo": "flac",
    "vorbis": "ogg",
    "opus": "opus",
    "mp3": "mp3",
    "wav8k": "wav",
}
# split -> (clips per speaker, {position in that split's rows: planted kind})
SPEECH_PLAN = {
    "train": (
        [4, 4, 3] * 4,
        {
            9: "undecodable",
            17: "empty_audio",
            22: "non_finite",
            30: "clipping",
            33: "duplicate_audio",
            38: "missing_audio",
            44: "too_long",
            49: "non_malayalam_text",
        },
    ),
    "validation": ([4, 3, 4], {6: "silence"}),
    "test": ([4, 4, 3], {8: "empty_text"}),
}
SPEECH_ORIGINAL = 5  # train row whose audio row 33 re-uploads


def encode_as(kind: str, x: np.ndarray, sr: int, path: str, alt: bool) -> bytes:
    """Encode mono float audio at sr in one of the SPEECH_FORMATS (alt picks the other rate)."""
    if kind == "wav22":
        return encode(resample(x, sr, 22050), 22050, "WAV", "PCM_16", path)
    if kind == "wav8k":
        return encode(resample(x, sr, 8000), 8000, "WAV", "PCM_16", path)
    if kind == "flac_stereo":
        sr_out = 48000 if alt else 44100
        y = resample(x, sr, sr_out)
        stereo = np.stack([y, np.clip(y * 0.9, -1.0, 1.0)], axis=1)  # 2nd channel 10 % quieter
        return encode(stereo, sr_out, "FLAC", "PCM_16", path)
    if kind == "vorbis":
        sr_out = 48000 if alt else 22050
        return encode(resample(x, sr, sr_out), sr_out, "OGG", "VORBIS", path, level=0.7)
    if kind == "opus":
        return encode(resample(x, sr, 48000), 48000, "OGG", "OPUS", path, level=0.6)
    if kind == "mp3":
        sr_out = 48000 if alt else 22050
        return encode(resample(x, sr, sr_out), sr_out, "MP3", "MPEG_LAYER_III", path, level=0.6)
    raise ValueError(kind)


def build_speech(ctx: Ctx, pool: Pool, out: Path) -> None:
    name = "speech-ml"
    ds = out / name
    speakers = stt_speakers(1, 18)
    by_split = {"train": speakers[:12], "validation": speakers[12:15], "test": speakers[15:]}
    rng = ctx.sub(name)
    clip_no: Counter = Counter()

    def path_for(spk: Speaker, ext: str) -> str:
        clip_no[spk.id] += 1
        return f"{spk.id}_{clip_no[spk.id]:03d}.{ext}"

    split_rows: dict[str, list[dict]] = {}
    fmt_i = 0
    for split, (counts, plants) in SPEECH_PLAN.items():
        rows = [
            {"spk": s, "text": pool.take(), "kind": None}
            for s, c in zip(by_split[split], counts, strict=True)
            for _ in range(c)
        ]
        ctx.sub(f"{name}:{split}:order").shuffle(rows)
        for row in rows:
            row["kind"] = SPEECH_FORMATS[fmt_i % len(SPEECH_FORMATS)]
            row["alt"] = (fmt_i // len(SPEECH_FORMATS)) % 2 == 1
            fmt_i += 1
        if split == "train":
            rows[SPEECH_ORIGINAL]["kind"] = "wav22"  # the original of the re-upload
        for row in rows:
            _, x, sr = speak(row["text"], row["spk"])
            p = path_for(row["spk"], SPEECH_EXT[row["kind"]])
            row["audio"] = audio_cell(encode_as(row["kind"], x, sr, p, row["alt"]), p)
        planted = {}
        for pos, kind in sorted(plants.items()):
            spk = rows[min(pos, len(rows)) - 1]["spk"]
            row = {"spk": spk, "text": pool.take(), "plant": kind}
            if kind == "undecodable":
                p = path_for(spk, "wav")
                row["audio"] = audio_cell(bytes(rng.getrandbits(8) for _ in range(6000)), p)
                row["what"] = "6,000 random bytes named .wav"
            elif kind == "empty_audio":
                p = path_for(spk, "wav")
                row["audio"] = audio_cell(
                    encode(np.zeros(0, np.float32), 22050, "WAV", "PCM_16", p), p
                )
                row["what"] = "valid PCM16 WAV header with zero frames"
            elif kind == "non_finite":
                _, x, sr = speak(row["text"], spk)
                x = x.copy()
                x[2000:2400] = np.nan
                p = path_for(spk, "wav")
                row["audio"] = audio_cell(encode(x, sr, "WAV", "FLOAT", p), p)
                row["what"] = "float32 WAV (22,050 Hz) with 400 NaN samples"
            elif kind == "clipping":
                _, x, sr = speak(row["text"], spk)
                y = np.clip(resample(x, sr, 44100) * 20.0, -1.0, 1.0)
                p = path_for(spk, "flac")
                row["audio"] = audio_cell(encode_as("flac_stereo", y, 44100, p, False), p)
                row["what"] = "speech scaled x20 and hard-clipped to full scale (stereo FLAC)"
            elif kind == "duplicate_audio":
                orig = rows[SPEECH_ORIGINAL]
                row.update(spk=orig["spk"], text=orig["text"])
                p = orig["audio"]["path"].replace(".wav", "_reupload.wav")
                row["audio"] = audio_cell(orig["audio"]["bytes"], p)
                row["what"] = (
                    f"byte-identical audio (and text, speaker) of train-00000 row {SPEECH_ORIGINAL}"
                )
            elif kind == "missing_audio":
                row["audio"] = None
                row["what"] = "audio is null (text and speaker present)"
            elif kind == "too_long":
                parts, said = [], []
                while sum(len(q) for q in parts) < 40.0 * 22050:
                    s = pool.take() if said else row["text"]
                    _, x, sr = speak(s, spk)
                    parts += [x, np.zeros(int(0.3 * sr), np.float32)]
                    said.append(s)
                x = np.concatenate(parts)
                row["text"] = " ".join(said)
                p = path_for(spk, "opus")
                y = resample(x, sr, 48000)
                row["audio"] = audio_cell(encode(y, 48000, "OGG", "OPUS", p, level=0.9), p)
                row["what"] = f"{len(x) / sr:.1f} s of concatenated speech (Opus, low bitrate)"
            elif kind == "non_malayalam_text":
                _, x, sr = speak(ENGLISH[0], spk, voice="en" + spk.voice[2:])
                row["text"] = ENGLISH[0]
                p = path_for(spk, "mp3")
                row["audio"] = audio_cell(encode_as("mp3", x, sr, p, False), p)
                row["what"] = "English speech (espeak-ng en) with its English transcript"
            elif kind == "silence":
                p = path_for(spk, "flac")
                z = np.zeros(3 * 48000, np.float32)
                row["audio"] = audio_cell(encode_as("flac_stereo", z, 48000, p, True), p)
                row["what"] = "3 s of digital silence (stereo FLAC, 48 kHz)"
            elif kind == "empty_text":
                _, x, sr = speak(row["text"], spk)
                p = path_for(spk, "ogg")
                row["audio"] = audio_cell(encode_as("vorbis", x, sr, p, False), p)
                row["text"] = ""
                row["what"] = "good audio (OGG Vorbis), empty text"
            planted[pos] = row
        split_rows[split] = _insert(rows, planted)
    half = len(split_rows["train"]) // 2
    files = {
        "data/train-00000-of-00002.parquet": split_rows["train"][:half],
        "data/train-00001-of-00002.parquet": split_rows["train"][half:],
        "data/validation-00000-of-00001.parquet": split_rows["validation"],
        "data/test-00000-of-00001.parquet": split_rows["test"],
    }
    addrs, texts, skip = [], [], set()
    for file, rows in files.items():
        for r, row in enumerate(rows):
            if "plant" in row:
                ctx.plant(name, file, r, row["plant"], row["what"])
                skip.add(len(texts))
            if file.startswith("data/train-00000") and r == SPEECH_ORIGINAL:
                ctx.plant(name, file, r, None, "original of the re-uploaded duplicate (kept)")
                skip.add(len(texts))
            addrs.append((file, r))
            texts.append(row["text"])
    ctx.plant_variants(name, addrs, texts, skip)
    feats = {"audio": HF_AUDIO, "text": HF_STRING, "speaker_id": HF_STRING, "gender": HF_STRING}
    k = 0
    for file, rows in files.items():
        for row in rows:
            row["text"] = texts[k]
            k += 1
        write_parquet(
            ds / file,
            {
                "audio": pa.array([r["audio"] for r in rows], type=AUDIO_TYPE),
                "text": pa.array([r["text"] for r in rows], type=pa.string()),
                "speaker_id": pa.array([r["spk"].id for r in rows], type=pa.string()),
                "gender": pa.array([r["spk"].gender for r in rows], type=pa.string()),
            },
            feats,
            row_group_size=16,
        )
    per_file = ", ".join(f"`{f}` {len(r)}" for f, r in files.items())
    body = f"""
## Layout (as the real repo)

Parquet with the audio **embedded** (HF `Audio` feature: a struct of `bytes` and `path`, declared
in the parquet's `huggingface` schema metadata): {per_file} rows (row groups of 16).
Columns `audio`, `text` (Malayalam transcript), `speaker_id`, `gender` (male/female from the
espeak-ng voice variant). The real repo has 47 train shards of ~1.46 GB; the two small train
shards keep the `-0000N-of-0000M` naming.

Short IVR utterances by 18 synthetic speakers (train spk-01…12, validation spk-13…15, test
spk-16…18: speaker-disjoint splits), encoded in rotating source formats as they turn up on the
Hub: PCM16 WAV 22,050 Hz (espeak-ng output), **stereo** FLAC 44,100/48,000 Hz (2nd channel
10 % quieter), OGG Vorbis 22,050/48,000 Hz, OGG Opus 48,000 Hz, MP3 22,050/48,000 Hz and
telephone-band PCM16 WAV at 8,000 Hz. This is the demo's main speech-to-text source and holds
the planted **audio** faults.
"""
    write_readme(
        ds,
        name,
        "ayush-shunyalabs/malayalam-speech-dataset",
        yaml_configs(
            [
                (
                    "default",
                    [
                        ("train", ["data/train-*"]),
                        ("validation", ["data/validation-*"]),
                        ("test", ["data/test-*"]),
                    ],
                )
            ]
        )
        + "\n"
        + yaml_features(feats),
        body,
        ["automatic-speech-recognition"],
        speech=True,
    )


# --- indicvoices-ml: audiofolder (Data/Train, Data/Valid + root metadata.jsonl) --------------

IV_PLANTS = {  # position among the Train lines -> (kind, region, speaker index in the region)
    7: ("too_short", "Travancore", 2),
    23: ("missing_file", "Cochin", 3),
    41: ("silence", "Malabar", 4),
    58: ("escape", "Cochin", 8),
}
IV_SR = 16000


def _spread(lo: int, hi: int, n: int, j: int) -> int:
    return lo + round(j * (hi - lo) / (n - 1))


def _shown(d: str | None) -> str:
    """A district as Markdown code; quoted when empty or padded, so the spaces stay visible."""
    if d is None:
        return "null"
    return f'`"{d}"`' if d != d.strip() or not d else f"`{d}`"


def build_indicvoices(ctx: Ctx, pool: Pool, out: Path) -> None:
    name = "indicvoices-ml"
    ds = out / name
    candidates = iter(generate(DIALECT_TEMPLATES, 300, ctx.sub("dialect-pool")))
    rng = ctx.sub(name)

    def dialect_clip(spk: Speaker, marker: str | None = None) -> tuple[str, np.ndarray]:
        """A short phrase (optionally + a regional marker) that lasts 0.8-2.5 s, padded to 1 s."""
        while True:
            core = next(candidates)
            text = f"{core}, {marker}" if marker else core
            _, x, sr = speak(text, spk)
            x = trim(x, sr)
            if 0.8 <= len(x) / sr <= 2.5:
                break
        if len(x) / sr < 1.0:
            x = np.concatenate([x, np.zeros(int((1.0 - len(x) / sr) * sr) + 1, np.float32)])
        return text, resample(x, sr, IV_SR)

    spk_no = 41
    speakers: dict[tuple[str, int], dict] = {}
    lines: dict[str, list[dict]] = {"Train": [], "Valid": []}
    per_region: Counter = Counter()
    for region, spec in REGIONS.items():
        n = len(spec["speakers"])
        markers = REGION_MARKERS[region]
        k = 0
        for j, (district, clips, folder) in enumerate(spec["speakers"]):
            spk = Speaker(
                f"spk-{spk_no:02d}",
                MALE_VARIANTS[(spec["v0"] + j) % len(MALE_VARIANTS)],
                _spread(*spec["pitch"], n, j),
                _spread(*spec["speed"], n, (j * 7) % n),
            )
            spk_no += 1
            info = {
                "spk": spk,
                "district": district,
                "state": KERALA_STATE.get(district, "Kerala"),
                "region": region,
                "folder": folder,
                "age": AGE_GROUPS[j % len(AGE_GROUPS)],
                "task": "short_phrases",
            }
            speakers[(region, j)] = info
            for _ in range(clips):
                marker = markers[(k // 3) % len(markers)] if k % 3 == 2 else None
                text, y = dialect_clip(spk, marker)
                lines[folder].append({**info, "text": text, "audio": y})
                per_region[region] += 1
                k += 1
    assert set(per_region.values()) == {DIALECT_PER_REGION}, per_region
    for j, spk in enumerate(stt_speakers(spk_no, len(OTHER_SPEAKERS))):
        district, state, clips, folder = OTHER_SPEAKERS[j]
        info = {
            "spk": spk,
            "district": district,
            "state": state,
            "region": None,
            "folder": folder,
            "age": AGE_GROUPS[(j + 1) % len(AGE_GROUPS)],
            "task": "read_speech",
        }
        for _ in range(clips):
            text = pool.take()
            _, x, sr = speak(text, spk)
            lines[folder].append({**info, "text": text, "audio": resample(trim(x, sr), sr, IV_SR)})
    for folder in lines:
        ctx.sub(f"{name}:{folder}:order").shuffle(lines[folder])
    planted = {}
    for pos, (kind, region, j) in IV_PLANTS.items():
        info = speakers[(region, j)]
        core, y = dialect_clip(info["spk"])
        row = {**info, "text": core, "audio": y, "plant": kind}
        if kind == "too_short":
            _, x, sr = speak(core, info["spk"])
            mid = len(x) // 2
            row["audio"] = resample(x[mid : mid + int(0.2 * sr)], sr, IV_SR)
            row["reason"], row["what"] = "too_short", "0.2 s excerpt from the middle of a phrase"
        elif kind == "silence":
            row["audio"] = np.zeros(2 * IV_SR, np.float32)
            row["reason"], row["what"] = "silence", "2 s of digital silence (PCM16 WAV)"
        elif kind == "missing_file":
            row["reason"] = "missing_audio"
            row["what"] = "file_name points to a WAV that is not in the repo"
        else:
            row["reason"] = "missing_audio"
            row["what"] = "file_name `../../etc/passwd` escapes the repo: must be refused"
        planted[pos] = row
    all_lines = _insert(lines["Train"], planted) + lines["Valid"]
    n = 0
    for row in all_lines:
        if row.get("plant") == "escape":
            row["file_name"] = "../../etc/passwd"
            continue
        n += 1
        row["file_name"] = f"Data/{row['folder']}/iv_{n:04d}.wav"
    file = "metadata.jsonl"
    texts = [row["text"] for row in all_lines]
    skip = {i for i, row in enumerate(all_lines) if "plant" in row}
    ctx.plant_variants(name, [(file, i) for i in range(len(all_lines))], texts, skip)
    records = []
    for i, row in enumerate(all_lines):
        dur = len(row["audio"]) / IV_SR
        if "plant" not in row or row["plant"] in ("too_short", "silence"):
            wav = encode(row["audio"], IV_SR, "WAV", "PCM_16", row["file_name"])
            (ds / row["file_name"]).parent.mkdir(parents=True, exist_ok=True)
            (ds / row["file_name"]).write_bytes(wav)
        if "plant" in row:
            ctx.plant(name, file, i, row["reason"], row["what"])
        verbatim = row["text"] if rng.random() > 0.15 else "[noise] " + row["text"]
        records.append(
            {
                "file_name": row["file_name"],
                "verbatim": verbatim,
                "normalized": texts[i],
                "sentence": texts[i],
                "speaker_id": row["spk"].id,
                "gender": row["spk"].gender.capitalize(),
                "age_group": row["age"],
                "district": row["district"],
                "state": row["state"],
                "task_name": row["task"],
                "duration": round(dur, 3),
            }
        )
        if row["region"] is None:
            ctx.unlabelled.append(
                {
                    "dataset": name,
                    "file": file,
                    "row": i,
                    "file_row": i,
                    "district": row["district"],
                    "state": row["state"],
                    "what": "outside Kerala"
                    if row["state"] not in ("Kerala", "") and row["state"]
                    else "unknown or empty district",
                }
            )
    write_jsonl(ds / file, records)
    n_out = sum(1 for s in OTHER_SPEAKERS if s[1] not in ("Kerala", "", None))
    n_unknown = len(OTHER_SPEAKERS) - n_out
    folders = Counter(p.parent.name for p in (ds / "Data").rglob("*.wav"))
    outside = ", ".join(
        f"{_shown(d)} ({s})" for d, s, _, _ in OTHER_SPEAKERS if s not in ("Kerala", "", None)
    )
    unknown = ", ".join(_shown(d) for d, s, _, _ in OTHER_SPEAKERS if s in ("Kerala", "", None))
    spellings = "\n".join(
        f"* {region} (espeak pitch {spec['pitch'][0]}-{spec['pitch'][1]}, "
        f"{spec['speed'][0]}-{spec['speed'][1]} words/min): "
        + ", ".join(_shown(d) for d, _, _ in spec["speakers"])
        for region, spec in REGIONS.items()
    )
    body = f"""
## Layout (as the real repo)

An **audiofolder**: {folders["Train"]} WAV files under `Data/Train/` and {folders["Valid"]} under
`Data/Valid/` (capitalised folders, as the real repo), mono PCM16 at 16 kHz, and **one**
`metadata.jsonl` at the repo root with one JSON object per line ({len(records)} lines):
`file_name` (path relative to the repo root, e.g. `Data/Train/iv_0001.wav`), `verbatim`,
`normalized`, `sentence` (= `normalized`; the real repo's last commit added it), `speaker_id`,
`gender`, `age_group`, `district`, `state`, `task_name`, `duration` (seconds). Each speaker has
2-4 clips, all in one split folder.

The card's `configs:` declares the split-folder convention (`Data/Train/**` → train,
`Data/Valid/**` → validation); the root `metadata.jsonl` describes the files of both folders
(readers take it as the audiofolder's metadata and the split from the folder in `file_name`;
see `demo/README.md` for how `datasets` itself treats this layout).

Feeds **stt** (text from `sentence`) and **dialect** (label from `district`, mapped to
Travancore / Cochin / Malabar by the config's `dialect_map`). {fmt_counts(per_region)} good clips
per region; the "dialect" is a synthetic stand-in — each region is rendered with its own pitch
range and speaking rate (Travancore low and slow, Cochin middle, Malabar high and fast), male
voices only, some phrases ending in a regional discourse marker. {n_out} speakers from outside
Kerala and {n_unknown} with an unknown or empty district (2 clips each) read IVR sentences: they
must get **no** dialect label (fine for stt).

District spellings as written in `metadata.jsonl`, one per speaker:

{spellings}
* outside Kerala (no label): {outside}
* unknown or empty (no label): {unknown}
"""
    write_readme(
        ds,
        name,
        "CXDuncan/Malayalam-IndicVoices",
        yaml_configs(
            [("default", [("train", ["Data/Train/**"]), ("validation", ["Data/Valid/**"])])]
        ),
        body,
        ["automatic-speech-recognition", "audio-classification"],
        speech=True,
    )
