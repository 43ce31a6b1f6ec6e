"""Run a command and measure it: wall time, CPU time of the whole process tree, peak RSS.

CPU comes from the kernel's wait4 rusage of the child, which includes every descendant it reaped
(every pool here joins its workers), so it counts the parent and all workers. Peak RSS is
reported two ways: the largest single process (kernel ru_maxrss, exact) and the largest sum over
the live tree (sampled every 20 ms).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psutil


@dataclass
class Measurement:
    wall_s: float
    cpu_s: float
    peak_proc_rss_mb: float  # largest single process of the tree (kernel high-water mark)
    peak_tree_rss_mb: float  # largest sampled sum over parent + workers
    stdout: str
    returncode: int


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run(
    cmd: list[str],
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    merge_stderr: bool = False,
) -> Measurement:
    """Run cmd to completion (stdout captured; stderr passed through unless merged) and measure."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_stderr else None,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    ps = psutil.Process(proc.pid)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss(ps))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert proc.stdout is not None
    out = proc.stdout.read()
    # wait4, not Popen.wait: its rusage covers this child plus every descendant it reaped.
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    return Measurement(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_proc_rss_mb=usage.ru_maxrss / 1024.0,
        peak_tree_rss_mb=peak[0] / 2**20,
        stdout=out,
        returncode=proc.returncode,
    )


@contextlib.contextmanager
def service_child(args: list[str], cwd: str | os.PathLike[str]) -> Iterator[tuple[str, int]]:
    """A service in its own process (``python <args>``) that prints its URL on its first line
    and serves until its stdin closes: yields (url, pid), so its RSS and CPU are its own."""
    child = subprocess.Popen(
        [sys.executable, *args],
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        yield child.stdout.readline().strip(), child.pid
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=60)
