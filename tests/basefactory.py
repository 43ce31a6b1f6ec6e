"""Hub-format stand-ins of the production base models, served by the test Hub at pinned commits.

Each stand-in has the real repo's model class, config layout, processor and tokenizer type and
special tokens, with tiny random weights in safetensors, so the production code path (pinned
``snapshot_download``, ``models:`` config, real tokenizers, real feature extractors) runs end to
end on two CPU cores:

    openai/whisper-small        WhisperForConditionalGeneration (51865 ids, 80 mel bins, 30 s
    openai/whisper-base         window, 448 decoder positions) + WhisperProcessor with the real
                                multilingual byte-level BPE (tests/data/whisper-multilingual,
                                made from the openai-whisper sdist by make_whisper_tokenizer.py)
    FacebookAI/xlm-roberta-base XLMRobertaForMaskedLM + a sentencepiece unigram model (trained
                                here on Malayalam text) as sentencepiece.bpe.model and the
                                converted tokenizer.json, XLM-R ids: <s> 0, <pad> 1, </s> 2,
                                <unk> 3, <mask> last
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import torch

DATA = Path(__file__).resolve().parent / "data" / "whisper-multilingual"
XLMR_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def _is_timestamp(token: str) -> bool:
    return token[2:-2].replace(".", "", 1).isdigit()


def whisper_tokenizer() -> object:
    """openai/whisper-*'s multilingual tokenizer (51865 ids) from the committed artefacts."""
    from tokenizers import AddedToken
    from transformers import WhisperTokenizer

    vocab = json.loads((DATA / "vocab.json").read_text(encoding="utf-8"))
    lines = (DATA / "merges.txt").read_text(encoding="utf-8").splitlines()[1:]
    added = json.loads((DATA / "added_tokens.json").read_text(encoding="utf-8"))
    tok = WhisperTokenizer(
        vocab=vocab,
        merges=[tuple(m.split(" ")) for m in lines],
        unk_token="<|endoftext|>",
        bos_token="<|endoftext|>",
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
        model_max_length=1024,
    )
    names = sorted(added, key=added.get)
    specials = [n for n in names if not _is_timestamp(n) and n != "<|endoftext|>"]
    stamps = [n for n in names if _is_timestamp(n)]
    tok.add_tokens([AddedToken(n, special=True, normalized=False) for n in specials], True)
    tok.add_tokens([AddedToken(n, special=False, normalized=False) for n in stamps])
    wrong = {n: i for n, i in added.items() if tok.convert_tokens_to_ids(n) != i}
    if wrong or len(tok) != len(vocab) + len(added):
        raise AssertionError(f"whisper special token ids differ from the sdist: {wrong}")
    return tok


def build_whisper(out: Path, seed: int = 0) -> dict[str, int]:
    """openai/whisper-small's layout; 2 tiny layers. Returns the ids the tests check."""
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
    )

    tok = whisper_tokenizer()
    ids = {t: tok.convert_tokens_to_ids(t) for t in ("<|endoftext|>", "<|startoftranscript|>")}
    ids.update(
        {
            t: tok.convert_tokens_to_ids(t)
            for t in ("<|ml|>", "<|en|>", "<|translate|>", "<|transcribe|>", "<|notimestamps|>")
        }
    )
    eot, sot = ids["<|endoftext|>"], ids["<|startoftranscript|>"]
    cfg = WhisperConfig(
        vocab_size=len(tok),
        num_mel_bins=80,
        d_model=32,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_source_positions=1500,
        max_target_positions=448,
        pad_token_id=eot,
        bos_token_id=eot,
        eos_token_id=eot,
        decoder_start_token_id=sot,
        begin_suppress_tokens=[220, eot],
        suppress_tokens=[1, 2, 7, 8, 9, 10, 14, 25, 26, 27, 28, 29, 31, 58, 59, 60, 61, 62],
        architectures=["WhisperForConditionalGeneration"],
    )
    torch.manual_seed(seed)
    model = WhisperForConditionalGeneration(cfg)
    langs = {n: i for n, i in ((t, tok.convert_tokens_to_ids(t)) for t in tok.get_vocab())}
    model.generation_config = GenerationConfig(
        decoder_start_token_id=sot,
        eos_token_id=eot,
        pad_token_id=eot,
        bos_token_id=eot,
        max_length=448,
        begin_suppress_tokens=[220, eot],
        suppress_tokens=list(cfg.suppress_tokens),
        no_timestamps_token_id=ids["<|notimestamps|>"],
        is_multilingual=True,
        lang_to_id={
            n: i
            for n, i in sorted(langs.items(), key=lambda kv: kv[1])
            if sot < i < ids["<|translate|>"]
        },
        task_to_id={"translate": ids["<|translate|>"], "transcribe": ids["<|transcribe|>"]},
    )
    model.save_pretrained(out, safe_serialization=True)
    # The real repo's files: preprocessor_config.json, tokenizer.json + tokenizer_config.json,
    # and the legacy vocab.json, merges.txt, added_tokens.json beside them.
    WhisperFeatureExtractor(feature_size=80, sampling_rate=16000, chunk_length=30).save_pretrained(
        out
    )
    tok.save_pretrained(out)
    tok.save_vocabulary(str(out))
    shutil.copy(DATA / "added_tokens.json", out / "added_tokens.json")
    return ids


def train_sentencepiece(texts: list[str], vocab_size: int = 400) -> bytes:
    """A unigram sentencepiece model with XLM-R's own piece ids (<unk> 0, <s> 1, </s> 2)."""
    import sentencepiece as spm

    # Every Malayalam code point, so no character of the block is <unk> (XLM-R covers them).
    alphabet = "".join(chr(c) for c in range(0x0D00, 0x0D80) if chr(c).isprintable())
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter([*texts, alphabet]),
        model_writer=model,
        model_type="unigram",
        vocab_size=vocab_size,
        character_coverage=1.0,
        hard_vocab_limit=False,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        num_threads=1,
        seed_sentencepiece_size=100000,
        minloglevel=2,
    )
    return model.getvalue()


def build_xlmr(out: Path, texts: list[str], seed: int = 0) -> None:
    """FacebookAI/xlm-roberta-base's layout with a small Malayalam sentencepiece vocabulary."""
    from transformers import XLMRobertaConfig, XLMRobertaForMaskedLM, XLMRobertaTokenizer

    out.mkdir(parents=True, exist_ok=True)
    (out / "sentencepiece.bpe.model").write_bytes(train_sentencepiece(texts))
    tok = XLMRobertaTokenizer.from_pretrained(out, model_max_length=512)  # converts the .model
    ids = [tok.convert_tokens_to_ids(t) for t in XLMR_SPECIALS]
    if ids != [0, 1, 2, 3, len(tok) - 1]:
        raise AssertionError(f"XLM-R special ids {ids}, want [0, 1, 2, 3, {len(tok) - 1}]")
    tok.save_pretrained(out)
    cfg = XLMRobertaConfig(
        architectures=["XLMRobertaForMaskedLM"],
        vocab_size=len(tok),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=514,
        type_vocab_size=1,
        layer_norm_eps=1e-5,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    )
    torch.manual_seed(seed)
    XLMRobertaForMaskedLM(cfg).save_pretrained(out, safe_serialization=True)


# -- serving them -----------------------------------------------------------------------------
def commit_model(server: object, repo_id: str, folder: Path) -> str:
    """Commit ``folder`` as model repo ``repo_id`` of the test Hub; returns the commit sha.

    olah serves ``<mirrors>/models/<org>/<name>`` git repos the way ``HubServer.commit`` lays out
    dataset repos (same fixed git identity and dates, so the sha is reproducible).
    """
    from hubserver import GIT_ENV

    repo = Path(server.mirrors) / "models" / repo_id
    if repo.exists():
        shutil.rmtree(repo)
    shutil.copytree(folder, repo)
    env = {**os.environ, **GIT_ENV}

    def git(*args: str) -> str:
        run = subprocess.run(
            ["git", "-C", str(repo), *args],
            capture_output=True,
            text=True,
            check=True,
            env=env,
            timeout=60,
        )
        return run.stdout.strip()

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", f"stand-in of {repo_id}")
    return git("rev-parse", "HEAD")
