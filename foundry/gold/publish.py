"""Publish splits/<engine>/ as gold/ in one atomic directory swap.

gold/ is a single Snakemake directory output (what `snakemake gold/` asks for), so nothing else may
write inside it; training reads the fine-grained splits/ files instead.

Publishing checks every splits/ file against the size and sha256 allocate recorded
(splits/<engine>/checksums.json) and copies it, so gold never shares an inode with splits/ (an
edit of one cannot change the other; on btrfs/XFS the copy is a reflink and costs no space). The
data card is rendered again from the verified stats. Each engine folder's ``checksums.json``
holds the hashes of the bytes just written, checked against allocate's record, so
``foundry validate`` can prove later that not one byte of the published gold changed.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
from pathlib import Path
from typing import Any

from foundry import integrity, paths
from foundry.atomic import atomic_dir, write_json, write_text
from foundry.gold import splits

CHECKSUMS = "checksums.json"
_FICLONE = 0x40049409  # linux/fs.h: share the extents copy-on-write (btrfs, XFS)


def checksums_file(engine: str, target: str = paths.GOLD) -> str:
    """Where publish records the hashes of one engine's gold files."""
    return f"{target}/{engine}/{CHECKSUMS}"


def clone(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst``: a reflink where the filesystem has them, else a plain copy."""
    with open(src, "rb") as s, open(dst, "wb") as d:
        with contextlib.suppress(OSError):
            fcntl.ioctl(d.fileno(), _FICLONE, s.fileno())
            return
    shutil.copyfile(src, dst)


def publish(
    settings: dict[str, Any], root: str | Path = ".", target: str = paths.GOLD
) -> list[str]:
    """Verify, copy and record every engine's splits as ``target`` (steps.publish settings)."""
    root = Path(root)
    written = []
    with atomic_dir(root / target) as tmp:
        for engine in settings["engines"]:
            recorded = splits.verify(engine, root)["files"]
            out = tmp / engine
            out.mkdir(parents=True)
            src = root / paths.split_dir(engine)
            for name in sorted(recorded):
                clone(src / name, out / name)
            stats = splits.read_stats(out / Path(paths.split_stats(engine)).name)
            card = Path(paths.split_card(engine)).name
            write_text(out / card, splits.data_card(settings["cards"][engine], engine, stats))
            files = integrity.files_record(out, paths.gold_names(engine))
            changed = sorted(n for n, want in recorded.items() if files[n] != want)
            if changed:  # the bytes moved under the copy: never record what was not verified
                raise integrity.DamagedInput(
                    f"{paths.split_dir(engine)}: {changed} changed while gold was being "
                    "published; run the workflow again once nothing else writes there"
                )
            write_json(out / CHECKSUMS, {"engine": engine, "files": files})
            written += [f"{target}/{engine}/{n}" for n in sorted(files)]
            written.append(checksums_file(engine, target))
    return written
