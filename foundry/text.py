"""Malayalam text normalization for training targets.

Unlike Whisper's BasicTextNormalizer (which strips Unicode marks and so deletes Malayalam vowel
signs and virama), every rule here keeps the script intact and only unifies encodings that render
the same: old chillu sequences, the three "nta" spellings, the dot reph, the two-part au sign,
Malayalam digits. HTML character references are unescaped, every kind of whitespace (tab,
newline, NEL, U+001C-U+001F, U+2028/9, NBSP, ZWSP) separates words, other control/format
characters are dropped, and the result is NFC. normalize() is idempotent.

check_text() rejects with one of TEXT_REJECT_REASONS.
"""

from __future__ import annotations

import html
import html.entities
import re
import unicodedata

from foundry import reasons
from foundry.errors import Reject

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
# The three spellings of the "nta" conjunct; the first two become the third (ന്റ). The ZWJ one
# must be rewritten before _CHILLU_SEQ, which would otherwise turn it into ൻ + റ (no virama).
_NTA = "\u0d28" + VIRAMA + "\u0d31"  # ന്റ
_NTA_OLD_ZWJ = "\u0d28" + VIRAMA + ZWJ + "\u0d31"  # ന്‍റ (pre-Unicode 5.1 chillu + റ)
_NTA_CHILLU = "\u0d7b" + VIRAMA + "\u0d31"  # ൻ്റ
# Anything that separates words becomes a space: all Unicode whitespace (tab, newline, NBSP,
# NEL U+0085, information separators U+001C-U+001F, U+2028/U+2029, ...) and the zero-width
# space. This runs before Cc/Cf removal, which would otherwise glue the two words together.
_SPACE_LIKE = re.compile(r"[\s\u200b]")
_WS = re.compile(r"\s+")
_HTML_ENTITY = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
# au: കൌ (U+0D4C, = U+0D46 U+0D57 canonically) is written കൗ (U+0D57 alone) in modern
# orthography. Any e signs in front go with it, or NFC would compose them with the new U+0D57.
_AU = re.compile("\u0d46*[\u0d4c\u0d57]")
_ML_DIGITS = {chr(0x0D66 + i): str(i) for i in range(10)}
_TRANSLATE = str.maketrans(
    {
        **_ML_DIGITS,
        "\u0d4e": "\u0d7c",  # dot reph -> chillu rr
    }
)


def _entity(m: re.Match[str]) -> str:
    ref = m.group(1)
    if ref.startswith("#"):
        return html.unescape(m.group(0))  # handles invalid/surrogate/cp1252 code points per HTML5
    # Only complete entity names: html.unescape("&ampfoo;") would give "&foo;".
    return html.entities.html5.get(ref + ";", m.group(0))


def _unescape_html(text: str) -> str:
    """Unescape HTML character references until none is left (&amp;amp; -> &).

    Repeating is what makes normalize() idempotent on double-escaped text from localisation
    catalogues and scrapes; it ends because every replacement shortens the text.
    """
    while "&" in text:
        new = _HTML_ENTITY.sub(_entity, text)
        if new == text:
            break
        text = new
    return text


def _drop_format_and_control(text: str, keep: str = "") -> str:
    """Remove Cc/Cf code points (BOM, soft hyphen, word joiner, bidi marks, stray ZWJ/ZWNJ)."""
    if text.isprintable():  # fast path: no Cc/Cf (nor any other non-printable) at all
        return text
    return "".join(ch for ch in text if ch in keep or unicodedata.category(ch) not in ("Cc", "Cf"))


def _normalize_once(text: str) -> str:
    text = _unescape_html(text)
    text = _SPACE_LIKE.sub(" ", text)
    # ZWJ/ZWNJ stay until the chillu rules have seen them; a soft hyphen or bidi mark inside a
    # sequence must not hide it (ന<SHY>്‍ is still ൻ).
    text = _drop_format_and_control(text, keep=ZWJ + ZWNJ)
    text = unicodedata.normalize("NFC", text)
    text = text.replace(_NTA_OLD_ZWJ, _NTA)
    text = _CHILLU_SEQ.sub(lambda m: CHILLU[m.group(1)], text)
    text = text.replace(ZWJ, "").replace(ZWNJ, "")  # left over: rendering hints only
    text = text.replace(_NTA_CHILLU, _NTA)
    text = text.translate(_TRANSLATE)
    text = _WS.sub(" ", text).strip()
    # Removing ZWJ/ZWNJ can leave e.g. െ + ാ adjacent: NFC composes them (ൊ), then au is
    # modernised; _AU leaves no U+0D46 + U+0D57 pair, so the result stays NFC.
    return _AU.sub("\u0d57", unicodedata.normalize("NFC", text))


def normalize(text: str) -> str:
    """Normalize one line of Malayalam text to NFC, idempotently (normalize(normalize(t)) == ...).

    One pass is idempotent except where it forms a new HTML reference (e.g. "&am<SHY>p;", or
    "&#൩൮;" after digit mapping), so passes repeat while an "&" is left and the text changes.
    Each repeat unescapes a reference and so shortens the text: the loop ends.
    """
    for _ in range(len(text) + 2):
        new = _normalize_once(text)
        if new == text or "&" not in new:
            return new
        text = new
    return text


def is_malayalam(ch: str) -> bool:
    return "\u0d00" <= ch <= "\u0d7f"


def malayalam_ratio(text: str) -> float:
    """Share of letters and marks that are Malayalam; digits, spaces, punctuation ignored."""
    letters = [ch for ch in text if unicodedata.category(ch)[0] in ("L", "M")]
    if not letters:
        return 0.0
    return sum(is_malayalam(ch) for ch in letters) / len(letters)


# Every reason check_text() can give, with what it means; rejects reports can list these.
TEXT_REJECT_REASONS: dict[str, str] = reasons.meanings("text")

# Romanised Malayalam ("Manglish") heuristic, used only for text already failing the Malayalam
# ratio. Small on purpose and deterministic: a word counts as Manglish if it is a common
# Manglish word below or ends in a Malayalam inflection below (and is not an English stop word);
# the text is romanised Malayalam when Manglish words outnumber English stop words and make up
# at least MANGLISH_MIN_SHARE of its Latin words. A place name in English ("I live in Kollam")
# stays English: the stop words outnumber it.
MANGLISH_WORDS = frozenset(
    """
    njan njaan njn njangal nammal namukku enikku enik enikk ente ende enne ninne ninte nee
    ningal ningalude ninakku ninak avan aval avar avante avalude athu ithu adhu idhu ath ith
    entha enthu enthanu enthina enth ethra evide evideya ivide avide engane eppo eppol appo
    ippo ippol innu innale naale alle allo alla illa ille illallo undu und undo aanu aano anu
    ano aayi ayi aayirunnu venam venda vendi pinne kure nalla nallathu kollam kollaam adipoli
    poli pwoli kidu padam chetta chettan chettai chechi machane machan mone molu ammachi
    achan sheri shari sheriya onnum onnu okke ellam ellarum vishesham visesham sugham sukham
    sughamano poyi vannu varu vaa poda podi eda edi ketto kettu paranju parayu cheyyu cheythu
    kandu kaanan kanan kazhinju pakshe karanam athinu mathi mathram aara aaru aare arum
    ishtam ishttam thanne polum vallatha ee aa oru randu moonnu kashtam ayyo adi
    il nu ne le ku kk aan aanu divasam divasamayi maasam thavana valare mosham udane kitti
    kittiyilla koodu kooduthal puthiya santhosham santhosha pathu anchu naalu aaru ezhu ettu
    onpathu nannayi nannaayi ariyanam theerum adachu kurichu samsarichu vilichu vilichittum
    paisa panam rupa vellam cheyyan cheyyanam ethaanu evideyaanu ippozhum
    """.split()
)
MANGLISH_SUFFIXES = (
    "nnu", "kku", "kkum", "kkan", "nnilla", "nnille", "yilla", "yille", "aanu", "aano",
    "aayi", "anum", "arum", "ilum", "ittu", "ttu", "nju", "ppol", "umbol", "athu", "ithu",
    "anam", "enam", "ettan", "chu", "ittum", "illa", "yayi", "unnu", "aam",
)  # fmt: skip
# Letter pairs that English words almost never hold but romanised Malayalam often does.
MANGLISH_PAIRS = ("aa", "zh", "nj", "thth")
ENGLISH_STOP_WORDS = frozenset(
    """
    a an the and or but if of to in on at by for from with about as into than then so not no
    is are was were be been being am do does did have has had will would can could should may
    might must shall i me my mine we us our you your he him his she her it its they them their
    this that these those there here what which who whom whose when where why how all any each
    every some more most very just also only too please thank thanks hello hi yes ok okay want
    need get got go going call press check pay number account balance one two three four five
    time first last new good great nice love like video song movie watch watching comment
    """.split()
)
MANGLISH_MIN_SHARE = 0.25
_LATIN_WORD = re.compile(r"[a-z]+")


def _is_manglish_word(word: str) -> bool:
    if word in ENGLISH_STOP_WORDS:
        return False
    if word in MANGLISH_WORDS:
        return True
    if len(word) >= 4 and any(p in word for p in MANGLISH_PAIRS):
        return True
    return len(word) >= 5 and word.endswith(MANGLISH_SUFFIXES)


def looks_romanised_malayalam(text: str) -> bool:
    """Whether mostly-Latin text reads as Manglish (see MANGLISH_WORDS), not English."""
    letters = [ch for ch in text if unicodedata.category(ch)[0] in ("L", "M")]
    latin = sum("a" <= ch <= "z" for ch in text.lower())
    if not letters or latin < len(letters) / 2:
        return False  # another script (Devanagari, Tamil, ...): not romanised Malayalam
    words = _LATIN_WORD.findall(text.lower())
    manglish = sum(map(_is_manglish_word, words))
    english = sum(w in ENGLISH_STOP_WORDS for w in words)
    return manglish > 0 and manglish >= english and manglish >= MANGLISH_MIN_SHARE * len(words)


class TextReject(Reject):
    """A text that cannot be a training target; ``reason`` is one of TEXT_REJECT_REASONS."""

    REASONS = TEXT_REJECT_REASONS
    KIND = "text reject"


REPLACEMENT = "\ufffd"  # what a decoder puts where bytes were not valid in the encoding


def check_text(normalized: str, min_malayalam_ratio: float) -> None:
    """Reject empty or mostly non-Malayalam text with a reason a person can act on.

    Manglish is told apart from English (``romanised_malayalam``) because it is Malayalam
    content a transliterator could recover, while English is simply off-language.
    """
    if not normalized:
        raise TextReject("empty_text", "text is empty after normalization")
    if REPLACEMENT in normalized:  # a transcript with lost characters does not match its audio
        raise TextReject(
            "garbled_text",
            f"{normalized.count(REPLACEMENT)} U+FFFD replacement character(s), the first at "
            f"character {normalized.index(REPLACEMENT)}: the text was decoded from broken bytes "
            "upstream; fix the source's encoding",
        )
    if not any(unicodedata.category(ch)[0] in ("L", "M") for ch in normalized):
        raise TextReject("empty_text", f"no letters, only digits/punctuation: {normalized[:40]!r}")
    ratio = malayalam_ratio(normalized)
    if ratio < min_malayalam_ratio:
        why = (
            f"Malayalam share of letters {ratio:.2f} < {min_malayalam_ratio:.2f} "
            f"(config text.min_malayalam_ratio): {normalized[:40]!r}"
        )
        if looks_romanised_malayalam(normalized):
            raise TextReject("romanised_malayalam", f"Latin text reads as Manglish; {why}")
        raise TextReject("non_malayalam_text", why)


# Malayalam aksharas: one grapheme counter for the speaking-rate gate and the grapheme CER.
VIRAMA = "\u0d4d"
ZWJ = "\u200d"
DOT_REPH = "\u0d4e"  # Grapheme_Cluster_Break=Prepend


def _ml_consonant(ch: str) -> bool:
    """InCB=Consonant in Malayalam (Unicode 15.1): the consonant letters KA..TTTA."""
    return "\u0d15" <= ch <= "\u0d3a"


def grapheme_clusters(text: str) -> list[str]:
    """Extended grapheme clusters with Unicode 15.1's conjunct rule (GB9c) for Malayalam.

    A consonant, virama, consonant run is one cluster (ക്ഷ, സ്ക), as readers and Unicode 15.1+
    count aksharas; marks (M*), ZWJ and ZWNJ extend the previous cluster (GB9), the dot reph
    prepends (GB9b), and ZWNJ or a vowel sign ends a conjunct. The pinned ``grapheme`` package
    implements Unicode 13 and splits every conjunct (സ്കൂൾ: 3 clusters there, 2 here).
    """
    clusters: list[str] = []
    cur = ""
    chain = False  # cur is a consonant cluster a following consonant may still join
    linked = False  # ... and a virama has come since its last consonant
    for ch in text:
        if cur == DOT_REPH:  # GB9b: a prepended mark takes whatever follows
            cur += ch
            chain, linked = _ml_consonant(ch), False
            continue
        if _ml_consonant(ch):
            if cur and chain and linked:
                cur += ch
                linked = False
                continue
            if cur:
                clusters.append(cur)
            cur, chain, linked = ch, True, False
            continue
        if ch == VIRAMA:
            cur += ch
            linked = linked or chain
            continue
        if ch == ZWJ:
            cur += ch  # InCB=Extend: keeps a conjunct chain going
            continue
        if cur and (unicodedata.category(ch)[0] == "M" or ch == "\u200c"):
            cur += ch
            if unicodedata.combining(ch) == 0:
                chain = linked = False  # vowel signs, anusvara, ZWNJ: not InCB=Extend
            continue
        if cur:
            clusters.append(cur)
        cur, chain, linked = ch, False, False
    if cur:
        clusters.append(cur)
    return clusters
