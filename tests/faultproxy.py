"""A loopback HTTP proxy for tests: forwards to an upstream server, injects faults, counts requests.

Used two ways: as the plain front of the test Hub server (``hubserver``), where it only rewrites
the ``refs/convert/parquet`` revision olah cannot route, and by fault tests, which queue faults
(``reset``, ``stall``, ``status``, ``truncate``) for requests whose path matches a substring.
Everything is bounded: stalls wait on an Event with a timeout, sockets have timeouts.
"""

from __future__ import annotations

import http.client
import re
import socket
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# olah routes `/revision/{commit}` with one path segment; the client sends the parquet branch as
# refs%2Fconvert%2Fparquet, which the server decodes into three segments. The test repos carry
# the same commit under this slash-free branch name too, and the front rewrites to it.
PARQUET_REF_ENCODED = "refs%2Fconvert%2Fparquet"
PARQUET_ALIAS = "convert-parquet"

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


@dataclass
class Fault:
    """One injected failure for requests whose path matches the regex ``match``.

    ``kind``: reset (RST after half the body) | stall (no answer until the proxy's stall time) |
    status (answer ``status`` with ``headers``) | truncate (half the body, then close);
    ``times``: how many matching requests get it.
    """

    match: str
    kind: str
    times: int = 1
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client killed mid-request (crash tests) is expected: stay quiet about it."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class FaultProxy:
    """Threaded forwarding proxy on 127.0.0.1 with a fault queue and a request log."""

    def __init__(self, upstream: str, stall_seconds: float = 5.0) -> None:
        u = urlsplit(upstream)
        self.upstream_host, self.upstream_port = u.hostname or "127.0.0.1", u.port or 80
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str, int | str]] = []
        self.authorizations: set[str] = set()  # Authorization header values seen (tests only)
        self.stall_seconds = stall_seconds
        self._lock = threading.Lock()
        self._release = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 30

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _handle(self) -> None:
                proxy._serve(self)

            do_GET = do_HEAD = do_POST = _handle

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()
            self.log.clear()

    def requests(self, contains: str = "") -> list[tuple[str, str, int | str]]:
        with self._lock:
            return [r for r in self.log if contains in r[1]]

    def _take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for f in self.faults:
                if f.times > 0 and re.search(f.match, path) and f.method in (None, method):
                    f.times -= 1
                    return f
        return None

    def _record(self, method: str, path: str, outcome: int | str) -> None:
        with self._lock:
            self.log.append((method, path, outcome))

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        method, path = h.command, h.path.replace(PARQUET_REF_ENCODED, PARQUET_ALIAS)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else None
        if h.headers.get("Authorization"):
            with self._lock:
                self.authorizations.add(h.headers["Authorization"])
        fault = self._take(method, path)
        if fault and fault.kind == "status":
            self._record(method, path, fault.status)
            payload = b'{"error": "injected"}'
            h.send_response(fault.status)
            for k, v in fault.headers.items():
                h.send_header(k, v)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            if method != "HEAD":
                h.wfile.write(payload)
            return
        if fault and fault.kind == "stall":
            self._record(method, path, "stall")
            self._release.wait(self.stall_seconds)
            h.close_connection = True
            return
        headers = {k: v for k, v in h.headers.items() if k.lower() not in HOP_HEADERS}
        headers["Host"] = f"{self.upstream_host}:{self.upstream_port}"
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            out_headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_HEADERS]
            status = resp.status
        finally:
            conn.close()
        self._record(method, path, fault.kind if fault else status)
        h.send_response(status)
        for k, v in out_headers:
            if k.lower() != "content-length" or method == "HEAD":
                h.send_header(k, v)
        if method != "HEAD":
            h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if method == "HEAD":
            return
        if fault and fault.kind in ("truncate", "reset") and len(data) > 1:
            h.wfile.write(data[: len(data) // 2])
            h.wfile.flush()
            h.close_connection = True
            if fault.kind == "reset":  # RST instead of FIN: the client sees ECONNRESET
                h.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            return
        h.wfile.write(data)
