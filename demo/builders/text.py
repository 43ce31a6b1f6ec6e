"""The text datasets: dialects-ml (CSV), rasa-ml (parquet with codec tokens), massive-ml (JSON
Lines per split), indicnlp-ml (JSON Lines) and sentiment-ml (code-mixed TSV)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow as pa

from builders.common import (
    DIALECT_SHEET,
    ENGLISH,
    ENGLISH_INTENTS,
    EXPRESSIVE_COUNT,
    EXPRESSIVE_TEMPLATES,
    GENERAL_TEMPLATES,
    HF_INT64,
    HF_INT64_LIST,
    HF_STRING,
    INTENT_COUNTS,
    INTENT_TEMPLATES,
    MANGLISH_TEMPLATES,
    MIXED_SPELLINGS,
    MIXED_TEMPLATES,
    NOT_MALAYALAM,
    SENTIMENT_PLAN,
    SENTIMENT_TEMPLATES,
    Ctx,
    _insert,
    check_clean,
    generate,
    write_delimited,
    write_jsonl,
    write_parquet,
    write_readme,
    yaml_configs,
    yaml_features,
)

# --- dialects-ml: one CSV at the root ------------------------------------------------------

DIALECTS_FILE = "Dialects - Sheet1.csv"


def build_dialects(ctx: Ctx, out: Path) -> None:
    name = "dialects-ml"
    ds = out / name
    check_clean([t for pair in DIALECT_SHEET for t in pair])
    texts: list[str] = [f"{d} = {s}" for d, s in DIALECT_SHEET]
    texts = _insert(texts, {11: ""})
    ctx.plant(name, DIALECTS_FILE, 11, "empty_text", "empty translation")
    ctx.plant_variants(name, [(DIALECTS_FILE, i) for i in range(len(texts))], texts, {11})
    rows = [[i + 1, t] for i, t in enumerate(texts)]
    write_delimited(ds / DIALECTS_FILE, ["id", "translation"], rows, ",", "\r\n")
    body = f"""
## Layout (as the real repo)

**One CSV at the repo root**, named exactly `{DIALECTS_FILE}` (a Google Sheets export: comma
separated, `\\r\\n` line ends, quoted where a cell holds a comma), columns `id` (int) and
`translation` (string). {len(rows)} rows (the real one has 9): each `translation` is a short
regional phrase and its standard Malayalam form, written `regional = standard`. **No audio and no
dialect label**: it feeds only the text engine.
"""
    write_readme(
        ds,
        name,
        "Aby003/Malayalam_Dialects",
        yaml_configs([("default", [("train", [DIALECTS_FILE])])]),
        body,
        ["text-generation", "translation"],
    )


# --- rasa-ml: parquet, text + nano-codec token ids -----------------------------------------

RASA_FILE = "data/train-00000-of-00001.parquet"


def build_rasa(ctx: Ctx, out: Path) -> None:
    name = "rasa-ml"
    ds = out / name
    texts = generate(EXPRESSIVE_TEMPLATES, EXPRESSIVE_COUNT, ctx.sub(name))
    check_clean(texts)
    ctx.sub(name + ":order").shuffle(texts)
    texts = _insert(texts, {17: "", 44: ENGLISH[3]})
    ctx.plant(name, RASA_FILE, 17, "empty_text", "empty text (codes present)")
    ctx.plant(name, RASA_FILE, 44, "non_malayalam_text", "English text")
    ctx.plant_variants(name, [(RASA_FILE, i) for i in range(len(texts))], texts, {17, 44})
    rng = ctx.sub(name + ":codes")
    layers: list[list[list[int]]] = [[], [], [], []]
    lens = []
    for t in texts:
        frames = max(2, round(len(t) / 14.0 * 12.5))  # ~14 chars/s speech, 12.5 codec frames/s
        lens.append(frames)
        for layer in layers:
            layer.append([rng.randrange(4032) for _ in range(frames)])
    feats = {"text": HF_STRING}
    cols = {"text": pa.array(texts, type=pa.string())}
    for q in range(4):
        feats[f"nano_layer_{q + 1}"] = HF_INT64_LIST
        cols[f"nano_layer_{q + 1}"] = pa.array(layers[q], type=pa.list_(pa.int64()))
    feats["encoded_len"] = HF_INT64
    cols["encoded_len"] = pa.array(lens, type=pa.int64())
    write_parquet(ds / RASA_FILE, cols, feats)
    body = f"""
## Layout (as the real repo)

Parquet `{RASA_FILE}`: `text` (string), `nano_layer_1` … `nano_layer_4` (list<int64>: one
codebook each of a neural audio codec, 12.5 frames/s) and `encoded_len` (int64, the number of
frames). {len(texts)} rows of expressive Malayalam sentences (joy, surprise, anger, sadness …),
like the expressive TTS corpus the real one encodes. Here the codec ids are **random** numbers
(0-4031); there is no waveform. **No intent column**: it feeds only the text engine.
"""
    write_readme(
        ds,
        name,
        "Praha-Labs/rasa-malayalam-nano-codec",
        yaml_configs([("default", [("train", ["data/train-*"])])]) + "\n" + yaml_features(feats),
        body,
        ["text-to-speech"],
    )


# --- massive-ml: gzipped JSON Lines per split and language ---------------------------------

MASSIVE_SPLITS = ["train", "validation", "test"]


def build_massive(ctx: Ctx, out: Path) -> None:
    name = "massive-ml"
    ds = out / name
    per_split: dict[str, list[list[str]]] = {s: [] for s in MASSIVE_SPLITS}
    taken: set[str] = set()
    for intent, cnt in INTENT_COUNTS.items():
        texts = generate(INTENT_TEMPLATES[intent], cnt, ctx.sub(f"{name}:{intent}"), taken)
        taken |= set(texts)
        check_clean(texts)
        n_eval = round(cnt * 0.15)
        per_split["test"] += [[t, intent] for t in texts[:n_eval]]
        per_split["validation"] += [[t, intent] for t in texts[n_eval : 2 * n_eval]]
        per_split["train"] += [[t, intent] for t in texts[2 * n_eval :]]
    extra = generate(INTENT_TEMPLATES["recharge"], 1, ctx.sub(f"{name}:extra"), taken)[0]
    check_clean([extra])
    for s in MASSIVE_SPLITS:
        ctx.sub(f"{name}:{s}:order").shuffle(per_split[s])
    per_split["train"] = _insert(
        per_split["train"], {23: [extra, ""], 61: [ENGLISH[1], "pay_bill"]}
    )
    ctx.plant(name, "train/ml.json.gz", 23, "missing_label", "Malayalam text, empty label")
    ctx.plant(name, "train/ml.json.gz", 61, "non_malayalam_text", "English text (label pay_bill)")
    addrs, texts, skip = [], [], set()
    for s in MASSIVE_SPLITS:
        for r, row in enumerate(per_split[s]):
            if s == "train" and r in (23, 61):
                skip.add(len(texts))
            addrs.append((f"{s}/ml.json.gz", r))
            texts.append(row[0])
    ctx.plant_variants(name, addrs, texts, skip)
    uid, k = 1, 0
    counts = {}
    for s in MASSIVE_SPLITS:
        recs = []
        for row in per_split[s]:
            recs.append(
                {
                    "id": str(uid),
                    "label": row[1],
                    "label_text": row[1],
                    "text": texts[k],
                    "lang": "ml",
                }
            )
            uid, k = uid + 1, k + 1
        write_jsonl(ds / s / "ml.json.gz", recs, gz=True)
        counts[s] = Counter(r["label"] for r in recs)
    en: dict[str, list[dict]] = {s: [] for s in MASSIVE_SPLITS}
    for i, (intent, sents) in enumerate(ENGLISH_INTENTS.items()):
        for j, t in enumerate(sents):
            en[MASSIVE_SPLITS[(i + j) % 3]].append([t, intent])
    uid = 5001
    for s in MASSIVE_SPLITS:
        recs = []
        for t, intent in en[s]:
            recs.append(
                {"id": str(uid), "label": intent, "label_text": intent, "text": t, "lang": "en"}
            )
            uid += 1
        write_jsonl(ds / s / "en.json.gz", recs, gz=True)
    table = "\n".join(
        f"| {intent} | " + " | ".join(str(counts[s][intent]) for s in MASSIVE_SPLITS) + " |"
        for intent in INTENT_COUNTS
    )
    body = f"""
## Layout (as the real repo)

Gzipped **JSON Lines**, one file per split and language config: `train/ml.json.gz`,
`validation/ml.json.gz`, `test/ml.json.gz` (config `ml`) and `train/en.json.gz`,
`validation/en.json.gz`, `test/en.json.gz` (config `en`, {sum(len(v) for v in en.values())} English
rows). Each line: `id` (string), `label` (intent name), `label_text` (the same name), `text`,
`lang`. The gzip members carry no time stamp or file name (reproducible bytes). There is no
`default` config: choose `ml`.

Config `ml`: caller requests in Malayalam for six IVR intents, deliberately imbalanced
(check_balance ≈ 2×), split ≈ 70/15/15 with every intent in every split (good rows):

| intent | train | validation | test |
|---|---|---|---|
{table}
"""
    write_readme(
        ds,
        name,
        "mteb/amazon_massive_intent",
        yaml_configs(
            [
                (lang, [(s, [f"{s}/{lang}.json.gz"]) for s in MASSIVE_SPLITS])
                for lang in ("ml", "en")
            ]
        ),
        body,
        ["text-classification"],
        languages=("ml", "en"),
    )


# --- indicnlp-ml: JSON Lines at the root ---------------------------------------------------

INDICNLP_CLASSES = {  # class id -> (sources of its sentences, train paragraphs, test paragraphs)
    0: (["news"], 80, 24),
    1: (["wiki"], 50, 15),
    2: (["ivr_prompt", "conversation"], 70, 21),
}

INDICNLP_SENTENCES = {"news": 180, "wiki": 32, "ivr_prompt": 120, "conversation": 80}


def build_indicnlp(ctx: Ctx, out: Path) -> None:
    name = "indicnlp-ml"
    ds = out / name
    taken: set[str] = set()
    pools = {}
    for cls, (sources, _, _) in INDICNLP_CLASSES.items():
        pools[cls] = []
        for src in sources:
            sents = generate(
                GENERAL_TEMPLATES[src], INDICNLP_SENTENCES[src], ctx.sub(f"{name}:{src}"), taken
            )
            taken |= set(sents)
            pools[cls] += sents
        check_clean(pools[cls])
    rng = ctx.sub(name + ":paragraphs")
    seen: set[str] = set()
    files = {"malayalam-train.jsonl": [], "malayalam-test.jsonl": []}
    for cls, (_, n_train, n_test) in INDICNLP_CLASSES.items():
        for file, n in (("malayalam-train.jsonl", n_train), ("malayalam-test.jsonl", n_test)):
            while n:
                para = " ".join(rng.sample(pools[cls], rng.choice([2, 2, 3])))
                if para not in seen:
                    seen.add(para)
                    files[file].append([para, cls])
                    n -= 1
    for file in files:
        ctx.sub(f"{name}:{file}:order").shuffle(files[file])
    train = "malayalam-train.jsonl"
    files[train] = _insert(files[train], {57: ["", 0], 143: [ENGLISH[4], 1]})
    ctx.plant(name, train, 57, "empty_text", "empty news text (class 0)")
    ctx.plant(name, train, 143, "non_malayalam_text", "English sentence (class 1)")
    addrs = [(f, r) for f, rows in files.items() for r in range(len(rows))]
    texts = [row[0] for rows in files.values() for row in rows]
    ctx.plant_variants(name, addrs, texts, {57, 143})
    k = 0
    counts = {}
    for file, rows in files.items():
        recs = []
        for row in rows:
            recs.append({"news": texts[k], "class": row[1]})
            k += 1
        write_jsonl(ds / file, recs)
        counts[file] = Counter(r["class"] for r in recs)
    per_class = ", ".join(
        f"{c}: {counts[train][c]} / {counts['malayalam-test.jsonl'][c]}" for c in INDICNLP_CLASSES
    )
    body = f"""
## Layout (as the real repo)

**JSON Lines at the repo root**: `malayalam-train.jsonl` ({sum(counts[train].values())} lines)
and `malayalam-test.jsonl` ({sum(counts["malayalam-test.jsonl"].values())} lines), the published
train/test split. Each line: `news` (string, a short Malayalam paragraph of 1-3 sentences) and
`class` (int64 topic id): 0 = regional news, 1 = facts about Kerala (encyclopaedic),
2 = services and everyday life (IVR prompts, conversation). Per class (train / test):
{per_class}.
Feeds the text engine.
"""
    write_readme(
        ds,
        name,
        "Sakshamrzt/IndicNLP-Malayalam",
        yaml_configs(
            [
                (
                    "default",
                    [("train", ["malayalam-train.jsonl"]), ("test", ["malayalam-test.jsonl"])],
                )
            ]
        ),
        body,
        ["text-classification"],
    )


# --- sentiment-ml: one TSV at the root -----------------------------------------------------

SENTIMENT_FILE = "Malayalam_first_ready_for_sentiment.tsv"
SENTIMENT_SOURCE = {"Positive": "positive", "Negative": "negative", "unknown_state": "neutral"}


def build_sentiment(ctx: Ctx, out: Path) -> None:
    name = "sentiment-ml"
    ds = out / name
    rows: list[list] = []  # [label, query, script]
    taken: set[str] = set()
    for label, n_ml, n_roman in SENTIMENT_PLAN:
        tmpl = MIXED_TEMPLATES if label == "Mixed" else SENTIMENT_TEMPLATES[SENTIMENT_SOURCE[label]]
        ml = generate(tmpl, n_ml, ctx.sub(f"{name}:{label}"), taken)
        taken |= set(ml)
        check_clean(ml)
        roman = generate(MANGLISH_TEMPLATES[label], n_roman, ctx.sub(f"{name}:{label}:roman"))
        for i, t in enumerate(ml):
            rows.append([MIXED_SPELLINGS[i % 2] if label == "Mixed" else label, t, "ml"])
        for i, t in enumerate(roman):
            rows.append([MIXED_SPELLINGS[i % 2] if label == "Mixed" else label, t, "roman"])
    rows += [["not-malayalam", t, "other"] for t in NOT_MALAYALAM]
    extra = generate(SENTIMENT_TEMPLATES["neutral"], 1, ctx.sub(f"{name}:extra"), taken)[0]
    check_clean([extra])
    ctx.sub(name + ":order").shuffle(rows)
    planted = {
        19: ["unknown_state", "", "planted"],
        74: ["Positive", ENGLISH[2], "planted"],
        132: ["", extra, "planted"],
    }
    rows = _insert(rows, planted)
    ctx.plant(name, SENTIMENT_FILE, 19, "empty_text", "empty query (label unknown_state)")
    ctx.plant(name, SENTIMENT_FILE, 74, "non_malayalam_text", "English query labelled Positive")
    ctx.plant(name, SENTIMENT_FILE, 132, "missing_label", "Malayalam query, empty label")
    for r, row in enumerate(rows):
        if row[2] == "roman":
            ctx.plant(
                name, SENTIMENT_FILE, r, "romanised_malayalam", f"Manglish query (label {row[0]})"
            )
    texts = [row[1] if row[2] == "ml" else None for row in rows]
    ctx.plant_variants(name, [(SENTIMENT_FILE, r) for r in range(len(rows))], texts, set())
    for r, row in enumerate(rows):
        if texts[r] is not None:
            row[1] = texts[r]
    write_delimited(ds / SENTIMENT_FILE, ["label", "query"], [r[:2] for r in rows], "\t", "\n")
    by = Counter((r[0], r[2]) for r in rows if r[2] != "planted")
    labels = sorted({r[0] for r in rows if r[2] != "planted"})
    table = "\n".join(
        f"| `{lab}` | {by[(lab, 'ml')]} | {by[(lab, 'roman')]} | {by[(lab, 'other')]} |"
        for lab in labels
    )
    body = f"""
## Layout (as the real repo)

**One TSV at the repo root**, `{SENTIMENT_FILE}`: header `label<TAB>query` (label **first**),
UTF-8, `\\n` line ends, quoted only where needed (csv `QUOTE_MINIMAL`). {len(rows)} rows of
customer feedback in mixed script, labelled the way DravidianCodeMix writes its labels
(`Positive`, `Negative`, `Mixed_feelings` **and** `Mixed feelings`, `unknown_state`,
`not-malayalam`). Good rows by label and script:

| label | Malayalam script | romanised (Manglish) | English / other |
|---|---|---|---|
{table}

The config drops `not-malayalam`, merges the two Mixed spellings; Manglish rows are rejected by
the text check (`romanised_malayalam`), leaving the Malayalam-script rows for training.
"""
    write_readme(
        ds,
        name,
        "wlkla/Malayalam_first_ready_for_sentiment",
        yaml_configs([("default", [("train", [SENTIMENT_FILE])])]),
        body,
        ["text-classification"],
        languages=("ml", "en"),
    )
