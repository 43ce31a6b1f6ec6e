"""Slow clients cannot hold the service: a deadline for each request head, a cap per address.

uvicorn bounds the idle time between requests (keep-alive) but not the time a client takes to
send its request line and headers, so a caller that sends them a byte at a time (slow loris)
keeps a socket, and 200 of them keep 200. Here each connection must finish its request head
within ``header_timeout_s`` of connecting (or of its previous answer's keep-alive window), or it
gets one 408 sentence and is closed; an address with ``max_connections_per_ip`` open
connections gets a 429 sentence for the next one. The body has its own per-pause deadline
(``body_timeout_s``, foundry.deploy.limits). Behind a proxy every caller shares the proxy's
address: raise the cap there or let the proxy bound connections.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


class ConnectionGuard:
    """Open connections per client address, shared by every connection of one server."""

    def __init__(self, header_timeout_s: float, max_connections_per_ip: int) -> None:
        self.header_timeout_s = float(header_timeout_s)
        self.max_per_ip = int(max_connections_per_ip)
        self.open: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()  # reason -> connections closed by the guard
        self._lock = threading.Lock()

    def admit(self, ip: str) -> bool:
        with self._lock:
            if self.open[ip] >= self.max_per_ip:
                return False
            self.open[ip] += 1
            return True

    def release(self, ip: str) -> None:
        with self._lock:
            self.open[ip] -= 1
            if self.open[ip] <= 0:
                del self.open[ip]

    def count(self, reason: str) -> None:
        with self._lock:
            self.refused[reason] += 1

    def protocol(self) -> type[H11Protocol]:
        """The uvicorn ``http`` protocol class bound to this guard."""
        return type("GuardedH11Protocol", (_GuardedH11,), {"guard": self})


def _answer(status: int, phrase: str, reason: str, detail: str) -> bytes:
    """A complete HTTP/1.1 response that closes the connection (the service's error shape)."""
    body = json.dumps({"detail": detail, "reason": reason}).encode()
    head = (
        f"HTTP/1.1 {status} {phrase}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


# After a refusal the socket half-closes and lingers this long, discarding what the client still
# sends: closing with unread bytes would reset the connection and lose the answer in flight.
LINGER_S = 2.0


class _GuardedH11(H11Protocol):
    guard: ConnectionGuard
    _ip: str | None = None
    _deadline: asyncio.TimerHandle | None = None
    _refused = False

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ip = self.client[0] if self.client else "unknown"
        if not self.guard.admit(ip):
            detail = (
                f"this address already has {self.guard.max_per_ip} open connections; "
                "reuse one (keep-alive) or close some."
            )
            self._refuse(429, "Too Many Requests", "too_many_connections", detail)
            return
        self._ip = ip
        self._arm(self.guard.header_timeout_s)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._head_too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _waiting_for_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _head_too_slow(self) -> None:
        self._deadline = None
        if self._waiting_for_head() and not self.transport.is_closing():
            detail = (
                f"the request line and headers did not arrive within "
                f"{self.guard.header_timeout_s:g} seconds; send them whole."
            )
            self._refuse(408, "Request Timeout", "header_timeout", detail)

    def _refuse(self, status: int, phrase: str, reason: str, detail: str) -> None:
        self.guard.count(reason)
        self._refused = True
        self.transport.write(_answer(status, phrase, reason, detail))
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self._deadline = self.loop.call_later(LINGER_S, self.transport.close)
        else:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if not self._refused:  # after the answer, the rest of a refused request is dropped
            super().data_received(data)

    def eof_received(self) -> bool | None:
        if self._refused:
            self.transport.close()
        return None

    def handle_events(self) -> None:
        super().handle_events()
        if not self._waiting_for_head():  # the head is in; the body has its own deadline
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():  # the next head: keep-alive window + head deadline
            self._arm(self.timeout_keep_alive + self.guard.header_timeout_s)

    def handle_websocket_upgrade(self, event: Any) -> None:
        # the socket becomes a call stream, bounded by serve.stream (idle timeout, max_streams):
        # no head deadline and no HTTP connection count from here on
        self._disarm()
        if self._ip is not None:
            self.guard.release(self._ip)
            self._ip = None
        super().handle_websocket_upgrade(event)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._ip is not None:
            self.guard.release(self._ip)
            self._ip = None
        super().connection_lost(exc)
