"""Regenerate tests/data/whisper-multilingual/ from the openai-whisper sdist (setup time only).

Whisper's multilingual vocabulary ships in the ``openai-whisper`` source distribution as
``whisper/assets/multilingual.tiktoken`` (base64 token, rank per line); its special tokens are
listed in ``whisper/tokenizer.py``. This script turns them into the files a Hugging Face
``WhisperTokenizer`` reads, so the tests tokenize Malayalam exactly as openai/whisper-* does
without any network access at test time:

    vocab.json          byte-level BPE vocabulary (GPT-2 byte-to-unicode alphabet), 50257 entries
    merges.txt          the merge list, one pair per line in rank order
    added_tokens.json   the 1608 special tokens with their ids (<|endoftext|> = 50257, ...)
    SOURCE.json         which sdist and file the three came from (with sha256s)

Usage (needs PyPI once, for the sdist):

    pip download --no-deps --no-binary :all: openai-whisper==20250625 -d /tmp/ow
    python tests/data/make_whisper_tokenizer.py /tmp/ow/openai_whisper-20250625.tar.gz

The merges are derived, not guessed: a token of rank r is the merge of the two parts that
byte-pair encoding with the ranks below r leaves when applied to its bytes (tiktoken's own
algorithm), and the result is checked by re-encoding sample text both ways.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import sys
import tarfile
from pathlib import Path

OUT = Path(__file__).resolve().parent / "whisper-multilingual"
NUM_LANGUAGES = 99  # openai/whisper-{tiny..medium,large-v2}: 51865 ids; large-v3 has 100
# whisper/tokenizer.py's pat_str (GPT-2's), which tokenizers' ByteLevel pre-tokenizer also uses
PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
SAMPLES = [
    "എന്റെ അക്കൗണ്ട് ബാലൻസ് എത്രയാണ്",
    "വൈദ്യുതി ബിൽ അടയ്ക്കണം, നന്ദി!",
    "Hello world, it's 2026 -- naïve café 東京",
]


def byte_alphabet() -> dict[int, str]:
    """GPT-2's reversible byte -> printable unicode character map (the byte-level alphabet)."""
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    keep += range(ord("®"), ord("ÿ") + 1)
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def bpe(ranks: dict[bytes, int], data: bytes, below: int | None = None) -> list[bytes]:
    """Merge the adjacent pair of lowest rank until none is left (ranks < ``below`` only)."""
    parts = [bytes([b]) for b in data]
    while len(parts) > 1:
        best, at = None, -1
        for i in range(len(parts) - 1):
            r = ranks.get(parts[i] + parts[i + 1])
            if r is not None and (below is None or r < below) and (best is None or r < best):
                best, at = r, i
        if best is None:
            break
        parts[at : at + 2] = [parts[at] + parts[at + 1]]
    return parts


def read_sdist(sdist: Path) -> tuple[dict[bytes, int], list[str], str]:
    """(ranks, language codes, tiktoken sha256) from the sdist, without importing whisper."""
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1]: m for m in tar.getmembers() if "/" in m.name}
        raw = tar.extractfile(members["whisper/assets/multilingual.tiktoken"]).read()
        src = tar.extractfile(members["whisper/tokenizer.py"]).read().decode("utf-8")
    ranks = {}
    for line in raw.decode("ascii").splitlines():
        if line.strip():
            tok, rank = line.split()
            ranks[base64.b64decode(tok)] = int(rank)
    languages: list[str] = []
    for node in ast.parse(src).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "LANGUAGES":
            languages = [k.value for k in node.value.keys]
    if "ml" not in languages[:NUM_LANGUAGES]:
        raise SystemExit("whisper/tokenizer.py: LANGUAGES lacks 'ml' in its first 99 entries")
    return ranks, languages, hashlib.sha256(raw).hexdigest()


def specials(languages: list[str]) -> list[str]:
    """Whisper's special tokens in id order (whisper/tokenizer.py get_encoding)."""
    return [
        "<|endoftext|>",
        "<|startoftranscript|>",
        *[f"<|{code}|>" for code in languages[:NUM_LANGUAGES]],
        "<|translate|>",
        "<|transcribe|>",
        "<|startoflm|>",
        "<|startofprev|>",
        "<|nospeech|>",
        "<|notimestamps|>",
        *[f"<|{i * 0.02:.2f}|>" for i in range(1501)],
    ]


def main(sdist: Path) -> None:
    ranks, languages, digest = read_sdist(sdist)
    alphabet = byte_alphabet()

    def show(b: bytes) -> str:
        return "".join(alphabet[x] for x in b)

    by_rank = sorted(ranks.items(), key=lambda kv: kv[1])
    if [r for _, r in by_rank] != list(range(len(ranks))):
        raise SystemExit("multilingual.tiktoken: ranks are not 0..n-1")
    vocab = {show(tok): rank for tok, rank in by_rank}
    merges = []
    for tok, rank in by_rank:
        if len(tok) <= 1:  # single bytes; rank 50256 is an empty placeholder (never produced)
            continue
        parts = bpe(ranks, tok, below=rank)
        if len(parts) != 2:
            raise SystemExit(f"token {tok!r} (rank {rank}) is not one merge of lower ranks")
        merges.append(f"{show(parts[0])} {show(parts[1])}")
    added = {tok: len(ranks) + i for i, tok in enumerate(specials(languages))}

    OUT.mkdir(parents=True, exist_ok=True)
    files = {
        "vocab.json": json.dumps(vocab, ensure_ascii=False, separators=(",", ":")) + "\n",
        "merges.txt": "#version: 0.2\n" + "\n".join(merges) + "\n",
        "added_tokens.json": json.dumps(added, ensure_ascii=False, indent=0) + "\n",
    }
    for name, text in files.items():
        (OUT / name).write_text(text, encoding="utf-8")
    check(ranks)
    source = {
        "sdist": sdist.name,
        "file": "whisper/assets/multilingual.tiktoken",
        "tiktoken_sha256": digest,
        "num_languages": NUM_LANGUAGES,
        "files_sha256": {
            n: hashlib.sha256((OUT / n).read_bytes()).hexdigest() for n in sorted(files)
        },
    }
    (OUT / "SOURCE.json").write_text(json.dumps(source, indent=1) + "\n", encoding="utf-8")
    sizes = {p.name: p.stat().st_size for p in sorted(OUT.iterdir())}
    print(json.dumps({"out": str(OUT), "bytes": sizes, "total": sum(sizes.values())}))


def check(ranks: dict[bytes, int]) -> None:
    """The Hugging Face BPE over the written files encodes like the tiktoken ranks do."""
    import regex
    from transformers import WhisperTokenizer

    vocab = json.loads((OUT / "vocab.json").read_text(encoding="utf-8"))
    lines = (OUT / "merges.txt").read_text(encoding="utf-8").splitlines()[1:]
    tok = WhisperTokenizer(vocab=vocab, merges=[tuple(m.split(" ")) for m in lines])
    pat = regex.compile(PATTERN)
    for text in SAMPLES:
        want = [ranks[p] for w in pat.findall(text) for p in bpe(ranks, w.encode("utf-8"))]
        got = tok(text, add_special_tokens=False).input_ids
        if got != want:
            raise SystemExit(f"mismatch on {text!r}:\n{got}\n{want}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]))
