"""House conventions that CI enforces: ruff, snakefmt, snakemake --lint, no remote code."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)


def test_ruff_clean():
    r = run(sys.executable, "-m", "ruff", "check", ".")
    assert r.returncode == 0, r.stdout + r.stderr
    r = run(sys.executable, "-m", "ruff", "format", "--check", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_snakefmt_clean():
    smk = ["Snakefile", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "rules").glob("*.smk"))]
    r = run("snakefmt", "--check", *smk)
    assert r.returncode == 0, r.stdout + r.stderr


def test_snakemake_lint_clean():
    r = run(sys.executable, "-m", "snakemake", "--lint")
    out = r.stdout + r.stderr
    assert r.returncode == 0 and "Congratulations" in out, out[-3000:]


def test_every_rule_declares_log_threads_resources_and_conda():
    text = "\n".join(p.read_text() for p in sorted((ROOT / "rules").glob("*.smk")))
    blocks = [b for b in text.split("\nrule ")[1:]]
    assert blocks
    for block in blocks:
        name = block.split(":", 1)[0]
        if not any(d in block for d in ("script:", "shell:", "run:", "notebook:")):
            continue  # a pure target rule (e.g. `all`) only collects inputs
        for directive in ("log:", "threads:", "resources:", "conda:"):
            assert directive in block, f"rule {name} lacks {directive}"
