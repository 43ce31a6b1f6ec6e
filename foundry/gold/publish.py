"""Publish splits/<engine>/ as gold/ in one atomic directory swap.

gold/ is a single Snakemake directory output (what `snakemake gold/` asks for), so nothing else may
write inside it; training reads the fine-grained splits/ files instead.

Each engine folder also gets ``checksums.json`` (sha256 and size of every other file in it),
written inside the same atomic swap, so ``foundry validate`` can prove later that not one byte of
the published gold changed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from foundry import paths
from foundry.atomic import atomic_dir, sha256_file, write_json

CHECKSUMS = "checksums.json"


def checksums_file(engine: str, target: str = paths.GOLD) -> str:
    """Where publish records the hashes of one engine's gold files."""
    return f"{target}/{engine}/{CHECKSUMS}"


def file_checksums(folder: Path, names: list[str]) -> dict[str, dict[str, Any]]:
    """{name: {"sha256": …, "size": …}} for files in one folder (sorted by name)."""
    out = {}
    for name in sorted(names):
        p = folder / name
        out[name] = {"sha256": sha256_file(p), "size": p.stat().st_size}
    return out


def publish(engines: list[str], root: str | Path = ".", target: str = paths.GOLD) -> list[str]:
    root = Path(root)
    written = []
    with atomic_dir(root / target) as tmp:
        for engine in engines:
            src = root / paths.split_dir(engine)
            names = []
            for f in paths.split_outputs(engine):
                name = Path(f).name
                dst = tmp / engine / name
                dst.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(src / name, dst)  # same bytes, no copy; falls back across filesystems
                except OSError:
                    shutil.copyfile(src / name, dst)
                names.append(name)
                written.append(f"{target}/{engine}/{name}")
            # Hash what was published (not splits/, which may change under a later allocate).
            record = {"engine": engine, "files": file_checksums(tmp / engine, names)}
            write_json(tmp / engine / CHECKSUMS, record)
            written.append(checksums_file(engine, target))
    return written
