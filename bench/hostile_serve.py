"""Measure how `foundry serve` takes hostile requests (issue 12): answer times, RSS, status codes.

The service runs in its own process (fake predictors, the real HTTP stack) so its RSS is its own.
One keep-alive connection sends the hostile corpus of tests/deploy/test_hostile_serve.py, each case
followed by a valid request; then 50 MB bodies (declared and chunked) and the heaviest audio a
request may carry. Nothing is downloaded; it takes well under a minute. Run from the project root:

    python bench/hostile_serve.py [--rounds 10] [--json out.json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


def serve_forever(root: Path) -> None:
    """Child process: register fake adapters, serve intent + dialect, print the URL, block."""
    sys.path.insert(0, str(ROOT / "tests"))  # the fake models live with the tests
    import fakes

    from foundry.deploy import models, registry
    from foundry.deploy.serve import Running, Service

    models.LOADER = fakes.fake_loader
    for engine in ("intent", "dialect"):
        src = fakes.make_adapter(root / f"src-{engine}", fakes.items(3), 1.0)
        registry.promote(root, registry.register(root, engine, src), ["first"])
    with Running(Service(root, ["intent", "dialect"], poll_s=3600)) as srv:
        print(srv.url, flush=True)
        sys.stdin.read()  # until the parent closes our stdin


class Sampler:
    """Peak RSS of a process, sampled every 5 ms on a thread."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        return int(self.proc.memory_info().rss)

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self.rss())

    def __enter__(self) -> Sampler:
        self.peak = self.rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def read_response(s: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        part = s.recv(65536)
        if not part:
            raise ConnectionError("the server closed the connection")
        data += part
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    while len(rest) < length:
        part = s.recv(65536)
        if not part:
            raise ConnectionError("the server closed the connection")
        rest += part
    return head


def declared_over_limit(host: str, port: int, size: int, valid: bytes) -> tuple[float, bool]:
    """Seconds from sending the headers of a `size`-byte body to its 413, before any body byte;
    then send the body anyway and check a valid request on the same socket is answered."""
    with socket.create_connection((host, port), timeout=60) as s:
        t0 = time.perf_counter()
        s.sendall(
            b"POST /v1/intent HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {size}\r\n\r\n".encode()
        )
        head = read_response(s)
        elapsed = time.perf_counter() - t0
        assert head.startswith(b"HTTP/1.1 413"), head[:100]
        chunk = b" " * MB
        for _ in range(size // MB):
            s.sendall(chunk)
        s.sendall(b" " * (size % MB))
        s.sendall(
            b"POST /v1/intent HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(valid)}\r\n\r\n".encode()
            + valid
        )
        return elapsed, read_response(s).startswith(b"HTTP/1.1 200")


def run(rounds: int) -> dict[str, Any]:
    sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "deploy")]
    import test_hostile_serve as th

    from bench.measure import service_child

    with (
        tempfile.TemporaryDirectory(prefix="hostile-serve-") as tmp,
        service_child([__file__, "--serve", tmp], ROOT) as (url, pid),
    ):
        host, port = url.removeprefix("http://").rsplit(":", 1)
        return measure(th, host, int(port), pid, rounds)


def measure(th: Any, host: str, port: int, pid: int, rounds: int) -> dict[str, Any]:
    sampler = Sampler(pid)
    conn = http.client.HTTPConnection(host, port, timeout=120)
    valid_text = th.jbody({"text": th.GOOD_TEXT})
    big = th.jbody({"text": "x" * (50 * MB)})
    declared = th.Case("declared 50 MB", "intent", big, 413, "body_too_large")
    chunked = th.Case("chunked 50 MB", "intent", big, 413, "body_too_large", chunked=True)
    heavy = [
        th.Case(
            "17 s 44.1 kHz float WAV",
            "dialect",
            th.audio_body(th.wav(th.tone(17.0, sr=44100), 44100, subtype="FLOAT")),
            200,
            "",
        ),
        th.Case(
            "30 s 48 kHz stereo FLAC",
            "dialect",
            th.audio_body(th.wav(th.tone(30.0, sr=48000, channels=2), 48000, fmt="FLAC")),
            200,
            "",
        ),
    ]
    for engine in ("intent", "dialect"):  # warm up every path once
        th.valid(conn, engine)
    th.send(conn, th.corpus()[0])
    idle = sampler.rss()
    out: dict[str, Any] = {"idle_rss_mb": round(idle / MB, 1)}

    with sampler:
        # 1. the hostile corpus on one keep-alive connection, a valid request after each
        cases = th.corpus()
        sock = conn.sock
        codes: dict[str, int] = {}
        non_4xx, broken, valid_failed, sentence_problems = [], [], [], []
        answers = []
        slowest = (0.0, "")
        for case in cases:
            t0 = time.perf_counter()
            try:
                status, headers, raw = th.send(conn, case)
            except (OSError, http.client.HTTPException) as exc:
                broken.append(f"{case.name}: {type(exc).__name__}")
                conn = http.client.HTTPConnection(host, port, timeout=120)
                th.valid(conn, "intent")
                sock = conn.sock
                continue
            took = time.perf_counter() - t0
            slowest = max(slowest, (took, case.name))
            codes[str(status)] = codes.get(str(status), 0) + 1
            answer = json.loads(raw) if raw.startswith(b"{") else {}
            answers.append([case.name, status, answer.get("reason"), answer.get("detail")])
            if not 400 <= status < 500:
                non_4xx.append(f"{case.name}: {status}")
            if th.sentence_problems(case, status, headers, raw):
                sentence_problems.append(case.name)
            if th.valid(conn, case.engine) != 200:
                valid_failed.append(case.name)
            if conn.sock is not sock:
                broken.append(case.name)
                sock = conn.sock
        out["corpus"] = {
            "cases": len(cases),
            "status_codes": dict(sorted(codes.items())),
            "non_4xx": non_4xx,
            "connection_closed_or_reset": broken,
            "valid_request_after_failed": valid_failed,
            "answers_not_one_expected_sentence": sentence_problems,
            "slowest_answer_s": round(slowest[0], 3),
            "slowest_case": slowest[1],
            "answers": answers,
        }
        out["rss_after_corpus_mb"] = round(sampler.rss() / MB, 1)

        # 2. 50 MB bodies: the 413 before the body, then the whole upload, declared and chunked
        times = [declared_over_limit(host, port, 50 * MB, valid_text) for _ in range(rounds)]
        out["declared_50mb_413_before_body_s"] = {
            "median": round(statistics.median(t for t, _ in times), 4),
            "max": round(max(t for t, _ in times), 4),
            "valid_after_on_same_socket": all(ok for _, ok in times),
        }
        for name, case in (("declared", declared), ("chunked", chunked)):
            took = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                status = th.send(conn, case)[0]
                took.append(time.perf_counter() - t0)
                assert status == 413, status
            out[f"{name}_50mb_upload_and_413_s"] = {
                "median": round(statistics.median(took), 3),
                "max": round(max(took), 3),
            }
        out["rss_after_50mb_bodies_mb"] = round(sampler.rss() / MB, 1)

        # 3. the heaviest audio a request may carry, answered 200
        for case in heavy:
            took = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                status = th.send(conn, case)[0]
                took.append(time.perf_counter() - t0)
                assert status == 200, (case.name, status)
            out[f"audio {case.name} ({len(case.body) / MB:.1f} MB body) s"] = {
                "median": round(statistics.median(took), 3),
                "max": round(max(took), 3),
            }
        out["rss_after_heavy_audio_mb"] = round(sampler.rss() / MB, 1)
    conn.close()
    out["peak_rss_mb"] = round(sampler.peak / MB, 1)
    out["rss_growth_mb"] = round((sampler.rss() - idle) / MB, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=10, help="repeats of each timed request")
    p.add_argument("--json", default=None, help="also write the results to this file")
    p.add_argument("--markdown", action="store_true", help="print the answers as a table")
    p.add_argument("--serve", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve:
        serve_forever(Path(args.serve))
        return 0
    result = run(args.rounds)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.markdown:
        print("\n| case | status | reason | answer |\n|---|---|---|---|")
        for name, status, reason, detail in result["corpus"]["answers"]:
            cell = str(detail).replace("|", "\\|")
            print(f"| {name} | {status} | `{reason}` | {cell} |")
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    c = result["corpus"]
    bad = c["non_4xx"] or c["connection_closed_or_reset"] or c["valid_request_after_failed"]
    return 1 if bad or c["answers_not_one_expected_sentence"] else 0


if __name__ == "__main__":
    sys.exit(main())
