"""Malayalam text normalization for training targets.

Unlike Whisper's BasicTextNormalizer (which strips Unicode marks and so deletes Malayalam vowel
signs and virama), every rule here keeps the script intact and only unifies encodings that render
the same: old chillu sequences, the dot reph, the two-part au sign, Malayalam digits.
"""

from __future__ import annotations

import html
import re
import unicodedata

VIRAMA = "\u0d4d"
ZWJ = "\u200d"
ZWNJ = "\u200c"

# Old-style chillu (consonant + virama + ZWJ) -> atomic chillu letters (Unicode 5.1+).
CHILLU = {
    "\u0d23": "\u0d7a",  # ണ -> ൺ
    "\u0d28": "\u0d7b",  # ന -> ൻ
    "\u0d30": "\u0d7c",  # ര -> ർ
    "\u0d32": "\u0d7d",  # ല -> ൽ
    "\u0d33": "\u0d7e",  # ള -> ൾ
    "\u0d15": "\u0d7f",  # ക -> ൿ
}
_CHILLU_SEQ = re.compile("([" + "".join(CHILLU) + "])" + VIRAMA + ZWJ)
# Spaces that are not ASCII space but mean one (NBSP, ZWSP, narrow NBSP, ideographic, ...).
_SPACE_LIKE = re.compile(
    "[\u00a0\u200b\u202f\u2000-\u200a\u3000\u1680\u205f\t\n\r\v\f\u2028\u2029]"
)
_WS = re.compile(r"\s+")
_HTML_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);")
_ML_DIGITS = {chr(0x0D66 + i): str(i) for i in range(10)}
_TRANSLATE = str.maketrans(
    {
        **_ML_DIGITS,
        "\u0d4e": "\u0d7c",  # dot reph -> chillu rr
        "\u0d4c": "\u0d57",  # au sign -> au length mark (modern orthography)
    }
)


def _drop_format_and_control(text: str) -> str:
    """Remove Cc/Cf code points (BOM, soft hyphen, word joiner, bidi marks, stray ZWJ/ZWNJ)."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))


def normalize(text: str) -> str:
    """Normalize one line of Malayalam text; idempotent: normalize(normalize(t)) == normalize(t)."""
    if not text:
        return ""
    if "&" in text:
        text = _HTML_ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    text = unicodedata.normalize("NFC", text)
    text = _SPACE_LIKE.sub(" ", text)
    text = _CHILLU_SEQ.sub(lambda m: CHILLU[m.group(1)], text)
    text = _drop_format_and_control(text)  # after chillus: ZWJ/ZWNJ left over are removed here
    text = text.replace("\u0d7b" + VIRAMA + "\u0d31", "\u0d28" + VIRAMA + "\u0d31")  # ൻ്റ -> ന്റ
    text = text.translate(_TRANSLATE)
    return _WS.sub(" ", text).strip()


def is_malayalam(ch: str) -> bool:
    return "\u0d00" <= ch <= "\u0d7f"


def malayalam_ratio(text: str) -> float:
    """Share of letters and marks that are Malayalam; digits, spaces, punctuation ignored."""
    letters = [ch for ch in text if unicodedata.category(ch)[0] in ("L", "M")]
    if not letters:
        return 0.0
    return sum(is_malayalam(ch) for ch in letters) / len(letters)


class TextReject(Exception):
    """A text that cannot be a training target; ``reason`` is a fixed reject reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def check_text(normalized: str, min_malayalam_ratio: float) -> None:
    """Reject empty or mostly non-Malayalam text with a reason a person can act on."""
    if not normalized:
        raise TextReject("empty_text", "text is empty after normalization")
    if not any(unicodedata.category(ch)[0] in ("L", "M") for ch in normalized):
        raise TextReject("empty_text", f"no letters, only digits/punctuation: {normalized[:40]!r}")
    ratio = malayalam_ratio(normalized)
    if ratio < min_malayalam_ratio:
        raise TextReject(
            "non_malayalam_text",
            f"Malayalam share of letters {ratio:.2f} < {min_malayalam_ratio:.2f} "
            f"(config text.min_malayalam_ratio): {normalized[:40]!r}",
        )
