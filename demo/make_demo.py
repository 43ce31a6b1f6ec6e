#!/usr/bin/env python3
"""Generate the embedded, SYNTHETIC demo datasets of the Malayalam Data Foundry.

Everything this script writes is synthetic: the speech is rendered by the espeak-ng speech
synthesizer (Malayalam voice ``ml`` and its variants), the sentences are written inline below, and
the codec tokens of ``rasa-ml`` are random numbers.  Nothing here comes from the real datasets the
demo datasets stand in for; all output is released as CC0-1.0.

Output: eight small dataset repos under ``demo/hub/datasets/foundry-demo/<name>/``, each in the
file layout of the real Hugging Face Hub dataset it mirrors (see ``/work/shared/notes`` and
``demo/README.md``):

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
import random
import shutil
import string
import struct
import subprocess
import sys
import tempfile
import time
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
HERE = Path(__file__).resolve().parent
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

SLOTS: dict[str, list[str]] = {
    # places in the locative ("in X"), as they are said on a call
    "loc": [
        "തിരുവനന്തപുരത്ത്",
        "കൊല്ലത്ത്",
        "പത്തനംതിട്ടയിൽ",
        "ആലപ്പുഴയിൽ",
        "കോട്ടയത്ത്",
        "ഇടുക്കിയിൽ",
        "എറണാകുളത്ത്",
        "തൃശ്ശൂരിൽ",
        "പാലക്കാട്ട്",
        "മലപ്പുറത്ത്",
        "കോഴിക്കോട്ട്",
        "വയനാട്ടിൽ",
        "കണ്ണൂരിൽ",
        "കാസർഗോട്ട്",
        "ആലുവയിൽ",
        "കായംകുളത്ത്",
        "തലശ്ശേരിയിൽ",
        "മൂന്നാറിൽ",
        "വടകരയിൽ",
        "ചങ്ങനാശ്ശേരിയിൽ",
        "പെരിന്തൽമണ്ണയിൽ",
        "നെടുമങ്ങാട്ട്",
        "ഗുരുവായൂരിൽ",
        "കൊച്ചിയിൽ",
    ],
    # districts, nominative
    "dist": [
        "തിരുവനന്തപുരം",
        "കൊല്ലം",
        "പത്തനംതിട്ട",
        "ആലപ്പുഴ",
        "കോട്ടയം",
        "ഇടുക്കി",
        "എറണാകുളം",
        "തൃശ്ശൂർ",
        "പാലക്കാട്",
        "മലപ്പുറം",
        "കോഴിക്കോട്",
        "വയനാട്",
        "കണ്ണൂർ",
        "കാസർഗോഡ്",
    ],
    # towns, nominative
    "town": [
        "കൊച്ചി",
        "ആലുവ",
        "കായംകുളം",
        "തലശ്ശേരി",
        "വടകര",
        "ചങ്ങനാശ്ശേരി",
        "പെരിന്തൽമണ്ണ",
        "നെടുമങ്ങാട്",
        "ഗുരുവായൂർ",
        "തിരൂർ",
        "കൊട്ടാരക്കര",
        "തൊടുപുഴ",
        "പയ്യന്നൂർ",
        "ഒറ്റപ്പാലം",
    ],
    "amt": [
        "49",
        "99",
        "149",
        "199",
        "239",
        "299",
        "349",
        "399",
        "449",
        "599",
        "719",
        "999",
        "1500",
        "2000",
        "2500",
        "5000",
    ],
    "lamt": ["50000", "75000", "100000", "200000", "300000", "500000"],
    "month": [
        "ജനുവരി",
        "ഫെബ്രുവരി",
        "മാർച്ച്",
        "ഏപ്രിൽ",
        "മേയ്",
        "ജൂൺ",
        "ജൂലൈ",
        "ഓഗസ്റ്റ്",
        "സെപ്റ്റംബർ",
        "ഒക്ടോബർ",
        "നവംബർ",
        "ഡിസംബർ",
    ],
    "day": [str(d) for d in range(1, 29)],
    "name": [
        "അനിൽ",
        "സുനിത",
        "രാജേഷ്",
        "ലക്ഷ്മി",
        "മുഹമ്മദ്",
        "ഫാത്തിമ",
        "ജോസഫ്",
        "മേരി",
        "അരുൺ",
        "ദിവ്യ",
        "സന്തോഷ്",
        "ഗീത",
        "ബഷീർ",
        "ആനി",
        "വിനോദ്",
        "രേഖ",
    ],
    "util": [
        "വൈദ്യുതി",
        "വെള്ളത്തിന്റെ",
        "ഗ്യാസ്",
        "ബ്രോഡ്ബാൻഡ്",
        "പോസ്റ്റ്പെയ്ഡ്",
        "ടെലിഫോൺ",
        "ഡിടിഎച്ച്",
    ],
    "acct_of": [
        "സേവിംഗ്സ് അക്കൗണ്ടിന്റെ",
        "കറന്റ് അക്കൗണ്ടിന്റെ",
        "സാലറി അക്കൗണ്ടിന്റെ",
        "ജോയിന്റ് അക്കൗണ്ടിന്റെ",
        "എന്റെ വാലറ്റിന്റെ",
        "പ്രീപെയ്ഡ് നമ്പറിന്റെ",
    ],
    "acct": [
        "അക്കൗണ്ട്",
        "സേവിംഗ്സ് അക്കൗണ്ട്",
        "കറന്റ് അക്കൗണ്ട്",
        "സാലറി അക്കൗണ്ട്",
        "ജോയിന്റ് അക്കൗണ്ട്",
        "വാലറ്റ്",
        "പ്രീപെയ്ഡ്",
        "ഡാറ്റ",
    ],
    "count": ["രണ്ട്", "മൂന്ന്", "നാല്", "അഞ്ച്", "ആറ്", "പത്ത്"],
    "validity": ["28 ദിവസം", "56 ദിവസം", "84 ദിവസം", "ഒരു വർഷം"],
    "pre": ["", "ദയവായി ", "നമസ്കാരം, ", "ഒന്ന് "],
    "hi": ["", "നമസ്കാരം, ", "ഹലോ, "],
    "svc": [
        "കസ്റ്റമർ കെയർ സേവനം",
        "പുതിയ മൊബൈൽ ആപ്പ്",
        "ഉദ്യോഗസ്ഥന്റെ പെരുമാറ്റം",
        "റീചാർജ് സംവിധാനം",
        "ബിൽ പേയ്മെന്റ് സൗകര്യം",
        "ഇന്റർനെറ്റ് വേഗത",
        "ബാങ്കിന്റെ സേവനം",
        "ഐവിആർ സംവിധാനം",
        "ബ്രാഞ്ചിലെ സേവനം",
        "പുതിയ ബ്രോഡ്ബാൻഡ് കണക്ഷൻ",
    ],
    "mins": ["5", "10", "15", "20", "30"],
    "times": ["രണ്ട്", "മൂന്ന്", "നാല്", "അഞ്ച്", "പത്ത്"],
    "item": [
        "തക്കാളി",
        "ഉള്ളി",
        "ഏത്തക്ക",
        "മത്തി",
        "അരി",
        "വെളിച്ചെണ്ണ",
        "ചെറിയ ഉള്ളി",
        "പച്ചമുളക്",
        "തേങ്ങ",
        "കോഴിയിറച്ചി",
    ],
    "event": [
        "സംസ്ഥാന സ്കൂൾ കലോത്സവം",
        "പുസ്തകോത്സവം",
        "കാർഷിക മേള",
        "ചലച്ചിത്ര മേള",
        "ശാസ്ത്ര മേള",
        "ഭക്ഷ്യമേള",
        "കായിക മേള",
    ],
    "action": [
        "ബാലൻസ് അറിയാൻ",
        "ബിൽ അടയ്ക്കാൻ",
        "റീചാർജ് ചെയ്യാൻ",
        "പരാതി രജിസ്റ്റർ ചെയ്യാൻ",
        "ഉദ്യോഗസ്ഥനോട് സംസാരിക്കാൻ",
        "കാർഡ് ബ്ലോക്ക് ചെയ്യാൻ",
        "വായ്പാ വിവരങ്ങൾക്ക്",
        "ഭാഷ മാറ്റാൻ",
    ],
    "digit": ["ഒന്ന്", "രണ്ട്", "മൂന്ന്", "നാല്", "അഞ്ച്", "ആറ്", "ഏഴ്", "എട്ട്", "ഒൻപത്", "പൂജ്യം"],
    "ticket": [str(n) for n in range(40211, 40299, 7)],
    "num": ["രണ്ട്", "മൂന്ന്", "നാല്", "അഞ്ച്", "ആറ്", "പത്ത്", "പന്ത്രണ്ട്"],
}

# Short IVR utterances: one shared pool, each sentence used once (speech-ml, the stt-only
# speakers of indicvoices-ml, the asr rows of indicst-ml), so no sentence is in two datasets.
STT_TEMPLATES = [
    # balance
    "എന്റെ അക്കൗണ്ട് ബാലൻസ് എത്രയാണ്?",
    "{acct_of} ബാലൻസ് ഒന്ന് പറയാമോ?",
    "{month} മാസത്തെ സ്റ്റേറ്റ്മെന്റ് അയച്ചു തരാമോ?",
    "എന്റെ നമ്പറിൽ എത്ര ഡാറ്റ ബാക്കിയുണ്ട്?",
    "കഴിഞ്ഞ {count} ഇടപാടുകൾ പറയാമോ?",
    # bill payment
    "{util} ബിൽ അടയ്ക്കണം.",
    "{amt} രൂപയുടെ {util} ബിൽ അടയ്ക്കണം.",
    "{util} ബില്ലിന്റെ അവസാന തീയതി എന്നാണ്?",
    "{month} {day}-ന് അടച്ച ബില്ലിന്റെ രസീത് കിട്ടിയില്ല.",
    # recharge
    "{amt} രൂപയ്ക്ക് റീചാർജ് ചെയ്യണം.",
    "ഈ നമ്പറിൽ {amt} രൂപയുടെ റീചാർജ് ചെയ്യാമോ?",
    "{month} {day}-ന് ചെയ്ത റീചാർജ് ഇതുവരെ വന്നില്ല.",
    "{amt} രൂപയുടെ പ്ലാനിൽ എത്ര ദിവസം കിട്ടും?",
    # complaints / network
    "{loc} നെറ്റ്വർക്ക് തീരെ കിട്ടുന്നില്ല.",
    "{loc} ഇന്റർനെറ്റ് വളരെ പതുക്കെയാണ്.",
    "{loc} {count} ദിവസമായി കറന്റ് ഇല്ല.",
    "കോൾ ഇടയ്ക്കിടെ മുറിഞ്ഞു പോകുന്നു.",
    "എനിക്ക് ഒരു പരാതി രജിസ്റ്റർ ചെയ്യണം.",
    "എന്റെ പരാതിയുടെ നില എന്തായി?",
    "{month} {day}-ന് നൽകിയ പരാതിക്ക് മറുപടി കിട്ടിയില്ല.",
    # talk to an agent
    "എനിക്ക് ഒരു ഉദ്യോഗസ്ഥനോട് സംസാരിക്കണം.",
    "കസ്റ്റമർ കെയർ ഏജന്റിനെ കണക്ട് ചെയ്യൂ.",
    "മലയാളം അറിയുന്ന ഒരാളെ തരാമോ?",
    # loan / EMI
    "എന്റെ ഭവന വായ്പയുടെ ഇഎംഐ എത്രയാണ്?",
    "{month} മാസത്തെ ഇഎംഐ അടയ്ക്കാൻ പറ്റിയില്ല.",
    "{lamt} രൂപ വ്യക്തിഗത വായ്പ കിട്ടുമോ?",
    "സ്വർണ്ണ വായ്പയുടെ പലിശ നിരക്ക് എത്രയാണ്?",
    "{month} {day}-ന് ഇഎംഐ ഡെബിറ്റ് ആകുമോ?",
    # card block
    "എന്റെ ഡെബിറ്റ് കാർഡ് ഉടനെ ബ്ലോക്ക് ചെയ്യണം.",
    "ക്രെഡിറ്റ് കാർഡ് നഷ്ടപ്പെട്ടു, ബ്ലോക്ക് ചെയ്യണം.",
    "{loc} വെച്ച് എന്റെ എടിഎം കാർഡ് നഷ്ടപ്പെട്ടു.",
    "കാർഡിന്റെ പിൻ നമ്പർ മാറ്റണം.",
    # greetings / thanks
    "നമസ്കാരം, എനിക്ക് ഒരു സഹായം വേണം.",
    "നമസ്കാരം, ഞാൻ {name} ആണ്.",
    "ഞാൻ {loc} നിന്നാണ് വിളിക്കുന്നത്.",
    "വളരെ നന്ദി, പ്രശ്നം പരിഹരിച്ചു.",
    "സഹായത്തിന് വളരെ നന്ദി, {name}.",
]

# Intent classification (massive-ml, config ml).  Deliberately imbalanced (check_balance ~2x).
INTENT_COUNTS = {
    "check_balance": 40,
    "pay_bill": 22,
    "recharge": 24,
    "report_complaint": 26,
    "talk_to_agent": 18,
    "greeting": 20,
}
INTENT_TEMPLATES = {
    "check_balance": [
        "{hi}എന്റെ {acct} ബാലൻസ് എത്രയാണ്?",
        "{acct} ബാലൻസ് ഒന്ന് പറയാമോ?",
        "{pre}{acct} ബാലൻസ് അറിയണം",
        "{acct} ബാലൻസ് എസ്എംഎസ് ആയി അയയ്ക്കാമോ?",
        "എന്റെ അക്കൗണ്ടിൽ {amt} രൂപ ഉണ്ടോ?",
        "ഇന്നലെ {amt} രൂപ പിൻവലിച്ചു, ഇനി എത്ര ബാക്കിയുണ്ട്?",
        "{pre}ശമ്പളം അക്കൗണ്ടിൽ വന്നോ എന്ന് നോക്കാമോ?",
        "{pre}മിനി സ്റ്റേറ്റ്മെന്റ് വേണം",
        "{month} മാസത്തെ സ്റ്റേറ്റ്മെന്റ് വേണം",
    ],
    "pay_bill": [
        "{pre}{util} ബിൽ അടയ്ക്കണം",
        "{amt} രൂപയുടെ {util} ബിൽ അടയ്ക്കണം",
        "{util} ബിൽ ഓൺലൈനായി അടയ്ക്കാൻ സഹായിക്കാമോ?",
        "ഈ മാസത്തെ {util} ബിൽ ഇപ്പോൾ തന്നെ അടയ്ക്കാം",
        "{util} ബിൽ ഓട്ടോ പേ ആക്കണം",
    ],
    "recharge": [
        "{pre}{amt} രൂപയ്ക്ക് റീചാർജ് ചെയ്യണം",
        "എന്റെ നമ്പർ {amt} രൂപയ്ക്ക് റീചാർജ് ചെയ്യൂ",
        "{amt} രൂപയുടെ ഡാറ്റ പാക്ക് വേണം",
        "{validity} വാലിഡിറ്റിയുള്ള റീചാർജ് വേണം",
        "ഡിടിഎച്ച് {amt} രൂപയ്ക്ക് റീചാർജ് ചെയ്യണം",
    ],
    "report_complaint": [
        "{loc} നെറ്റ്വർക്ക് കിട്ടുന്നില്ല",
        "{loc} ഇന്റർനെറ്റ് വളരെ പതുക്കെയാണ്",
        "{loc} കറന്റ് പോയിട്ട് {count} മണിക്കൂറായി",
        "പണം പോയി, പക്ഷേ റീചാർജ് ആയില്ല",
        "{amt} രൂപ അക്കൗണ്ടിൽ നിന്ന് തെറ്റായി പോയി",
        "ബ്രോഡ്ബാൻഡ് കണക്ഷൻ {count} ദിവസമായി പ്രവർത്തിക്കുന്നില്ല",
    ],
    "talk_to_agent": [
        "{pre}ഒരു ഏജന്റിനോട് സംസാരിക്കണം",
        "{pre}കസ്റ്റമർ കെയർ ഉദ്യോഗസ്ഥനെ കണക്ട് ചെയ്യൂ",
        "{pre}എനിക്ക് ഒരു മനുഷ്യനോട് സംസാരിക്കണം",
        "{pre}മലയാളം അറിയുന്ന ഒരാളെ തരൂ",
        "{pre}ഈ കോൾ ഒരു ഓഫീസർക്ക് കൈമാറൂ",
    ],
    "greeting": [
        "നമസ്കാരം",
        "നമസ്കാരം, {name} ആണ് സംസാരിക്കുന്നത്",
        "ഹലോ, ആരെങ്കിലും കേൾക്കുന്നുണ്ടോ?",
        "ശുഭദിനം",
        "സുപ്രഭാതം, എനിക്ക് ഒരു കാര്യം ചോദിക്കാനുണ്ട്",
        "ഹലോ, ഞാൻ {loc} നിന്നാണ് വിളിക്കുന്നത്",
        "നമസ്കാരം, സുഖമാണോ?",
        "ഹലോ, {name} ആണ്",
    ],
}

# Customer feedback (sentiment-ml, Malayalam-script rows).
SENTIMENT_TEMPLATES = {
    "positive": [
        "{svc} വളരെ നല്ലതായിരുന്നു, നന്ദി.",
        "{svc} എനിക്ക് വളരെ ഇഷ്ടപ്പെട്ടു.",
        "{loc} ഇപ്പോൾ നെറ്റ്വർക്ക് വളരെ മികച്ചതാണ്.",
        "പ്രശ്നം {mins} മിനിറ്റിനുള്ളിൽ പരിഹരിച്ചു, വളരെ സന്തോഷം.",
        "{name} വളരെ മാന്യമായി സംസാരിച്ചു, മികച്ച സേവനം.",
        "{amt} രൂപയുടെ റീചാർജ് ഉടനെ ലഭിച്ചു, നന്ദി.",
    ],
    "negative": [
        "{svc} വളരെ മോശമാണ്.",
        "{svc} എനിക്ക് ഒട്ടും തൃപ്തികരമല്ല.",
        "{loc} {count} ദിവസമായി നെറ്റ്വർക്ക് ഇല്ല, വളരെ ബുദ്ധിമുട്ടാണ്.",
        "{times} തവണ വിളിച്ചിട്ടും ആരും ഫോൺ എടുത്തില്ല, വളരെ നിരാശ തോന്നുന്നു.",
        "{amt} രൂപ പോയി, പക്ഷേ റീചാർജ് ആയില്ല, ഇത് വലിയ തട്ടിപ്പാണ്.",
        "{name} വളരെ മോശമായി പെരുമാറി, ഇനി ഈ സേവനം വേണ്ട.",
    ],
    "neutral": [
        "ഞാൻ {month} {day}-ന് ബിൽ അടച്ചു.",
        "എന്റെ പ്ലാൻ {month} മാസം അവസാനിക്കും.",
        "{loc} പുതിയ ഓഫീസ് ഉണ്ടോ എന്ന് അറിയണം.",
        "{amt} രൂപയുടെ പ്ലാനിനെക്കുറിച്ച് വിവരം വേണം.",
        "ഞാൻ {name} ആണ്, {loc} നിന്നാണ് വിളിക്കുന്നത്.",
        "കസ്റ്റമർ കെയർ നമ്പർ ഏതാണ്?",
    ],
}

# General Malayalam text (indicnlp-ml): news-style templates, fixed encyclopaedic sentences, IVR
# prompts and everyday sentences; paragraphs of them make the `news` column, the key the `class`.
GENERAL_TEMPLATES = {
    "news": [
        "{dist} ജില്ലയിൽ ഇന്ന് കനത്ത മഴയ്ക്ക് സാധ്യതയുണ്ട്.",
        "{dist} ജില്ലയിലെ സ്കൂളുകൾക്ക് നാളെ അവധി പ്രഖ്യാപിച്ചു.",
        "{town} റെയിൽവേ സ്റ്റേഷനിൽ പുതിയ ടിക്കറ്റ് കൗണ്ടർ തുറന്നു.",
        "{town} നഗരത്തിൽ ഗതാഗതക്കുരുക്ക് രൂക്ഷമാണ്.",
        "{town} മാർക്കറ്റിൽ {item} വില കുത്തനെ ഉയർന്നു.",
        "{event} ഇത്തവണ {dist} ജില്ലയിലാണ് നടക്കുന്നത്.",
        "{dist} ജില്ലയിൽ {num} പുതിയ ബസ് സർവീസുകൾ ആരംഭിച്ചു.",
        "{dist} ജില്ലയിൽ നെല്ല് സംഭരണം ഈ ആഴ്ച തുടങ്ങും.",
    ],
    "wiki": [
        "കേരളം ഇന്ത്യയുടെ തെക്കുപടിഞ്ഞാറൻ തീരത്തുള്ള ഒരു സംസ്ഥാനമാണ്.",
        "മലയാളം കേരളത്തിന്റെ ഔദ്യോഗിക ഭാഷയാണ്.",
        "ഓണം കേരളത്തിലെ ഏറ്റവും വലിയ ആഘോഷമാണ്.",
        "പെരിയാർ കേരളത്തിലെ ഏറ്റവും നീളം കൂടിയ നദിയാണ്.",
        "തിരുവനന്തപുരമാണ് കേരളത്തിന്റെ തലസ്ഥാനം.",
        "കഥകളി കേരളത്തിന്റെ തനത് കലാരൂപമാണ്.",
        "വള്ളംകളി ആലപ്പുഴയിലെ പ്രധാന ആകർഷണമാണ്.",
        "മൂന്നാറിലെ തേയിലത്തോട്ടങ്ങൾ പ്രശസ്തമാണ്.",
        "തൃശ്ശൂർ പൂരം ലോകപ്രശസ്തമാണ്.",
        "തെങ്ങ് കേരളത്തിന്റെ ഔദ്യോഗിക വൃക്ഷമാണ്.",
        "മലമുഴക്കി വേഴാമ്പൽ കേരളത്തിന്റെ സംസ്ഥാന പക്ഷിയാണ്.",
        "കൊച്ചി അറബിക്കടലിന്റെ റാണി എന്നറിയപ്പെടുന്നു.",
        "കേരളത്തിൽ പതിനാല് ജില്ലകളുണ്ട്.",
        "വിഷു കേരളത്തിലെ ഒരു പ്രധാന ഉത്സവമാണ്.",
        "കാലവർഷം സാധാരണയായി ജൂൺ മാസത്തിൽ ആരംഭിക്കും.",
        "സൈലന്റ് വാലി ദേശീയോദ്യാനം പാലക്കാട് ജില്ലയിലാണ്.",
        "ശബരിമല പത്തനംതിട്ട ജില്ലയിലാണ് സ്ഥിതി ചെയ്യുന്നത്.",
        "ബേക്കൽ കോട്ട കാസർഗോഡ് ജില്ലയിലാണ്.",
        "കേരളത്തിലെ സാക്ഷരതാ നിരക്ക് വളരെ ഉയർന്നതാണ്.",
        "കുട്ടനാട് കേരളത്തിന്റെ നെല്ലറ എന്നറിയപ്പെടുന്നു.",
        "പുട്ടും കടലയും മലയാളികളുടെ പ്രിയപ്പെട്ട പ്രഭാതഭക്ഷണമാണ്.",
        "ഓണസദ്യ വാഴയിലയിലാണ് വിളമ്പുന്നത്.",
        "കുമരകം കായൽ ടൂറിസത്തിന് പ്രശസ്തമാണ്.",
        "മോഹിനിയാട്ടം കേരളത്തിലെ ശാസ്ത്രീയ നൃത്തരൂപമാണ്.",
        "തെയ്യം വടക്കൻ കേരളത്തിലെ അനുഷ്ഠാനകലയാണ്.",
        "കയർ വ്യവസായം ആലപ്പുഴയുടെ പ്രധാന വരുമാന മാർഗമാണ്.",
        "കശുവണ്ടി വ്യവസായത്തിന് കൊല്ലം പ്രശസ്തമാണ്.",
        "കോഴിക്കോടൻ ഹൽവ ഏറെ പ്രശസ്തമാണ്.",
        "വയനാട്ടിലെ എടക്കൽ ഗുഹകൾ ചരിത്രപ്രാധാന്യമുള്ളതാണ്.",
        "നിളാനദി ഭാരതപ്പുഴ എന്നും അറിയപ്പെടുന്നു.",
        "വേമ്പനാട്ട് കായൽ കേരളത്തിലെ ഏറ്റവും വലിയ കായലാണ്.",
        "മലയാള ലിപിയിൽ സ്വരങ്ങളും വ്യഞ്ജനങ്ങളും ചില്ലക്ഷരങ്ങളുമുണ്ട്.",
    ],
    "ivr_prompt": [
        "{action} {digit} അമർത്തുക.",
        "നിങ്ങളുടെ {acct} ബാലൻസ് {amt} രൂപയാണ്.",
        "നിങ്ങളുടെ ബിൽ തുകയായ {amt} രൂപ {month} {day}-നകം അടയ്ക്കുക.",
        "നിങ്ങളുടെ പരാതി നമ്പർ {ticket} ആണ്.",
        "നിങ്ങളുടെ കോൾ ഞങ്ങൾക്ക് വിലപ്പെട്ടതാണ്, ദയവായി കാത്തിരിക്കുക.",
        "ഞങ്ങളുടെ എല്ലാ ഉദ്യോഗസ്ഥരും ഇപ്പോൾ തിരക്കിലാണ്.",
    ],
    "conversation": [
        "{name} {loc} ഒരു ബാങ്കിൽ ജോലി ചെയ്യുന്നു.",
        "{name} നാളെ {loc} ഒരു കല്യാണത്തിന് പോകുന്നു.",
        "{loc} ഇന്ന് നല്ല വെയിലാണ്.",
        "{loc} ഇന്നലെ രാത്രി ശക്തമായ മഴ പെയ്തു.",
    ],
}

# Short phrases for the dialect speech of indicvoices-ml (1-2.5 s when spoken), with a regional
# discourse marker appended to every third one.
DIALECT_TEMPLATES = [
    "ബാലൻസ് അറിയണം",
    "ബിൽ അടയ്ക്കണം",
    "റീചാർജ് ചെയ്യണം",
    "ഏജന്റിനെ വേണം",
    "കാർഡ് ബ്ലോക്ക് ചെയ്യണം",
    "പരാതി പറയാനുണ്ട്",
    "നെറ്റ്വർക്ക് കിട്ടുന്നില്ല",
    "നന്ദി, ഉപകാരം",
    "വായ്പ വിവരം വേണം",
    "ഇഎംഐ എത്രയാണ്?",
    "നമസ്കാരം",
    "{amt} രൂപ റീചാർജ്",
    "{loc} റേഞ്ച് ഇല്ല",
    "{loc} കറന്റ് ഇല്ല",
    "{month} മാസത്തെ ബിൽ",
    "{name} ആണ് വിളിക്കുന്നത്",
    "നമസ്കാരം, {name} ആണ്",
    "{amt} രൂപ അടച്ചു",
    "{util} ബിൽ",
    "{count} ദിവസമായി",
    "{amt} രൂപ ബാക്കി",
    "{loc} ആണ് വീട്",
    "{month} മാസത്തെ ഇഎംഐ",
    "{month} {day}-ന് അടയ്ക്കാം",
    "{name} ആണ്",
]
REGION_MARKERS = {
    "Travancore": ["അപ്പീ", "കേട്ടോ", "എന്തര്"],
    "Cochin": ["ഡാ", "ട്ടാ", "ഗഡീ"],
    "Malabar": ["ഇങ്ങള്", "ട്ടോ", "ന്റെ കുട്ട്യേ"],
}

# English sentences for the planted non-Malayalam items.
ENGLISH = [
    "Please check my account balance.",
    "I want to pay my electricity bill today.",
    "The service was very good, thank you.",
    "Recharge my number for two hundred rupees.",
    "Kerala is a state on the south western coast of India.",
]

# Slots for romanised Malayalam ("Manglish") and for the speech-translation pairs.
SLOTS.update(
    {
        "rplace": [
            "Kochi",
            "Thrissur",
            "Kozhikode",
            "Kollam",
            "Kannur",
            "Aluva",
            "Palakkad",
            "Tvm",
            "Calicut",
            "Kottayam",
        ],
        "rsvc": [
            "customer care",
            "puthiya app",
            "broadband",
            "recharge system",
            "IVR",
            "bank service",
            "new connection",
        ],
        "rnum": ["randu", "moonnu", "naalu", "anchu", "pathu"],
        "rmonth": [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
    }
)

# Expressive sentences (rasa-ml, which mirrors an expressive TTS corpus stored as codec tokens).
EXPRESSIVE_TEMPLATES = [
    "ഹായ്, എന്തൊരു സന്തോഷം! {name} ഇന്ന് വീട്ടിൽ വരുന്നുണ്ട്!",
    "അയ്യോ, {loc} വലിയ വെള്ളപ്പൊക്കമാണെന്ന് കേട്ടു!",
    "എനിക്ക് വിശ്വസിക്കാനാവുന്നില്ല, {name} ലോട്ടറി അടിച്ചെന്നോ?",
    "ഛേ, ഇത്ര മോശം സിനിമ ഞാൻ ഇതുവരെ കണ്ടിട്ടില്ല.",
    "ദയവായി ഒന്ന് മിണ്ടാതിരിക്കൂ, എനിക്ക് ദേഷ്യം വരുന്നുണ്ട്.",
    "{event} കാണാൻ {town} വരെ പോയി, എത്ര മനോഹരമായിരുന്നു!",
    "പാവം {name}, ഇന്നലെ മുതൽ ഒന്നും കഴിച്ചിട്ടില്ല.",
    "നാളെ {month} {day}, എന്റെ പിറന്നാളാണ്!",
    "ശ്ശോ, ബസ് പോയല്ലോ, ഇനി അര മണിക്കൂർ കാത്തിരിക്കണം.",
    "{town} മാർക്കറ്റിൽ {item} വില കേട്ട് ഞാൻ ഞെട്ടിപ്പോയി!",
    "വേഗം വാ {name}, സിനിമ തുടങ്ങാൻ പോകുന്നു!",
    "സത്യമായിട്ടും എനിക്ക് ഒന്നും അറിയില്ലായിരുന്നു.",
    "ഹോ, എന്തൊരു ചൂട്! {loc} ഇന്ന് നല്ല വെയിലാണ്.",
    "{name}, നിന്നെ കണ്ടിട്ട് എത്ര നാളായി!",
    "{amt} രൂപ കൊടുത്തിട്ടും ഒരു ഗുണവുമില്ല, കഷ്ടം!",
    "മിണ്ടരുത്! കുഞ്ഞ് ഉറങ്ങുകയാണ്.",
    "ഈ അക്കൗണ്ടിൽ {amt} രൂപ വന്നോ? ഹോ, ആശ്വാസമായി!",
]
EXPRESSIVE_COUNT = 60

# Speech translation (indicst-ml "st" rows): Malayalam source with its English translation.  The
# parallel slots carry (Malayalam, English) value pairs; digits are the same in both.
PAR_SLOTS: dict[str, list[tuple[str, str]]] = {
    "amt": [(a, a) for a in SLOTS["amt"]],
    "day": [(d, d) for d in SLOTS["day"]],
    "mins": [(m, m) for m in SLOTS["mins"]],
    "ticket": [(t, t) for t in SLOTS["ticket"]],
    "month": list(zip(SLOTS["month"], SLOTS["rmonth"], strict=True)),
    "count": list(zip(SLOTS["count"], ["two", "three", "four", "five", "six", "ten"], strict=True)),
    "name": list(
        zip(
            SLOTS["name"],
            [
                "Anil",
                "Sunitha",
                "Rajesh",
                "Lakshmi",
                "Muhammad",
                "Fathima",
                "Joseph",
                "Mary",
                "Arun",
                "Divya",
                "Santhosh",
                "Geetha",
                "Basheer",
                "Annie",
                "Vinod",
                "Rekha",
            ],
            strict=True,
        )
    ),
    "loc": list(
        zip(
            SLOTS["loc"],
            [
                "in Thiruvananthapuram",
                "in Kollam",
                "in Pathanamthitta",
                "in Alappuzha",
                "in Kottayam",
                "in Idukki",
                "in Ernakulam",
                "in Thrissur",
                "in Palakkad",
                "in Malappuram",
                "in Kozhikode",
                "in Wayanad",
                "in Kannur",
                "in Kasaragod",
                "in Aluva",
                "in Kayamkulam",
                "in Thalassery",
                "in Munnar",
                "in Vadakara",
                "in Changanassery",
                "in Perinthalmanna",
                "in Nedumangad",
                "in Guruvayur",
                "in Kochi",
            ],
            strict=True,
        )
    ),
}
ST_TEMPLATES = [
    ("{amt} രൂപയ്ക്ക് റീചാർജ് ചെയ്യണം.", "I want to recharge for {amt} rupees."),
    ("എന്റെ അക്കൗണ്ട് ബാലൻസ് എത്രയാണ്?", "What is my account balance?"),
    (
        "{month} {day}-ന് അടച്ച ബില്ലിന്റെ രസീത് കിട്ടിയില്ല.",
        "I did not get the receipt for the bill paid on {month} {day}.",
    ),
    ("{loc} നെറ്റ്വർക്ക് കിട്ടുന്നില്ല.", "There is no network {loc}."),
    ("{loc} {count} ദിവസമായി കറന്റ് ഇല്ല.", "There has been no power {loc} for {count} days."),
    ("നമസ്കാരം, ഞാൻ {name} ആണ്.", "Hello, I am {name}."),
    ("{amt} രൂപയുടെ വൈദ്യുതി ബിൽ അടയ്ക്കണം.", "I need to pay an electricity bill of {amt} rupees."),
    ("{name} നാളെ {loc} ഒരു കല്യാണത്തിന് പോകുന്നു.", "{name} is going to a wedding {loc} tomorrow."),
    ("{loc} ഇന്ന് നല്ല വെയിലാണ്.", "It is very sunny {loc} today."),
    ("{loc} ഇന്നലെ രാത്രി ശക്തമായ മഴ പെയ്തു.", "It rained heavily {loc} last night."),
    ("നിങ്ങളുടെ പരാതി നമ്പർ {ticket} ആണ്.", "Your complaint number is {ticket}."),
    ("{month} മാസത്തെ ഇഎംഐ അടയ്ക്കാൻ പറ്റിയില്ല.", "I could not pay the EMI for {month}."),
    ("എന്റെ ഡെബിറ്റ് കാർഡ് ഉടനെ ബ്ലോക്ക് ചെയ്യണം.", "Please block my debit card immediately."),
    ("പ്രശ്നം {mins} മിനിറ്റിനുള്ളിൽ പരിഹരിച്ചു.", "The problem was solved within {mins} minutes."),
    ("{loc} പുതിയ ബസ് സർവീസ് ആരംഭിച്ചു.", "A new bus service has started {loc}."),
    ("{name} {loc} ഒരു ബാങ്കിൽ ജോലി ചെയ്യുന്നു.", "{name} works at a bank {loc}."),
]

# Sentiment (sentiment-ml), mixed script like DravidianCodeMix.  Malayalam-script material reuses
# SENTIMENT_TEMPLATES (positive -> Positive, negative -> Negative, neutral -> unknown_state) plus:
MIXED_TEMPLATES = [
    "{svc} നല്ലതാണ്, പക്ഷേ ബിൽ തുക വളരെ കൂടുതലാണ്.",
    "ഉദ്യോഗസ്ഥൻ മാന്യമായി സംസാരിച്ചു, പക്ഷേ പ്രശ്നം ഇതുവരെ പരിഹരിച്ചില്ല.",
    "{loc} നെറ്റ്വർക്ക് കൊള്ളാം, പക്ഷേ ഇന്റർനെറ്റ് വേഗത കുറവാണ്.",
    "റീചാർജ് കിട്ടി, പക്ഷേ {mins} മിനിറ്റ് വൈകി.",
    "{svc} ചിലപ്പോൾ നല്ലതാണ്, ചിലപ്പോൾ വളരെ മോശം.",
]
# Romanised Malayalam ("Manglish"), by DravidianCodeMix label.
MANGLISH_TEMPLATES = {
    "Positive": [
        "adipoli service aanu, thanks",
        "{rsvc} kollaam, valare nalla experience",
        "problem {mins} minutil solve aayi, santhosham",
        "{rplace} area-il ippo network super aanu",
        "recharge udane kitti, poli",
        "customer care chechi nannayi samsarichu, thanks",
        "{rsvc} ippo nalla speed undu, thanks team",
    ],
    "Negative": [
        "network illa, valare mosham",
        "{rplace} area-il {rnum} divasamayi current illa, enthoru kashtam",
        "{rnum} thavana vilichittum aarum phone eduthilla",
        "paisa poyi, recharge aayilla, fraud aanu",
        "{rsvc} valare mosham aanu, venda",
        "ee app waste aanu, eppozhum hang aavunnu",
        "{rsvc} kaaranam {rnum} divasam pani mudangi",
    ],
    "unknown_state": [
        "{rmonth} {day}-nu bill adachu",
        "customer care number ethaanu?",
        "{rplace} area-il puthiya office undo?",
        "{amt} rupees plan-ne kurichu ariyanam",
        "ente plan {rmonth} maasam theerum",
        "{rsvc} eppo varum ennu parayamo?",
    ],
    "Mixed": [
        "service kollaam pakshe network mosham",
        "{rsvc} nallathaanu, but bill kooduthal aanu",
        "staff nalla perumattam, pakshe {rnum} divasam wait cheyyendi vannu",
        "{rplace} area-il speed kollaam, pakshe idakku cut aavum",
    ],
}
# (DravidianCodeMix label, Malayalam-script rows, Manglish rows).  "Mixed" rows alternate between
# the two spellings DravidianCodeMix uses, `Mixed_feelings` and `Mixed feelings`.
SENTIMENT_PLAN = [
    ("Positive", 38, 18),
    ("Negative", 38, 20),
    ("unknown_state", 34, 14),
    ("Mixed", 10, 8),
]
MIXED_SPELLINGS = ["Mixed_feelings", "Mixed feelings"]
# English and other languages, labelled `not-malayalam` (the config drops them).
NOT_MALAYALAM = [
    "Worst customer service ever, nobody picks up the phone.",
    "Good app, easy to use.",
    "The network is down again in my area.",
    "Thanks for solving my issue quickly.",
    "Why is my bill so high this month?",
    'The "unlimited" plan is not unlimited at all.',
    "Please add an option to pay with UPI.",
    "Very slow internet, not happy.",
    "Nice service, keep it up!",
    "I waited 40 minutes on hold.",
    "How do I change my plan?",
    "Superb support team, thank you!",
    "This is the third time I am complaining.",
    "Recharge done but no data yet.",
    "சேவை மிகவும் நன்றாக இருந்தது",
    "நெட்வொர்க் கிடைக்கவில்லை",
    "ரொம்ப நன்றி",
    "bahut accha service hai bhai",
    "network bilkul nahi aa raha",
    "paisa kat gaya par recharge nahi hua",
]

# English utterances of the six intents (massive-ml, config `en`).
ENGLISH_INTENTS = {
    "check_balance": [
        "What is my account balance?",
        "How much money is left in my savings account?",
        "Tell me my wallet balance please.",
        "Send me a mini statement.",
        "How much data do I have left?",
    ],
    "pay_bill": [
        "I want to pay my electricity bill.",
        "Pay the water bill of 450 rupees.",
        "Help me pay my gas bill online.",
        "Set up auto pay for my broadband bill.",
        "When is the due date for my phone bill?",
    ],
    "recharge": [
        "Recharge my number for 199 rupees.",
        "I need a data pack of 299 rupees.",
        "Recharge my DTH connection.",
        "Show me plans with 84 days validity.",
        "Top up my prepaid number.",
    ],
    "report_complaint": [
        "There is no network in my area.",
        "My internet is very slow since yesterday.",
        "Money was debited but the recharge failed.",
        "My broadband has not worked for three days.",
        "There has been no power for five hours.",
    ],
    "talk_to_agent": [
        "I want to talk to a customer care agent.",
        "Connect me to a human please.",
        "Transfer this call to an officer.",
        "Can I speak to someone who knows Malayalam?",
        "Put me through to a real person.",
    ],
    "greeting": [
        "Hello.",
        "Good morning, I have a question.",
        "Hi, is anyone there?",
        "Hello, this is Anil speaking.",
        "Good evening.",
    ],
}

# The dialect sheet (dialects-ml): a regional phrase and its standard Malayalam form.
DIALECT_SHEET = [
    ("എന്തര് അപ്പീ, സുഖമാണോ?", "എന്താ കുട്ടീ, സുഖമാണോ?"),
    ("അവിടെ ആരും ഒണ്ടോ?", "അവിടെ ആരെങ്കിലും ഉണ്ടോ?"),
    ("ഞാൻ ഇപ്പം വരാം കേട്ടോ", "ഞാൻ ഇപ്പോൾ വരാം കേട്ടോ"),
    ("എന്തര് പറയണത്?", "എന്താണ് പറയുന്നത്?"),
    ("എന്തൂട്ടാ ഗഡീ വിശേഷം?", "എന്താണ് സുഹൃത്തേ വിശേഷം?"),
    ("ഇങ്ങടെ വീട് എവിടെയാ?", "നിങ്ങളുടെ വീട് എവിടെയാണ്?"),
    ("അത് ശരിയാവൂല്ല്യ ട്ടാ", "അത് ശരിയാവില്ല കേട്ടോ"),
    ("മഴ പെയ്യണ്ണ്ട് ട്ടാ", "മഴ പെയ്യുന്നുണ്ട് കേട്ടോ"),
    ("ഇങ്ങടെ അക്കൗണ്ടിൽ പൈസ ഇല്ല ഗഡീ", "നിങ്ങളുടെ അക്കൗണ്ടിൽ പണം ഇല്ല സുഹൃത്തേ"),
    ("ഇങ്ങള് ചായ കുടിച്ചോ?", "നിങ്ങൾ ചായ കുടിച്ചോ?"),
    ("ഇങ്ങക്ക് എന്താ വേണ്ട്യേ?", "നിങ്ങൾക്ക് എന്താണ് വേണ്ടത്?"),
    ("ഞമ്മക്ക് നാളെ പോവാം", "നമുക്ക് നാളെ പോകാം"),
    ("ഇജ്ജ് എവിടെയാ?", "നീ എവിടെയാണ്?"),
    ("ഓൻ ഇന്നലെ വന്നീനി", "അവൻ ഇന്നലെ വന്നിരുന്നു"),
    ("ഓള് ഇപ്പം ബരും", "അവൾ ഇപ്പോൾ വരും"),
    ("ഒരു ഗ്ലാസ് ബെള്ളം താ", "ഒരു ഗ്ലാസ് വെള്ളം താ"),
    ("200 ഉറുപ്പിക ആയി", "200 രൂപ ആയി"),
    ("ഓന്റെ കയ്യില് 500 ഉറുപ്പിക ഇണ്ട്", "അവന്റെ കയ്യിൽ 500 രൂപ ഉണ്ട്"),
    ("നീ ഇങ്ങോട്ട് വാ ഉവ്വേ", "നീ ഇങ്ങോട്ട് വാ സുഹൃത്തേ"),
]
# --------------------------------------------------------------------------------------------
# Speakers.  An espeak-ng voice variant + pitch (-p) + speed (-s) is one synthetic "speaker".
# Speaker ids are unique across all demo datasets.
# --------------------------------------------------------------------------------------------

STT_VARIANTS = [
    "ml+m1",
    "ml+f1",
    "ml+m2",
    "ml+f2",
    "ml+m3",
    "ml+f3",
    "ml+m4",
    "ml+f4",
    "ml+m5",
    "ml+f5",
    "ml+m6",
    "ml+m7",
    "ml",
]
MALE_VARIANTS = ["ml", "ml+m1", "ml+m2", "ml+m3", "ml+m4", "ml+m5", "ml+m6", "ml+m7"]


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


# indicvoices-ml speakers.  Dialect regions get clearly separated pitch ranges and speaking rates
# so that a tiny audio classifier can learn them; all male variants so that voice gender does not
# blur the pitch cue.  Each speaker: (district as written in the metadata, clips, split folder).
# Districts are spelled the way real metadata mixes them: official English, older English,
# Malayalam script, odd case and stray whitespace.  30 clips per region.
REGIONS = {
    "Travancore": {
        "pitch": (15, 30),
        "speed": (125, 138),
        "v0": 0,
        "speakers": [
            ("Thiruvananthapuram", 3, "Train"),
            ("Trivandrum", 4, "Train"),
            ("തിരുവനന്തപുരം", 2, "Train"),
            ("Kollam", 3, "Train"),
            ("Quilon", 3, "Valid"),
            ("കൊല്ലം", 4, "Train"),
            ("Pathanamthitta", 2, "Train"),
            ("Alappuzha", 3, "Train"),
            ("Alleppey", 3, "Valid"),
            (" alappuzha ", 3, "Train"),
        ],
    },
    "Cochin": {
        "pitch": (45, 55),
        "speed": (160, 170),
        "v0": 2,
        "speakers": [
            ("Ernakulam", 4, "Train"),
            ("ERNAKULAM", 3, "Train"),
            ("എറണാകുളം", 3, "Valid"),
            ("Ernakulam ", 2, "Train"),
            ("Thrissur", 3, "Train"),
            ("Trichur", 4, "Train"),
            ("തൃശ്ശൂർ", 3, "Train"),
            ("തൃശൂർ", 3, "Valid"),
            ("thrissur", 2, "Train"),
            ("Thrissur", 3, "Train"),
        ],
    },
    "Malabar": {
        "pitch": (75, 90),
        "speed": (200, 215),
        "v0": 4,
        "speakers": [
            ("Kozhikode", 3, "Train"),
            ("Calicut", 3, "Train"),
            ("കോഴിക്കോട്", 2, "Train"),
            ("Kozhikkode", 3, "Valid"),
            ("Malappuram", 2, "Train"),
            ("മലപ്പുറം", 3, "Train"),
            ("Kannur", 2, "Train"),
            ("Cannanore", 3, "Train"),
            ("Palakkad", 2, "Train"),
            ("Palghat", 3, "Valid"),
            ("Kasaragod", 2, "Train"),
            ("Kasargod", 2, "Train"),
        ],
    },
}
DIALECT_PER_REGION = 30
# Speakers with no dialect label: from outside Kerala, or with an unknown/empty district.  They
# read IVR sentences (stt only).  (district, state, clips, split folder); None is JSON null.
OTHER_SPEAKERS = [
    ("Chennai", "Tamil Nadu", 2, "Train"),
    ("Coimbatore", "Tamil Nadu", 2, "Train"),
    ("The Nilgiris", "Tamil Nadu", 2, "Valid"),
    ("Mangaluru", "Karnataka", 2, "Train"),
    ("Dakshina Kannada", "Karnataka", 2, "Train"),
    ("Bengaluru Urban", "Karnataka", 2, "Train"),
    ("", "Kerala", 2, "Train"),
    (None, "Kerala", 2, "Train"),
    ("Unknown", "", 2, "Valid"),
    ("  ", None, 2, "Train"),
]
# The state written for Kerala speakers (mostly "Kerala"; real metadata varies a little).
KERALA_STATE = {" alappuzha ": "kerala", "thrissur": "Kerala ", "മലപ്പുറം": "കേരളം"}
AGE_GROUPS = ["18-30", "30-45", "45-60", "60+"]


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
