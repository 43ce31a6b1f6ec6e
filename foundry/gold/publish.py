"""Publish splits/<engine>/ as gold/ in one atomic directory swap.

gold/ is a single Snakemake directory output (what `snakemake gold/` asks for), so nothing else may
write inside it; training reads the fine-grained splits/ files instead.

Publishing copies every splits/ file and checks the copy (each file read once) against the size
and sha256 allocate recorded (splits/<engine>/checksums.json), so gold never shares an inode with
splits/ (an edit of one cannot change the other; on btrfs/XFS the copy is a reflink and costs no
space). The data card is rendered again from the verified stats. Each engine folder's
``checksums.json`` holds the hashes of the bytes just written, checked against allocate's record, so
``foundry validate`` can prove later that not one byte of the published gold changed.
"""

from __future__ import annotations

import fcntl
import hashlib
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


def clone(src: Path, dst: Path) -> dict[str, Any]:
    """Copy ``src`` to ``dst`` (a reflink where the filesystem has them); the size and sha256 of
    the bytes written, read once: the copy is what gets verified and recorded."""
    with open(src, "rb") as s, open(dst, "wb") as d:
        try:
            fcntl.ioctl(d.fileno(), _FICLONE, s.fileno())
        except OSError:
            h, size = hashlib.sha256(), 0
            while block := s.read(1 << 20):
                d.write(block)
                h.update(block)
                size += len(block)
            return {"sha256": h.hexdigest(), "size": size}
    return integrity.file_record(dst)


def publish(
    settings: dict[str, Any], root: str | Path = ".", target: str = paths.GOLD
) -> list[str]:
    """Verify, copy and record every engine's splits as ``target`` (steps.publish settings)."""
    root = Path(root)
    written = []
    with atomic_dir(root / target) as tmp:
        for engine in settings["engines"]:
            rec, rec_path, fix = splits.record(engine, root)
            out = tmp / engine
            out.mkdir(parents=True)
            src = paths.split_dir(engine)
            files = {}
            for name, want in sorted(rec["files"].items()):
                path = root / src / name
                got = clone(path, out / name) if path.is_file() else None
                # the copy is checked, so nothing is recorded that allocate did not write
                finding = "missing" if got is None else integrity.record_finding(got, want)
                if finding:
                    msg = integrity.damaged(f"{src}/{name}", finding, rec_path, fix)
                    raise integrity.DamagedInput(msg)
                files[name] = got
            stats = splits.read_stats(out / Path(paths.split_stats(engine)).name)
            card = Path(paths.split_card(engine)).name
            write_text(out / card, splits.data_card(settings["cards"][engine], engine, stats))
            files[card] = integrity.file_record(out / card)
            write_json(out / CHECKSUMS, {"engine": engine, "files": files})
            written += [f"{target}/{engine}/{n}" for n in sorted(files)]
            written.append(checksums_file(engine, target))
    return written
