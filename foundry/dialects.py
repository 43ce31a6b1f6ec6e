"""Dialect regions from where a speaker comes from: Kerala's 14 districts, in any spelling.

No public dataset labels Travancore / Cochin / Malabar speech; IndicVoices records each speaker's
district. The region is a proxy for the speaker's origin, by the historical states the districts
formed. A district outside Kerala, or an unknown one, gets no region: it is counted, never guessed.
"""

from __future__ import annotations

import re
import unicodedata

REGIONS = ("Travancore", "Cochin", "Malabar")

# Official name: (older English spellings, Malayalam script spellings)
DISTRICTS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "Thiruvananthapuram": ("Travancore", ("Trivandrum",), ("തിരുവനന്തപുരം",)),
    "Kollam": ("Travancore", ("Quilon",), ("കൊല്ലം",)),
    "Pathanamthitta": ("Travancore", ("Pathanamthita",), ("പത്തനംതിട്ട",)),
    "Alappuzha": ("Travancore", ("Alleppey", "Alappuzha"), ("ആലപ്പുഴ",)),
    "Kottayam": ("Travancore", (), ("കോട്ടയം",)),
    "Idukki": ("Travancore", (), ("ഇടുക്കി",)),
    "Ernakulam": ("Cochin", ("Cochin", "Kochi"), ("എറണാകുളം", "കൊച്ചി")),
    "Thrissur": ("Cochin", ("Trichur", "Thrissivaperur"), ("തൃശ്ശൂർ", "തൃശൂർ")),
    "Palakkad": ("Malabar", ("Palghat",), ("പാലക്കാട്",)),
    "Malappuram": ("Malabar", (), ("മലപ്പുറം",)),
    "Kozhikode": ("Malabar", ("Calicut", "Kozhikkode"), ("കോഴിക്കോട്",)),
    "Wayanad": ("Malabar", ("Wynad", "Wayanadu"), ("വയനാട്",)),
    "Kannur": ("Malabar", ("Cannanore",), ("കണ്ണൂർ",)),
    "Kasaragod": ("Malabar", ("Kasargod", "Kasaragode", "Kasargode"), ("കാസർഗോഡ്", "കാസർകോട്")),
}


def default_map() -> dict[str, list[str]]:
    """Region -> every spelling of its districts (the config default for ``dialect_map``)."""
    out: dict[str, list[str]] = {r: [] for r in REGIONS}
    for official, (region, older, native) in DISTRICTS.items():
        out[region] += [official, *older, *native]
    return out


_SUFFIX = re.compile(r"\s+(district|dist\.?|ജില്ല)$")


def key(name: str) -> str:
    """Spelling-insensitive key: NFC, case-folded, spaces collapsed, 'district' suffix dropped."""
    k = unicodedata.normalize("NFC", name).replace("\u200d", "").replace("\u200c", "")
    k = " ".join(k.split()).casefold()
    return _SUFFIX.sub("", k)


def lookup(table: dict[str, list[str]]) -> dict[str, str]:
    """Name (district or region, any listed spelling) -> region."""
    out: dict[str, str] = {}
    for region, names in table.items():
        for name in [region, *names]:
            out[key(name)] = region
    return out
