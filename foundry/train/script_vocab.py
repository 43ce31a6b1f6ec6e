"""A byte-level BPE vocabulary narrowed to one script: what a Malayalam transcript can contain.

Whisper's 51,865 output tokens cover 99 languages; a Malayalam IVR transcript is Malayalam
letters (U+0D00-U+0D7F), digits, spaces and a little punctuation. ``engines.stt.output_script:
malayalam`` trains the decoder's softmax over only the tokens that can spell such text (about
600 for Whisper) and decodes with every other token suppressed: the same distribution in training,
evaluation and serving (Whisper's own ``suppress_tokens`` mechanism), and a 50x cheaper output
layer on CPU. ``output_script: any`` keeps the whole vocabulary.

The set is static, so it cannot see across token boundaries: Malayalam letters are often split
inside their UTF-8 bytes, and a model that has learnt nothing can chain such fragments into
another E0-led character (an untrained random adapter wrote Tibetan U+0F3C this way). A trained
adapter follows its training text (the demo's: script fidelity 1.0); ``script_fidelity`` in
every stt metric block shows what came out.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

# UTF-8 of U+0D00..U+0D7F is E0 B4 80..E0 B5 BF: lead byte, block byte, continuation
_LEAD, _BLOCK, _CONT = 0xE0, (0xB4, 0xB5), range(0x80, 0xC0)
ASCII_ALLOWED = frozenset(b" .,?!'\"-:;()0123456789")
SCRIPTS = ("malayalam", "any")


@lru_cache(maxsize=1)
def _unicode_to_byte() -> dict[str, int]:
    """GPT-2 byte-level BPE's printable stand-in for each byte, inverted."""
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    keep += range(ord("®"), ord("ÿ") + 1)
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[chr(b)] = b
        else:
            table[chr(256 + extra)] = b
            extra += 1
    return table


def spells_malayalam(data: bytes) -> bool:
    """Can these bytes be a piece of UTF-8 Malayalam text (a token may start mid-character)?"""
    for start in (0, 1, 2):  # position inside a 3-byte character where the token begins
        state, ok = start, True
        for b in data:
            if state == 0 and b in ASCII_ALLOWED:
                continue
            expected = (b == _LEAD, b in _BLOCK, b in _CONT)[state]
            if not expected:
                ok = False
                break
            state = (state + 1) % 3
        if ok:
            return True
    return False


def script_token_ids(tokenizer: Any, script: str) -> list[int] | None:
    """Ids of ordinary tokens that can spell ``script`` text, plus end of text; None = all."""
    if script == "any":
        return None
    if script != "malayalam":
        raise ValueError(f"output_script: use one of {', '.join(SCRIPTS)}, got {script!r}")
    back = _unicode_to_byte()
    special = set(tokenizer.all_special_ids) | set(tokenizer.added_tokens_decoder)
    ids = []
    for token, i in tokenizer.get_vocab().items():
        if i in special or any(ch not in back for ch in token):
            continue
        if spells_malayalam(bytes(back[ch] for ch in token)):
            ids.append(i)
    return sorted([*ids, tokenizer.eos_token_id])
