"""Run the README's code blocks the way a new user pastes them, in order, in one fresh copy.

Blocks that cannot run here say why in an HTML comment on the line above the fence
(``<!-- readme-test: skip: network -->``); the reason must be one of ``SKIP_REASONS``, so a
block cannot be skipped for being inconvenient. Everything else in ``bash`` and ``python``
blocks runs, with three stated substitutions:
- ``./setup.sh && X`` runs ``X``: `.ci/run` ran setup.sh on this machine before this suite;
- ``python3 -m pytest`` is this suite itself and is not run again;
- ``foundry serve`` runs in the background on a free port (every ``8000`` in the README becomes
  that port) until the last block has run, and the next block starts once it answers /healthz.
``curl`` fails on an HTTP error (``--fail-with-body``), so a 4xx/5xx answer fails the block.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

SKIP_REASONS = {
    "network": "needs the Hub or a package registry (and a token for gated datasets)",
    "cluster": "needs a SLURM cluster",
    "object storage": "needs an S3 bucket and its credentials",
}
FENCE = re.compile(r"^```(\w*)\s*$")
DIRECTIVE = re.compile(r"^<!--\s*readme-test:\s*skip:\s*(.+?)\s*-->$")
PRELUDE = 'set -euo pipefail\ncurl() { command curl -sS --fail-with-body "$@"; }\n'


@dataclass(frozen=True)
class Block:
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    skip: str | None  # why it does not run here; None: it runs


@dataclass
class Result:
    block: Block
    returncode: int
    output: str


@dataclass
class Run:
    project: Path
    results: list[Result] = field(default_factory=list)


def blocks(text: str) -> list[Block]:
    """Every fenced block of the README with its language and skip reason."""
    found, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        above = lines[i - 1].strip() if i else ""
        d = DIRECTIVE.match(above)
        found.append(Block(i + 1, m.group(1), "\n".join(lines[i + 1 : end]), d and d.group(1)))
        i = end + 1
    return found


def runnable(block: Block) -> bool:
    return block.skip is None and block.lang in ("bash", "python")


def shell_script(code: str, port: int) -> str:
    """The block as bash runs it here (see the module docstring for the substitutions)."""
    lines = code.splitlines()
    if any(line.startswith("$ ") for line in lines):  # a prompt: the rest is example output
        lines = [line[2:] for line in lines if line.startswith("$ ")]
    out = []
    for line in lines:
        line = line.replace("8000", str(port))
        if line.startswith("./setup.sh && "):
            line = line.removeprefix("./setup.sh && ")
        if line.startswith("python3 -m pytest"):
            continue
        if line.startswith("foundry serve "):
            line = f"{line.split('#')[0]} >serve.log 2>&1 & echo $! >serve.pid"
        out.append(line)
    return PRELUDE + "\n".join(out) + "\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(project: Path, port: int, timeout_s: float = 300) -> None:
    """Poll /healthz until the background service answers; fail with its log if it exits."""
    pid = int((project / "serve.pid").read_text())
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return
        except OSError:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                log = (project / "serve.log").read_text(errors="replace")
                raise AssertionError(f"foundry serve exited:\n{log[-3000:]}") from None
            time.sleep(0.5)
    raise AssertionError(f"foundry serve did not answer /healthz within {timeout_s} s")


def stop_serving(project: Path) -> None:
    pid_file = project / "serve.pid"
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
        except ProcessLookupError:
            pass


def run_all(project: Path, readme: Path, timeout_s: int = 1800) -> Run:
    """Run every runnable block in README order in project; the service stops at the end."""
    run, port = Run(project), free_port()
    env = {**os.environ, "PYTHONPATH": str(project)}
    try:
        for block in filter(runnable, blocks(readme.read_text(encoding="utf-8"))):
            if block.lang == "python":
                cmd = [sys.executable, "-c", block.code]
            else:
                cmd = ["bash", "-c", shell_script(block.code, port)]
            proc = subprocess.run(
                cmd, cwd=project, env=env, capture_output=True, text=True, timeout=timeout_s
            )
            run.results.append(Result(block, proc.returncode, proc.stdout + proc.stderr))
            if proc.returncode != 0:
                break
            if "foundry serve " in block.code:
                wait_until_serving(project, port)
    finally:
        stop_serving(project)
    return run
