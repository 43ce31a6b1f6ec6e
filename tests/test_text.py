"""The Malayalam normalizer, rule by rule, plus the CLI and the script checks."""

import subprocess
import sys
import unicodedata

import pytest

from foundry.text import TextReject, check_text, malayalam_ratio, normalize

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


def test_cli_normalize_reads_stdin_writes_stdout():
    inp = "ന\u0d4d\u200dമ\n൧൨ രൂപ\u00a0 \n"
    out = subprocess.run(
        [sys.executable, "-m", "foundry.cli", "normalize"],
        input=inp.encode(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert out == "ൻമ\n12 രൂപ\n"
