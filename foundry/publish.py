"""Publish splits/<engine>/ as gold/ in one atomic directory swap.

gold/ is a single Snakemake directory output (what `snakemake gold/` asks for), so nothing else may
write inside it; training reads the fine-grained splits/ files instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from foundry import paths
from foundry.atomic import atomic_dir


def publish(engines: list[str], root: str | Path = ".", target: str = paths.GOLD) -> list[str]:
    root = Path(root)
    written = []
    with atomic_dir(root / target) as tmp:
        for engine in engines:
            src = root / paths.split_dir(engine)
            for f in paths.split_outputs(engine):
                name = Path(f).name
                dst = tmp / engine / name
                dst.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(src / name, dst)  # same bytes, no copy; falls back across filesystems
                except OSError:
                    shutil.copyfile(src / name, dst)
                written.append(f"{target}/{engine}/{name}")
    return written
