"""The Malayalam normalizer, rule by rule, plus the CLI and the script checks."""

import itertools
import pickle
import subprocess
import sys
import unicodedata

import pytest

from foundry.text import (
    TEXT_REJECT_REASONS,
    TextReject,
    check_text,
    looks_romanised_malayalam,
    malayalam_ratio,
    normalize,
)

VIRAMA, ZWJ, ZWNJ = "\u0d4d", "\u200d", "\u200c"


def test_nfc_composes_decomposed_vowel_signs():
    decomposed = "\u0d15\u0d46\u0d3e"  # ക + െ + ാ  (NFD of കൊ)
    assert normalize(decomposed) == "\u0d15\u0d4a"
    assert unicodedata.is_normalized("NFC", normalize(decomposed))


@pytest.mark.parametrize(
    "ch", ["\ufeff", "\u00ad", "\u2060", "\u200e", "\u0007", "\u202a"], ids=repr
)
def test_control_and_format_characters_removed(ch):
    assert normalize(f"മല{ch}യാളം") == "മലയാളം"


@pytest.mark.parametrize("ch", ["\u00a0", "\u200b", "\t", "\u3000"], ids=repr)
def test_nbsp_zwsp_become_space(ch):
    assert normalize(f"ബിൽ{ch}അടയ്ക്കണം") == "ബിൽ അടയ്ക്കണം"


def test_whitespace_collapsed_and_trimmed():
    assert normalize("  എന്റെ   \n  ബാലൻസ്  ") == "എന്റെ ബാലൻസ്"


@pytest.mark.parametrize(
    "base,atomic",
    [
        ("\u0d23", "\u0d7a"),
        ("\u0d28", "\u0d7b"),
        ("\u0d30", "\u0d7c"),
        ("\u0d32", "\u0d7d"),
        ("\u0d33", "\u0d7e"),
        ("\u0d15", "\u0d7f"),
    ],
)
def test_old_chillu_sequences_become_atomic(base, atomic):
    assert normalize("അ" + base + VIRAMA + ZWJ) == "അ" + atomic


def test_leftover_zwj_zwnj_removed_but_virama_kept():
    # ZWNJ after virama is a rendering hint only; the virama must stay.
    assert normalize("ക" + VIRAMA + ZWNJ + "ക") == "ക" + VIRAMA + "ക"
    assert normalize("സ" + ZWJ + "ർ") == "സർ"


def test_nta_ligature_spelling_unified():
    assert normalize("\u0d7b\u0d4d\u0d31") == "\u0d28\u0d4d\u0d31"
    assert normalize("എ\u0d7b\u0d4d\u0d31െ") == "എന്റെ"


def test_dot_reph_becomes_chillu_rr():
    assert normalize("\u0d15\u0d4e\u0d2e\u0d02") == "\u0d15\u0d7c\u0d2e\u0d02"


def test_au_sign_becomes_au_length_mark():
    assert normalize("\u0d15\u0d4c") == "\u0d15\u0d57"
    # the decomposed form (e + au length mark) composes under NFC first, then is modernised too
    assert normalize("\u0d15\u0d46\u0d57") == "\u0d15\u0d57"


def test_malayalam_digits_to_ascii():
    assert normalize("൧൨൩൪൫൬൭൮൯൦ രൂപ") == "1234567890 രൂപ"


def test_vowel_signs_and_virama_never_removed():
    text = "ക്ഷേത്രം കിട്ടുന്നില്ല ഉപഭോക്താവ് സൗകര്യം"
    out = normalize(text)
    for mark in ("\u0d4d", "\u0d47", "\u0d3f", "\u0d41", "\u0d4b", "\u0d57", "\u0d02"):
        assert out.count(mark) == text.count(mark)


def test_html_entities_unescaped():
    assert normalize("ബിൽ &amp; റീചാർജ്") == "ബിൽ & റീചാർജ്"


def test_idempotent():
    samples = ["ന\u0d4d\u200dമ ൧൨", "\ufeffക\u00adൌ\u00a0x", "എ\u0d7b\u0d4d\u0d31െ"]
    for s in samples:
        assert normalize(normalize(s)) == normalize(s)


def test_malayalam_ratio_ignores_digits_and_punctuation():
    assert malayalam_ratio("ബാലൻസ് 500 രൂപ!!") == 1.0
    assert malayalam_ratio("hello world") == 0.0
    assert 0.3 < malayalam_ratio("ബാലൻസ് check") < 0.8


def test_check_text_reasons():
    with pytest.raises(TextReject) as e:
        check_text("", 0.5)
    assert e.value.reason == "empty_text"
    with pytest.raises(TextReject) as e:
        check_text("?!... 123", 0.5)
    assert e.value.reason == "empty_text"
    with pytest.raises(TextReject) as e:
        check_text("please check my balance", 0.5)
    assert e.value.reason == "non_malayalam_text" and "min_malayalam_ratio" in e.value.detail
    check_text("എന്റെ ബാലൻസ് എത്രയാണ്", 0.5)
    # a transcript decoded from broken bytes upstream: Malayalam enough, but not what was said
    broken = "കേട്ടത് \ufffd വാക്യം \ufffd"
    with pytest.raises(TextReject) as e:
        check_text(normalize(broken), 0.5)
    assert e.value.reason == "garbled_text"
    assert e.value.detail.startswith("2 U+FFFD replacement character(s), the first at character 8")


def test_cli_normalize_reads_stdin_writes_stdout():
    inp = "ന\u0d4d\u200dമ\n൧൨ രൂപ\u00a0 \n"
    out = subprocess.run(
        [sys.executable, "-m", "foundry.cli", "normalize"],
        input=inp.encode(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert out == "ൻമ\n12 രൂപ\n"


# --- fixes from real text (issue 11 item 8) ------------------------------------------------

# Code points and pieces that interact: vowel-sign halves and their composites, joiners and
# other characters that normalize() removes or turns into spaces, chillus/nta parts, HTML bits.
TRICKY = [
    "\u0d46",  # െ  (first half of ൊ / ൌ)
    "\u0d47",  # േ
    "\u0d3e",  # ാ
    "\u0d57",  # ൗ
    "\u0d4c",  # ൌ
    "\u0d4d",  # virama
    "\u0d28",  # ന
    "\u0d31",  # റ
    "\u0d7b",  # ൻ
    "\u0d7a",  # ൺ
    "\u0d6e",  # ൮ (Malayalam digit 8)
    ZWNJ,
    ZWJ,
    "\u00ad",  # soft hyphen
    "\u0085",  # NEL
    "\u001c",
    "\u001d",
    "\u001e",
    "\u001f",
    "\u00a0",
    "\u200b",
    "\u037e",  # Greek question mark: NFC makes it ';'
    " ",
    "&",
    "amp;",
    "&amp",
    ";",
    "#3",
]


def _constructed_strings():
    for n in (1, 2, 3):
        for parts in itertools.product(TRICKY, repeat=n):
            yield "ക" + "".join(parts)
    marks = ["\u0d46", "\u0d3e", "\u0d57", "\u0d4c", ZWJ, ZWNJ, "\u00ad", "\u0d4d", "\u0d31"]
    for parts in itertools.product(marks, repeat=4):
        yield "".join(parts)
        yield "ന" + "".join(parts)


def test_normalize_is_idempotent_and_nfc_on_constructed_strings():
    bad = []
    for s in _constructed_strings():
        out = normalize(s)
        if normalize(out) != out or not unicodedata.is_normalized("NFC", out):
            bad.append((s, out, normalize(out)))
    assert not bad, f"{len(bad)} failures, e.g. {bad[:5]!r}"


@pytest.mark.parametrize("ch", [ZWJ, ZWNJ, "\u00ad", "\u2060", "\ufeff", "\u200e"], ids=repr)
def test_e_sign_recomposes_when_char_between_halves_is_removed(ch):
    assert normalize("ക\u0d46" + ch + "\u0d3e") == "ക\u0d4a"  # കൊ
    assert normalize("ക\u0d47" + ch + "\u0d3e") == "ക\u0d4b"  # കോ
    assert normalize("ക\u0d46" + ch + "\u0d57") == "ക\u0d57"  # കൌ -> കൗ


def test_au_rule_leaves_no_composable_pair():
    out = normalize("ക\u0d46\u0d4c")  # e sign + au sign: U+0D46 U+0D57 must not be left behind
    assert out == "ക\u0d57" and unicodedata.is_normalized("NFC", out)


@pytest.mark.parametrize(
    "ch",
    ["\u0085", "\u001c", "\u001d", "\u001e", "\u001f", "\u2028", "\u2029", "\r\n", "\v", "\f"],
    ids=repr,
)
def test_line_and_information_separators_become_space(ch):
    assert normalize(f"ബിൽ{ch}അടയ്ക്കണം") == "ബിൽ അടയ്ക്കണം"
    assert normalize(f"pay{ch}\t{ch}bill") == "pay bill"


def test_old_nta_with_zwj_becomes_nta():
    old = "\u0d28\u0d4d\u200d\u0d31"  # ന്‍റ
    assert normalize(old) == "\u0d28\u0d4d\u0d31"
    assert normalize("എ" + old + "െ") == "എന്റെ"
    # all three spellings of എന്റെ end up the same
    assert len({normalize(f"എ{n}െ") for n in (old, "ൻ\u0d4d\u0d31", "ന\u0d4d\u0d31")}) == 1


def test_chillu_rule_still_applies_before_other_consonants():
    assert normalize("അവ\u0d28\u0d4d\u200dമ") == "അവ\u0d7bമ"
    # a soft hyphen inside the old sequence no longer hides it (it used to leave ന് behind)
    assert normalize("അ\u0d28\u0d4d\u00ad\u200d") == "അ\u0d7b"


@pytest.mark.parametrize(
    "raw,want",
    [
        ("ബിൽ &amp;amp; റീചാർജ്", "ബിൽ & റീചാർജ്"),
        ("&amp;amp;amp;quot;", '"'),
        ("&quot;ശരി&quot;", '"ശരി"'),
        ("&#x0D35;&#X0D3E;&#3364;", "വാത"),
        ("ക&#x0D46;&#x0D3E;", "കൊ"),  # entities that only compose after unescaping
        ("a&nbsp;b&Tab;c&NewLine;d", "a b c d"),
        ("മല&shy;യാളം", "മലയാളം"),
        ("&frac12; &ampfoo; &nosuch;", "½ &ampfoo; &nosuch;"),
        ("&am\u00adp;", "&"),  # a reference formed only after the soft hyphen goes
        ("&#൩൮;", "&"),  # ... or after Malayalam digits become ASCII
    ],
)
def test_html_references_unescaped_until_stable(raw, want):
    assert normalize(raw) == want
    assert normalize(want) == want


def test_reject_reasons_listed_in_one_place():
    assert set(TEXT_REJECT_REASONS) == {
        "empty_text",
        "non_malayalam_text",
        "romanised_malayalam",
        "garbled_text",
    }
    assert all(TEXT_REJECT_REASONS.values())
    with pytest.raises(ValueError):
        TextReject("no_such_reason", "x")


def test_text_reject_pickles_and_reads_as_before():
    e = pickle.loads(pickle.dumps(TextReject("empty_text", "text is empty")))
    assert (e.reason, e.detail, str(e)) == (
        "empty_text",
        "text is empty",
        "empty_text: text is empty",
    )


MANGLISH = [
    "njan ninne snehikkunnu",
    "entha vishesham",
    "adipoli padam",
    "ente balance ethra aanu",
    "chetta ee padam kollam ketto",
    "enikku recharge cheyyanam",
    "ningal evide aanu",
    "sugham alle?",
    "mass entry machane pwoli 🔥",
    "bill adakkan pattunnilla",
    "ee song kelkkumbol nostalgia varunnu",
    "Lalettan fans evide like adi",
]
ENGLISH = [
    "Please check my account balance.",
    "I want to pay my electricity bill today.",
    "The service was very good, thank you.",
    "Recharge my number for two hundred rupees.",
    "Kerala is a state on the south western coast of India.",
    "Press one to talk to a customer care executive",
    "Your call is important to us, please stay on the line",
    "who is watching this in 2024",
    "this song gives me goosebumps every time",
    "I live in Kollam and this movie is amazing",
    "first comment lol",
    "hello this is mostly english നമസ്കാരം",
]


@pytest.mark.parametrize("text", MANGLISH)
def test_manglish_rejected_as_romanised_malayalam(text):
    assert looks_romanised_malayalam(normalize(text))
    with pytest.raises(TextReject) as e:
        check_text(normalize(text), 0.5)
    assert e.value.reason == "romanised_malayalam" and "min_malayalam_ratio" in e.value.detail


@pytest.mark.parametrize("text", ENGLISH)
def test_english_still_rejected_as_non_malayalam(text):
    assert not looks_romanised_malayalam(normalize(text))
    with pytest.raises(TextReject) as e:
        check_text(normalize(text), 0.5)
    assert e.value.reason == "non_malayalam_text"


@pytest.mark.parametrize(
    "text",
    [
        "എന്റെ balance check ചെയ്യണം",
        "ഈ padam അടിപൊളി ആണ്",
        "OTP വന്നില്ല ചേട്ടാ",
        "njan ippo വീട്ടിലാണ് ഉള്ളത്",
    ],
)
def test_code_mixed_malayalam_script_passes(text):
    check_text(normalize(text), 0.5)


def test_other_scripts_are_not_romanised_malayalam():
    for text in ("मेरा बैलेंस कितना है", "என் இருப்பு என்ன"):
        with pytest.raises(TextReject) as e:
            check_text(text, 0.5)
        assert e.value.reason == "non_malayalam_text"
