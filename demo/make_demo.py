#!/usr/bin/env python3
"""Generate the embedded, SYNTHETIC demo datasets of the Malayalam Data Foundry.

Everything this script writes is synthetic: the speech is rendered by the espeak-ng speech
synthesizer (Malayalam voice ``ml`` and its variants), the sentences are written inline below, and
the codec tokens of ``rasa-ml`` are random numbers.  Nothing here comes from the real datasets the
demo datasets stand in for; all output is released as CC0-1.0.

Output: seven small datasets in Hugging Face Hub repository layout under

    demo/hub/datasets/foundry-demo/<name>/README.md        (YAML front matter with ``configs:``)
    demo/hub/datasets/foundry-demo/<name>/data/...parquet  (audio as {bytes, path} structs)

plus ``demo/planted.json``, the machine-readable list of deliberately bad items (file, row,
expected reject reason) and of the planted text-normalization variants.  ``demo/README.md``
explains what each dataset stands in for.

Usage (from the repository root):

    python demo/make_demo.py            # regenerate demo/hub and demo/planted.json, then verify
    python demo/make_demo.py --verify   # only verify and summarize what is on disk

Determinism: one fixed seed, fixed iteration order, espeak-ng CLI output (byte-identical across
runs), FLAC/MP3 encoders that are deterministic, and OGG stream serial numbers rewritten to a
value derived from the file name (libsndfile picks them at random).  Two runs with the same tool
versions (espeak-ng 1.51, libsndfile 1.2.2, soxr, pyarrow 26) give byte-identical files.

Requirements: Python 3.11, numpy, soundfile >= 0.13 (libsndfile >= 1.1 for MP3/Opus), soxr,
pyarrow, and the ``espeak-ng`` binary on PATH.
"""

from __future__ import annotations

import argparse
import io
import json
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
HF_AUDIO = {"_type": "Audio"}

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

# Short IVR utterances for the three speech-to-text datasets (one shared pool, sliced per dataset
# so that no sentence appears in two datasets).
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

# Intent classification (rasa-ml).  Counts are deliberately imbalanced (check_balance ~2x).
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

# Customer feedback (sentiment-ml).
SENTIMENT_COUNTS = {"positive": 50, "negative": 55, "neutral": 45}
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
# prompts and everyday sentences.  Keys are the `source` column.
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
GENERAL_COUNTS = {"news": 90, "wiki": 32, "ivr_prompt": 78, "conversation": 50}

# Short phrases for the dialect dataset (1-2.5 s when spoken), with a few regional discourse
# markers appended to some of them.
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


# Dialect regions: clearly separated pitch ranges and speaking rates so that a tiny audio
# classifier can learn them; all male variants so that voice gender does not blur the pitch cue.
REGIONS = {
    # region: (districts of its 6 speakers, pitches, speeds, first variant index)
    "Travancore": (
        [
            "Thiruvananthapuram",
            "Kollam",
            "Pathanamthitta",
            "Alappuzha",
            "Thiruvananthapuram",
            "Kollam",
        ],
        [15, 18, 21, 24, 27, 30],
        [125, 130, 135, 128, 133, 138],
        0,
    ),
    "Cochin": (
        ["Ernakulam", "Thrissur", "Ernakulam", "Thrissur", "Ernakulam", "Thrissur"],
        [45, 47, 49, 51, 53, 55],
        [160, 166, 170, 163, 168, 165],
        2,
    ),
    "Malabar": (
        ["Kozhikode", "Malappuram", "Kannur", "Palakkad", "Kozhikode", "Malappuram"],
        [75, 78, 81, 84, 87, 90],
        [200, 205, 210, 215, 203, 208],
        4,
    ),
}
DIALECT_PER_REGION = 30

# --------------------------------------------------------------------------------------------
# Planted bad items: (dataset, row) -> expected reject reason (foundry reject-reason strings).
# Rows are 0-based positions in the dataset's rows in file order (for the two-file dataset the
# file and the row inside it are recorded in planted.json as well).
# --------------------------------------------------------------------------------------------

BAD = {
    "indicst-ml": {
        5: None,  # the original of the duplicate (kept)
        13: "undecodable",  # random bytes named .wav
        20: "empty_audio",  # valid WAV header, zero frames
        27: "non_finite",  # float32 WAV with a run of NaN samples
        34: "duplicate_audio",  # byte-identical copy of row 5 (same text and speaker)
    },
    "speech-ml": {
        8: "silence",  # 3 s of digital silence (stereo FLAC)
        17: "clipping",  # speech scaled x20 and hard-clipped
        23: "empty_text",  # good audio, empty sentence
        29: "missing_audio",  # audio struct is null
    },
    "indicvoices-ml": {
        6: "too_long",  # ~40 s of concatenated speech (Opus, low bitrate)
        11: "too_short",  # 0.2 s excerpt
        21: "non_malayalam_text",  # English audio (espeak-ng en) with English transcription
    },
    "dialects-ml": {
        90: "missing_label",  # district is null (appended after the 90 good rows)
    },
    "rasa-ml": {37: "empty_text", 88: "non_malayalam_text", 121: "missing_label"},
    "indicnlp-ml": {57: "empty_text", 143: "non_malayalam_text"},
    "sentiment-ml": {19: "empty_text", 74: "non_malayalam_text", 132: "missing_label"},
}

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


def write_readme(
    ds_dir: Path, name: str, stands_in_for: str, data_glob: str, body: str, task: str
) -> None:
    text = f"""---
license: cc0-1.0
language:
- ml
pretty_name: "Foundry demo: {name} (synthetic)"
task_categories:
- {task}
tags:
- synthetic
- espeak-ng
- foundry-demo
configs:
- config_name: default
  data_files:
  - split: train
    path: {data_glob}
---

# foundry-demo/{name} — SYNTHETIC demo data

**This dataset is synthetic.** It was generated by `demo/make_demo.py` of the Malayalam Data
Foundry (speech rendered with the espeak-ng Malayalam voice; sentences written for the demo;
nothing is taken from any real dataset). It stands in for
[`{stands_in_for}`](https://huggingface.co/datasets/{stands_in_for}) so that the workflow can run
offline; it is not useful for training a real model.

{body.strip()}

Regenerate with `python demo/make_demo.py`; `demo/planted.json` lists every planted bad row and
normalization variant, and `demo/README.md` explains why they are there.
"""
    (ds_dir / "README.md").write_text(text, encoding="utf-8")


def fmt_counts(counts: Counter) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def planted_table(records: list[dict]) -> str:
    lines = ["| file | row in file | planted | expected reject |", "|---|---|---|---|"]
    for r in records:
        reason = f"`{r['reason']}`" if r["reason"] else "- (kept)"
        lines.append(f"| `{r['file']}` | {r['file_row']} | {r['what']} | {reason} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Datasets
# --------------------------------------------------------------------------------------------


class Ctx:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.planted: list[dict] = []
        self.variants: list[dict] = []

    def sub(self, label: str) -> random.Random:
        """An independent, reproducible stream per purpose (adding one does not shift others)."""
        return random.Random(f"{SEED}:{label}")

    def plant(
        self,
        ds: str,
        file: str,
        row: int,
        reason: str | None,
        what: str,
        file_row: int | None = None,
    ) -> None:
        self.planted.append(
            {
                "dataset": ds,
                "file": file,
                "row": row,
                "file_row": row if file_row is None else file_row,
                "reason": reason,
                "what": what,
            }
        )

    def mark_variants(self, ds: str, file_of, rows: dict[int, str], texts: list) -> None:
        for r, kind in rows.items():
            f, fr = file_of(r)
            self.variants.append(
                {"dataset": ds, "file": f, "row": r, "file_row": fr, "kind": kind, "text": texts[r]}
            )


def stt_pool(ctx: Ctx) -> list[str]:
    pool = generate(STT_TEMPLATES, 125, ctx.sub("stt-pool"))
    check_clean(pool)
    return pool


def build_indicst(ctx: Ctx, pool: list[str], out: Path) -> None:
    name, n = "indicst-ml", 40
    file = "data/train-00000-of-00001.parquet"
    speakers = stt_speakers(1, 12)
    texts: list[str] = pool[0:n]
    spk = [speakers[i % len(speakers)] for i in range(n)]
    texts[34], spk[34] = texts[5], spk[5]  # the duplicate re-uses row 5's text and speaker
    rng = ctx.sub(name)
    audio, trans = [], list(texts)
    for i in range(n):
        path = f"indicst_ml_{i:04d}.wav"
        if i == 13:
            data = bytes(rng.getrandbits(8) for _ in range(6000))
            ctx.plant(name, file, i, "undecodable", "6,000 random bytes named .wav")
        elif i == 20:
            data = encode(np.zeros(0, np.float32), 22050, "WAV", "PCM_16", path)
            ctx.plant(name, file, i, "empty_audio", "valid PCM16 WAV header with zero frames")
        elif i == 34:
            data = audio[5]["bytes"]
            path = "indicst_ml_0005_reupload.wav"
            ctx.plant(
                name,
                file,
                i,
                "duplicate_audio",
                "byte-identical audio (and text, speaker) of row 5",
            )
        else:
            data, x, sr = speak(texts[i], spk[i])
            if i == 27:
                x = x.copy()
                x[2000:2400] = np.nan
                data = encode(x, sr, "WAV", "FLOAT", path)
                ctx.plant(name, file, i, "non_finite", "float32 WAV with 400 NaN samples")
        audio.append(audio_cell(data, path))
    ctx.plant(name, file, 5, None, "original of the duplicate in row 34 (must be kept)")
    skip = {5, 13, 20, 27, 34}
    vrows = plant_variants(trans, skip, ctx.sub(name + ":variants"))
    ctx.mark_variants(name, lambda r: (file, r), vrows, trans)
    ds = out / name
    write_parquet(
        ds / file,
        {
            "audio": pa.array(audio, type=AUDIO_TYPE),
            "transcription": pa.array(trans, type=pa.string()),
            "speaker_id": pa.array([s.id for s in spk], type=pa.string()),
        },
        {"audio": HF_AUDIO, "transcription": HF_STRING, "speaker_id": HF_STRING},
        row_group_size=16,
    )
    body = f"""
Speech-to-text stand-in: {n} short IVR utterances, mono PCM16 WAV at 22,050 Hz (espeak-ng output as
is), {len(speakers)} synthetic speakers (`speaker_id`), each reading 3-4 sentences.

Columns: `audio` (Audio: struct of `bytes`, `path`), `transcription` (string),
`speaker_id` (string).
"""
    write_readme(
        ds,
        name,
        "Be-win/IndicST-malayalam-only",
        "data/train-*.parquet",
        body,
        "automatic-speech-recognition",
    )


def build_speech(ctx: Ctx, pool: list[str], out: Path) -> None:
    name, n = "speech-ml", 30
    file = "data/train-00000-of-00001.parquet"
    speakers = stt_speakers(13, 12)
    texts = pool[40 : 40 + n]
    spk = [speakers[i % len(speakers)] for i in range(n)]
    audio, sents, rates = [], list(texts), []
    for i in range(n):
        sr_out = 44100 if i % 2 == 0 else 48000
        rates.append(sr_out)
        path = f"speech_ml_{i:04d}.flac"
        if i == 29:
            audio.append(None)
            ctx.plant(name, file, i, "missing_audio", "audio is null (text and speaker present)")
            continue
        if i == 8:
            y = np.zeros(3 * sr_out, np.float32)
            ctx.plant(name, file, i, "silence", "3 s of digital silence")
        else:
            _, x, sr = speak(texts[i], spk[i])
            y = resample(x, sr, sr_out)
            if i == 17:
                y = np.clip(y * 20.0, -1.0, 1.0)
                ctx.plant(
                    name, file, i, "clipping", "speech scaled x20 and hard-clipped to full scale"
                )
        left = y
        right = np.clip(y * 0.9, -1.0, 1.0)  # a slightly quieter second channel
        stereo = np.stack([left, right], axis=1)
        audio.append(audio_cell(encode(stereo, sr_out, "FLAC", "PCM_16", path), path))
    sents[23] = ""
    ctx.plant(name, file, 23, "empty_text", "empty sentence for good audio")
    vrows = plant_variants(sents, {8, 17, 23, 29}, ctx.sub(name + ":variants"))
    ctx.mark_variants(name, lambda r: (file, r), vrows, sents)
    ds = out / name
    write_parquet(
        ds / file,
        {
            "audio": pa.array(audio, type=AUDIO_TYPE),
            "sentence": pa.array(sents, type=pa.string()),
            "client_id": pa.array([s.id for s in spk], type=pa.string()),
        },
        {"audio": HF_AUDIO, "sentence": HF_STRING, "client_id": HF_STRING},
        row_group_size=16,
    )
    body = f"""
Speech-to-text stand-in: {n} short IVR utterances as **stereo** FLAC at 44,100 Hz (even rows) and
48,000 Hz (odd rows): espeak-ng output resampled with soxr, the second channel 10 % quieter.
{len(speakers)} synthetic speakers (`client_id`).

Columns: `audio` (Audio: struct of `bytes`, `path`), `sentence` (string), `client_id` (string).
"""
    write_readme(
        ds,
        name,
        "ayush-shunyalabs/malayalam-speech-dataset",
        "data/train-*.parquet",
        body,
        "automatic-speech-recognition",
    )


def build_indicvoices(ctx: Ctx, pool: list[str], out: Path) -> None:
    name, n = "indicvoices-ml", 30
    files = ["data/ml/train-00000-of-00002.parquet", "data/ml/train-00001-of-00002.parquet"]
    half = n // 2

    def file_of(r: int) -> tuple[str, int]:
        return (files[0], r) if r < half else (files[1], r - half)

    speakers = stt_speakers(25, 12)
    texts = pool[70 : 70 + n]
    spk = [speakers[i % len(speakers)] for i in range(n)]
    audio, txt, kinds = [], list(texts), []
    for i in range(n):
        kind = ("vorbis", "opus", "mp3")[i % 3]
        if i == 6:
            kind = "opus"
        sr_out = 48000 if (kind == "opus" or i % 2 == 0) else 22050
        if i == 6:
            # ~40 s: many sentences by the same speaker, 0.3 s apart
            parts, said = [], []
            k = 100
            while sum(len(p) for p in parts) < 40.0 * 22050:
                _, x, sr = speak(pool[k], spk[i])
                parts += [x, np.zeros(int(0.3 * sr), np.float32)]
                said.append(pool[k])
                k += 1
            x = np.concatenate(parts)
            txt[i] = " ".join(said)
            f, fr = file_of(i)
            ctx.plant(
                name, f, i, "too_long", f"{len(x) / sr:.1f} s of concatenated speech (Opus)", fr
            )
        elif i == 21:
            x, sr = speak(ENGLISH[0], spk[i], voice="en" + spk[i].voice[2:])[1:]
            txt[i] = ENGLISH[0]
            f, fr = file_of(i)
            ctx.plant(
                name, f, i, "non_malayalam_text", "English audio with English transcription", fr
            )
        else:
            _, x, sr = speak(texts[i], spk[i])
            if i == 11:
                mid = len(x) // 2
                x = x[mid : mid + int(0.2 * sr)]
                f, fr = file_of(i)
                ctx.plant(
                    name, f, i, "too_short", "0.2 s excerpt from the middle of an utterance", fr
                )
        y = resample(x, sr, sr_out)
        ext = {"vorbis": "ogg", "opus": "opus", "mp3": "mp3"}[kind]
        path = f"indicvoices_ml_{i:04d}.{ext}"
        if kind == "vorbis":
            data = encode(y, sr_out, "OGG", "VORBIS", path, level=0.7)
        elif kind == "opus":
            data = encode(y, sr_out, "OGG", "OPUS", path, level=0.9 if i == 6 else 0.6)
        else:
            data = encode(y, sr_out, "MP3", "MPEG_LAYER_III", path, level=0.6)
        kinds.append(kind)
        audio.append(audio_cell(data, path))
    vrows = plant_variants(txt, {6, 11, 21}, ctx.sub(name + ":variants"))
    ctx.mark_variants(name, file_of, vrows, txt)
    ds = out / name
    feats = {
        "audio_filepath": HF_AUDIO,
        "text": HF_STRING,
        "speaker": HF_STRING,
        "gender": HF_STRING,
    }
    for j, f in enumerate(files):
        sl = slice(j * half, (j + 1) * half)
        write_parquet(
            ds / f,
            {
                "audio_filepath": pa.array(audio[sl], type=AUDIO_TYPE),
                "text": pa.array(txt[sl], type=pa.string()),
                "speaker": pa.array([s.id for s in spk[sl]], type=pa.string()),
                "gender": pa.array([s.gender for s in spk[sl]], type=pa.string()),
            },
            feats,
            row_group_size=8,
        )
    body = f"""
Speech-to-text stand-in: {n} short IVR utterances in compressed formats — OGG Vorbis (22,050 or
48,000 Hz), OGG Opus (48,000 Hz) and MP3 (22,050 or 48,000 Hz), rotating by row — in a nested
layout with two parquet files (`data/ml/train-0000{{0,1}}-of-00002.parquet`, {half} rows each).
{len(speakers)} synthetic speakers (`speaker`, with `gender` male/female from the espeak-ng
variant).

Columns: `audio_filepath` (Audio: struct of `bytes`, `path`), `text`, `speaker`, `gender` (strings).
"""
    write_readme(
        ds,
        name,
        "CXDuncan/Malayalam-IndicVoices",
        "data/ml/train-*.parquet",
        body,
        "automatic-speech-recognition",
    )


def build_dialects(ctx: Ctx, out: Path) -> None:
    name = "dialects-ml"
    file = "data/train-00000-of-00001.parquet"
    sr_out = 16000
    candidates = generate(DIALECT_TEMPLATES, 220, ctx.sub("dialect-pool"))
    check_clean(candidates)
    next_cand = 0
    rows = []  # (district, sentence, speaker id, flac bytes, region, duration)
    spk_no = 41
    for region, (districts, pitches, speeds, v0) in REGIONS.items():
        speakers = []
        for j in range(6):
            s = Speaker(
                f"spk-{spk_no:02d}",
                MALE_VARIANTS[(v0 + j) % len(MALE_VARIANTS)],
                pitches[j],
                speeds[j],
            )
            speakers.append((s, districts[j]))
            spk_no += 1
        markers = REGION_MARKERS[region]
        for k in range(DIALECT_PER_REGION):
            s, district = speakers[k % 6]
            while True:
                core = candidates[next_cand]
                next_cand += 1
                text = f"{core}, {markers[k % len(markers)]}" if k % 3 == 2 else core
                _, x, sr = speak(text, s)
                x = trim(x, sr)
                dur = len(x) / sr
                if 0.8 <= dur <= 2.5:
                    break
            if dur < 1.0:
                x = np.concatenate([x, np.zeros(int((1.0 - dur) * sr) + 1, np.float32)])
            y = resample(x, sr, sr_out)
            rows.append([district, text, s.id, y, region])
    order = list(range(len(rows)))
    ctx.sub(name + ":order").shuffle(order)
    rows = [rows[k] for k in order]
    # the planted row with a missing label, appended at the end
    s_extra = Speaker("spk-41", MALE_VARIANTS[0], 15, 125)
    _, x, sr = speak(candidates[next_cand], s_extra)
    rows.append([None, candidates[next_cand], s_extra.id, resample(trim(x, sr), sr, sr_out), None])
    ctx.plant(
        name,
        file,
        len(rows) - 1,
        "missing_label",
        "district is null (speaker spk-41, Travancore voice)",
    )
    sents = [r[1] for r in rows]
    vrows = plant_variants(sents, {len(rows) - 1}, ctx.sub(name + ":variants"))
    ctx.mark_variants(name, lambda r: (file, r), vrows, sents)
    audio = []
    for i, r in enumerate(rows):
        path = f"dialects_ml_{i:04d}.flac"
        audio.append(audio_cell(encode(r[3], sr_out, "FLAC", "PCM_16", path), path))
    ds = out / name
    write_parquet(
        ds / file,
        {
            "audio": pa.array(audio, type=AUDIO_TYPE),
            "district": pa.array([r[0] for r in rows], type=pa.string()),
            "sentence": pa.array(sents, type=pa.string()),
            "speaker": pa.array([r[2] for r in rows], type=pa.string()),
        },
        {"audio": HF_AUDIO, "district": HF_STRING, "sentence": HF_STRING, "speaker": HF_STRING},
        row_group_size=32,
    )
    per_region = Counter(r[4] for r in rows if r[4])
    body = f"""
Dialect-identification stand-in: {len(rows)} short phrases (1-2.5 s, mono FLAC, 16 kHz)
labelled with the speaker's **district**. The districts map to three regions — Travancore
(Thiruvananthapuram, Kollam, Pathanamthitta, Alappuzha), Cochin (Ernakulam, Thrissur), Malabar
(Kozhikode, Malappuram, Kannur, Palakkad) — {fmt_counts(per_region)} clips.
The "dialect" is only a synthetic stand-in: each region is rendered with its own pitch range
and speaking rate (Travancore low and slow, Cochin middle, Malabar high and fast), 6 speakers
per region, each speaker in one region and one district.

Columns: `audio` (Audio: struct of `bytes`, `path`), `district`, `sentence`, `speaker` (strings).
"""
    write_readme(
        ds, name, "Aby003/Malayalam_Dialects", "data/train-*.parquet", body, "audio-classification"
    )


def _insert_bad(good: list[list], bad: dict[int, list]) -> list[list]:
    rows = list(good)
    for pos in sorted(bad):
        rows.insert(pos, bad[pos])
    return rows


def build_rasa(ctx: Ctx, out: Path) -> None:
    name = "rasa-ml"
    file = "data/train-00000-of-00001.parquet"
    good: list[list] = []
    taken: set[str] = set()
    for intent, cnt in INTENT_COUNTS.items():
        texts = generate(INTENT_TEMPLATES[intent], cnt, ctx.sub(f"{name}:{intent}"), taken)
        taken |= set(texts)
        good += [[t, intent] for t in texts]
    extra = generate(INTENT_TEMPLATES["recharge"], 1, ctx.sub(f"{name}:extra"), taken)[0]
    check_clean([r[0] for r in good] + [extra])
    ctx.sub(name + ":order").shuffle(good)
    bad = {37: ["", "check_balance"], 88: [ENGLISH[1], "pay_bill"], 121: [extra, None]}
    rows = _insert_bad(good, bad)
    for pos, reason in BAD[name].items():
        what = {
            "empty_text": "empty text (intent check_balance)",
            "non_malayalam_text": "English text (intent pay_bill)",
            "missing_label": "Malayalam text, intent null",
        }[reason]
        ctx.plant(name, file, pos, reason, what)
    texts = [r[0] for r in rows]
    vrows = plant_variants(texts, set(bad), ctx.sub(name + ":variants"))
    ctx.mark_variants(name, lambda r: (file, r), vrows, texts)
    rng = ctx.sub(name + ":codes")
    codes = []
    for t in texts:
        frames = max(2, round(len(t) / 14.0 * 12.5))  # ~14 chars/s speech, 12.5 codec frames/s
        codes.append([rng.randrange(4032) for _ in range(frames * 4)])  # 4 codebooks, flattened
    ds = out / name
    write_parquet(
        ds / file,
        {
            "text": pa.array(texts, type=pa.string()),
            "intent": pa.array([r[1] for r in rows], type=pa.string()),
            "codes": pa.array(codes, type=pa.list_(pa.int32())),
        },
        {
            "text": HF_STRING,
            "intent": HF_STRING,
            "codes": {"feature": {"dtype": "int32", "_type": "Value"}, "_type": "List"},
        },
    )
    counts = Counter(r[1] for r in rows if r[1])
    body = f"""
Intent-classification stand-in: {len(rows)} caller requests labelled with one of six intents,
mildly imbalanced
(all rows, planted ones included): {fmt_counts(counts)}.
Like the real dataset, which stores neural-codec tokens instead of waveforms, each row has a
`codes` column — here **random** int32 ids (4 flattened codebooks, ~12.5 frames/s of the text's
estimated duration). There is no audio.

Columns: `text` (string), `intent` (string), `codes` (list of int32).
"""
    write_readme(
        ds,
        name,
        "Praha-Labs/rasa-malayalam-nano-codec",
        "data/train-*.parquet",
        body,
        "text-classification",
    )


def build_indicnlp(ctx: Ctx, out: Path) -> None:
    name = "indicnlp-ml"
    file = "data/train-00000-of-00001.parquet"
    good: list[list] = []
    taken: set[str] = set()
    for source, cnt in GENERAL_COUNTS.items():
        texts = generate(GENERAL_TEMPLATES[source], cnt, ctx.sub(f"{name}:{source}"), taken)
        taken |= set(texts)
        good += [[t, source] for t in texts]
    check_clean([r[0] for r in good])
    ctx.sub(name + ":order").shuffle(good)
    bad = {57: ["", "web"], 143: [ENGLISH[4], "web"]}
    rows = _insert_bad(good, bad)
    ctx.plant(name, file, 57, "empty_text", "empty sentence")
    ctx.plant(name, file, 143, "non_malayalam_text", "English sentence")
    texts = [r[0] for r in rows]
    vrows = plant_variants(texts, set(bad), ctx.sub(name + ":variants"))
    ctx.mark_variants(name, lambda r: (file, r), vrows, texts)
    ds = out / name
    write_parquet(
        ds / file,
        {
            "sentence": pa.array(texts, type=pa.string()),
            "source": pa.array([r[1] for r in rows], type=pa.string()),
        },
        {"sentence": HF_STRING, "source": HF_STRING},
    )
    counts = Counter(r[1] for r in rows)
    body = f"""
General-text stand-in (for adapting a text encoder to Malayalam): {len(rows)} sentences —
news-style lines, encyclopaedic facts about Kerala, IVR prompts and everyday sentences; `source`
says which (all rows, planted ones included):
{fmt_counts(counts)}.

Columns: `sentence` (string), `source` (string).
"""
    write_readme(
        ds, name, "Sakshamrzt/IndicNLP-Malayalam", "data/train-*.parquet", body, "text-generation"
    )


def build_sentiment(ctx: Ctx, out: Path) -> None:
    name = "sentiment-ml"
    file = "data/train-00000-of-00001.parquet"
    good: list[list] = []
    taken: set[str] = set()
    for label, cnt in SENTIMENT_COUNTS.items():
        texts = generate(SENTIMENT_TEMPLATES[label], cnt, ctx.sub(f"{name}:{label}"), taken)
        taken |= set(texts)
        good += [[t, label] for t in texts]
    extra = generate(SENTIMENT_TEMPLATES["neutral"], 1, ctx.sub(f"{name}:extra"), taken)[0]
    check_clean([r[0] for r in good] + [extra])
    ctx.sub(name + ":order").shuffle(good)
    bad = {19: ["", "neutral"], 74: [ENGLISH[2], "positive"], 132: [extra, None]}
    rows = _insert_bad(good, bad)
    ctx.plant(name, file, 19, "empty_text", "empty text (label neutral)")
    ctx.plant(name, file, 74, "non_malayalam_text", "English text (label positive)")
    ctx.plant(name, file, 132, "missing_label", "Malayalam text, label null")
    texts = [r[0] for r in rows]
    vrows = plant_variants(texts, set(bad), ctx.sub(name + ":variants"))
    ctx.mark_variants(name, lambda r: (file, r), vrows, texts)
    ds = out / name
    write_parquet(
        ds / file,
        {
            "text": pa.array(texts, type=pa.string()),
            "label": pa.array([r[1] for r in rows], type=pa.string()),
        },
        {"text": HF_STRING, "label": HF_STRING},
    )
    counts = Counter(r[1] for r in rows if r[1])
    body = f"""
Sentiment stand-in: {len(rows)} customer-feedback sentences with clear sentiment words, labelled
`positive`, `negative` or `neutral` (all rows, planted ones included):
{fmt_counts(counts)}.

Columns: `text` (string), `label` (string).
"""
    write_readme(
        ds,
        name,
        "wlkla/Malayalam_first_ready_for_sentiment",
        "data/train-*.parquet",
        body,
        "text-classification",
    )


# --------------------------------------------------------------------------------------------
# Main, verification and summary
# --------------------------------------------------------------------------------------------


def generate_all(out: Path) -> Ctx:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    ctx = Ctx()
    pool = stt_pool(ctx)
    build_indicst(ctx, pool, out)
    build_speech(ctx, pool, out)
    build_indicvoices(ctx, pool, out)
    build_dialects(ctx, out)
    build_rasa(ctx, out)
    build_indicnlp(ctx, out)
    build_sentiment(ctx, out)
    # per-dataset READMEs get the planted-items table appended
    for ds_dir in sorted(p for p in out.iterdir() if p.is_dir()):
        recs = [r for r in ctx.planted if r["dataset"] == ds_dir.name]
        vars_ = [v for v in ctx.variants if v["dataset"] == ds_dir.name]
        extra = "\n## Planted bad items (deliberate)\n\nRows are 0-based positions in the file.\n\n"
        extra += planted_table(sorted(recs, key=lambda r: r["row"])) + "\n"
        if vars_:
            extra += "\n## Planted text variants (the normalizer must fix them)\n\n"
            extra += "| file | row in file | variant |\n|---|---|---|\n"
            extra += "".join(f"| `{v['file']}` | {v['file_row']} | {v['kind']} |\n" for v in vars_)
        with open(ds_dir / "README.md", "a", encoding="utf-8") as fh:
            fh.write(extra)
    got = {(r["dataset"], r["row"], r["reason"]) for r in ctx.planted}
    want = {(ds, row, reason) for ds, rows in BAD.items() for row, reason in rows.items()}
    assert got == want, f"planted items differ from BAD: {sorted(got ^ want)}"
    planted = {
        "note": "SYNTHETIC demo data made by demo/make_demo.py; "
        "rows are 0-based positions in file order",
        "bad_items": sorted(ctx.planted, key=lambda r: (r["dataset"], r["row"])),
        "text_variants": sorted(ctx.variants, key=lambda r: (r["dataset"], r["row"])),
    }
    PLANTED_JSON.write_text(
        json.dumps(planted, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return ctx


def dir_size(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())


def verify(out: Path) -> None:
    planted = json.loads(PLANTED_JSON.read_text(encoding="utf-8"))
    undecodable = {
        (r["dataset"], r["row"]) for r in planted["bad_items"] if r["reason"] == "undecodable"
    }
    print(f"{'dataset':16} {'rows':>5} {'size':>9}  formats / sample rates / channels / durations")
    for ds_dir in sorted(p for p in out.iterdir() if p.is_dir()):
        files = sorted(ds_dir.rglob("*.parquet"))
        tables = [pq.read_table(f) for f in files]
        table = pa.concat_tables(tables)
        meta = json.loads(table.schema.metadata[b"huggingface"])
        assert set(meta["info"]["features"]) == set(table.column_names), ds_dir
        readme = (ds_dir / "README.md").read_text(encoding="utf-8")
        assert readme.startswith("---\n") and "configs:" in readme and "synthetic" in readme.lower()
        audio_cols = [c for c, f in meta["info"]["features"].items() if f.get("_type") == "Audio"]
        info = ""
        if audio_cols:
            fmts, rates, chans, durs = Counter(), Counter(), Counter(), []
            for i, cell in enumerate(table.column(audio_cols[0]).to_pylist()):
                if cell is None:
                    fmts["<null>"] += 1
                    continue
                try:
                    with sf.SoundFile(io.BytesIO(cell["bytes"])) as fh:
                        x = fh.read(dtype="float32")
                        fmts[f"{fh.format}/{fh.subtype}"] += 1
                        rates[fh.samplerate] += 1
                        chans[fh.channels] += 1
                        durs.append(len(x) / fh.samplerate)
                except sf.LibsndfileError:
                    assert (ds_dir.name, i) in undecodable, (ds_dir.name, i)
                    fmts["<undecodable>"] += 1
            info = (
                f"{dict(sorted(fmts.items()))} sr={dict(sorted(rates.items()))} "
                f"ch={dict(sorted(chans.items()))} "
                f"dur {min(durs):.2f}-{max(durs):.2f}s (sum {sum(durs):.0f}s)"
            )
        else:
            info = f"columns {table.column_names}"
        print(f"{ds_dir.name:16} {table.num_rows:5d} {dir_size(ds_dir) / 1e6:7.2f}MB  {info}")
    total = dir_size(out.parents[1])
    where = out.parents[1].relative_to(HERE.parent)
    print(f"total size of {where}: {total / 1e6:.2f} MB ({total} bytes)")
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
