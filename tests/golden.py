"""Recorded sha256 of the demo's published outputs: performance work must not change a byte.

Float DSP (soxr resampling, the VAD's ONNX kernels) is exact only for the same CPU vector
features and library versions, so the record lists the fingerprints known to give these bytes; on
another fingerprint the comparison is skipped with the difference named.

Re-record after an intended output change (say why in the commit):
    python tests/golden.py <a project built with `snakemake --cores 2 gold/`>
"""

from __future__ import annotations

import hashlib
import json
import sys
from importlib import metadata
from pathlib import Path

RECORD = Path(__file__).resolve().parent / "data" / "demo-outputs.json"
PACKAGES = ("numpy", "soxr", "soundfile", "onnxruntime", "pyarrow", "silero-vad", "regex")


def fingerprint() -> dict[str, str]:
    """What the exact bytes depend on besides the code: CPU vector features, library versions."""
    flags: set[str] = set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    vector = sorted(f for f in flags if f.startswith(("avx", "sse4", "fma", "f16c")))
    out = {"cpu_vector_flags": " ".join(vector)}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def outputs(project: Path) -> dict[str, str]:
    """sha256 of gold/ and of every dataset's silver manifest and rejects."""
    files = sorted(p for p in (project / "gold").rglob("*") if p.is_file())
    for name in ("manifest.parquet", "rejects.parquet"):
        files += sorted((project / "silver").glob(f"*/{name}"))
    return {str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def record(project: Path) -> None:
    """Record the project's outputs; the same bytes on another fingerprint add that fingerprint
    (a build of the same commit there gave them), other bytes start a new record."""
    files = outputs(project)
    prints = []
    if RECORD.exists():
        old = json.loads(RECORD.read_text(encoding="utf-8"))
        prints = old["fingerprints"] if old["files"] == files else []
    if fingerprint() not in prints:
        prints.append(fingerprint())
    data = {"fingerprints": prints, "files": files}
    RECORD.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    record(Path(sys.argv[1]))
    print(f"recorded {RECORD}")
