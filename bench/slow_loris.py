"""Measure `foundry serve` under a slow-loris attack (issue 28.6): p95 of a normal caller, and
whether the slow sockets are closed.

The service runs in its own process (fake predictors, the real HTTP stack, default limits:
``header_timeout_s`` 10 s, ``max_connections_per_ip`` 64). A normal caller on 127.0.0.2 sends
``--requests`` intent requests one after another on fresh connections, first alone, then while
``--slow`` connections from 127.0.0.1 dribble a request head one byte every ``--drip`` seconds.
Reported: p50/p95 per phase, what each slow socket got (408 header_timeout, 429
too_many_connections, or still open at the end) and how long the server took to close it.
Nothing is downloaded; about 20 s. Run from the project root:

    python bench/slow_loris.py [--slow 200] [--json bench/slow-loris.json]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench/ is then not on the path
from bench.measure import service_child  # noqa: E402

HEAD = b"POST /v1/intent HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
BODY = b'{"text": "bill"}'


def request_once(host: str, port: int) -> float:
    """One request from 127.0.0.2 on a new connection; seconds until the whole answer."""
    t0 = time.perf_counter()
    with socket.create_connection((host, port), 30, ("127.0.0.2", 0)) as s:
        s.sendall(HEAD + b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY))
        data = b""
        while b"\r\n\r\n" not in data or not data.endswith(b"}"):
            part = s.recv(65536)
            if not part:
                break
            data += part
    if not data.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"the normal caller was not answered: {data[:200]!r}")
    return time.perf_counter() - t0


def phase(host: str, port: int, n: int) -> dict[str, float]:
    times = sorted(request_once(host, port) for _ in range(n))
    return {
        "requests": n,
        "p50_ms": round(1000 * statistics.median(times), 2),
        "p95_ms": round(1000 * times[int(0.95 * (n - 1))], 2),
    }


class Loris(threading.Thread):
    """One slow connection: a byte of the request head every ``drip`` seconds until closed."""

    def __init__(self, host: str, port: int, drip: float, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_connection((host, port), 30)
        self.sock.settimeout(drip)
        self.drip, self.stop = drip, stop
        self.t0 = time.perf_counter()
        self.outcome, self.closed_after = "open", None

    def run(self) -> None:
        head, data, i = HEAD, b"", 0
        while not self.stop.is_set():
            try:
                if i < len(head):
                    self.sock.send(head[i : i + 1])
                    i += 1
                part = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                part = b""
            if not part:  # closed by the server
                status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "reset"
                self.outcome = {"408": "408 header_timeout", "429": "429 too_many_connections"}.get(
                    status, status
                )
                self.closed_after = time.perf_counter() - self.t0
                break
            data += part
        self.sock.close()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--slow", type=int, default=200, help="slow-loris connections")
    ap.add_argument("--drip", type=float, default=0.5, help="seconds between their bytes")
    ap.add_argument("--requests", type=int, default=100, help="normal requests per phase")
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "slow-loris.json")
    args = ap.parse_args(argv)
    code = (
        "import sys; from pathlib import Path; from bench.hostile_serve import serve_forever; "
        "serve_forever(Path(sys.argv[1]))"
    )
    with tempfile.TemporaryDirectory() as tmp, service_child(["-c", code, tmp], ROOT) as (url, _):
        host, port = url.removeprefix("http://").rsplit(":", 1)
        alone = phase(host, int(port), args.requests)
        stop = threading.Event()
        slow = [Loris(host, int(port), args.drip, stop) for _ in range(args.slow)]
        for t in slow:
            t.start()
        attacked = phase(host, int(port), args.requests)
        deadline = time.monotonic() + 30  # default header_timeout_s (10 s) plus slack
        while any(t.outcome == "open" for t in slow) and time.monotonic() < deadline:
            time.sleep(0.2)
        stop.set()
        for t in slow:
            t.join()
    closes = [t.closed_after for t in slow if t.closed_after is not None]
    result = {
        "slow_connections": args.slow,
        "drip_s": args.drip,
        "normal_alone": alone,
        "normal_under_attack": attacked,
        "slow_outcomes": dict(sorted(Counter(t.outcome for t in slow).items())),
        "slow_closed_after_s_max": round(max(closes), 2) if closes else None,
    }
    print(json.dumps(result, indent=2))
    args.json.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
