"""The phone platforms' wire formats in front of foundry.deploy.stream.

- **Twilio Media Streams** (``WS /v1/stream/twilio``): JSON text messages ``connected``,
  ``start`` (``streamSid``, ``callSid``, ``mediaFormat`` = audio/x-mulaw 8000 Hz mono,
  ``customParameters``), ``media`` (base64 μ-law ``payload``, 160 bytes per 20 ms), ``dtmf``,
  ``mark``, ``stop``. The service answers on the same socket with ``speech_started`` (and a
  Twilio ``clear``, so a prompt being played stops when the caller talks over it: barge-in),
  ``partial``, ``final`` (transcript, start/end seconds, why it ended, then intent, sentiment
  and dialect), ``noise`` and ``error`` events, each with the ``streamSid``.
- **FreeSWITCH mod_audio_fork** (``WS /v1/stream/fork``): binary 16-bit 8 kHz frames in, the
  same events back as JSON text messages (mod_audio_fork raises them as FreeSWITCH events).
- **Asterisk AudioSocket** (TCP, ``foundry serve --audiosocket-port``): frames of a 3-byte
  header (type, big-endian length) and a payload: 0x01 the call's 16-byte UUID, 0x10 signed
  16-bit little-endian 8 kHz mono audio (320 bytes per 20 ms), 0x03 a DTMF digit, 0x00 hangup,
  0xff an error code. The events of call <uuid> are JSON messages on ``WS
  /v1/stream/calls/<uuid>`` (subscribe before or during the call).

Bounds (``serve.stream``): ``max_streams`` concurrent calls (beyond: WebSocket close 1013, or
an AudioSocket hangup frame), ``max_message_bytes`` per message or frame (close 1009),
``idle_timeout_s`` without a message (close 1008), ``max_call_s`` of audio (close 1008). A
malformed message gets an ``error`` event and the call goes on; audio before ``start`` too.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import struct
import threading
import uuid
from collections import defaultdict
from typing import Any

import numpy as np
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from foundry import g711
from foundry.deploy import models
from foundry.deploy.limits import ClientError
from foundry.deploy.stream import CallSession, StreamSettings
from foundry.silver.vad import SpeechDetector

log = logging.getLogger("foundry.stream")

# WebSocket close codes (RFC 6455 section 7.4.1)
NORMAL, POLICY, TOO_BIG, TRY_LATER, UNSUPPORTED = 1000, 1008, 1009, 1013, 1003
INTERNAL = 1011
# AudioSocket frame types
AS_HANGUP, AS_UUID, AS_DTMF, AS_AUDIO, AS_ERROR = 0x00, 0x01, 0x03, 0x10, 0xFF


class StreamHub:
    """What all calls of one service share: the settings, a VAD model, the stream count, and the
    subscribers of each call's events."""

    def __init__(self, service: Any, settings: StreamSettings | None = None) -> None:
        self.service = service
        self.settings = settings or StreamSettings()
        self.detector = SpeechDetector(rate_hz=8000, threshold=self.settings.vad_threshold)
        self.active = 0
        self._lock = threading.Lock()
        self._subscribers: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = (
            defaultdict(list)
        )

    def admit(self) -> bool:
        with self._lock:
            if self.active >= self.settings.max_streams:
                return False
            self.active += 1
            self.service.metrics.stream_opened()
            return True

    def release(self) -> None:
        with self._lock:
            self.active -= 1
            self.service.metrics.stream_closed()

    @property
    def full(self) -> str:
        return (
            f"{self.active} calls are streaming (serve.stream.max_streams="
            f"{self.settings.max_streams}); try again later"
        )

    def engines(self) -> tuple[str, ...]:
        return tuple(sorted(self.service.slots))

    def answer(self, engine: str, data: bytes, rid: str) -> dict[str, Any]:
        """The HTTP path itself: PCM16 8 kHz for audio engines, a JSON text body otherwise."""
        if models.is_audio(engine):
            query = {"encoding": "pcm16", "sample_rate": "8000", "id": rid}
            return self.service.answer(
                engine, data, None, content_type="application/octet-stream", query=query
            )
        body = json.dumps({"text": data.decode("utf-8"), "id": rid}, ensure_ascii=False)
        return self.service.answer(engine, body.encode("utf-8"), None)

    def session(self, call_id: str) -> CallSession:
        return CallSession(call_id, self.settings, self.detector, self.answer, self.engines())

    def observe(self, events: list[dict[str, Any]]) -> None:
        for e in events:
            if e["event"] == "final":
                self.service.metrics.stream_final(e.get("latency_ms", 0.0) / 1000)

    # --- per-call subscribers (AudioSocket results) ---

    def subscribe(self, call: str) -> asyncio.Queue:
        q: asyncio.Queue = asyncio.Queue()
        with self._lock:
            self._subscribers[call].append((asyncio.get_running_loop(), q))
        return q

    def unsubscribe(self, call: str, q: asyncio.Queue) -> None:
        with self._lock:
            subs = self._subscribers.get(call, [])
            subs[:] = [(lp, x) for lp, x in subs if x is not q]
            if not subs:
                self._subscribers.pop(call, None)

    def publish(self, call: str, event: dict[str, Any]) -> None:
        with self._lock:
            subs = list(self._subscribers.get(call, []))
        for loop, q in subs:
            loop.call_soon_threadsafe(q.put_nowait, event)


def _error(reason: str, detail: str) -> dict[str, Any]:
    return {"event": "error", "reason": reason, "detail": detail}


async def _feed(hub: StreamHub, session: CallSession, pcm: np.ndarray) -> list[dict[str, Any]]:
    events = await run_in_threadpool(session.feed, pcm)
    hub.observe(events)
    return events


async def _hangup(hub: StreamHub, session: CallSession) -> list[dict[str, Any]]:
    events = await run_in_threadpool(session.hangup)
    hub.observe(events)
    return events


# --- Twilio Media Streams ---


class _Twilio:
    """One Twilio stream: parse its events, feed the session, answer on the socket."""

    def __init__(self, hub: StreamHub, ws: WebSocket) -> None:
        self.hub, self.ws = hub, ws
        self.session: CallSession | None = None
        self.sid: str | None = None

    async def send(self, events: list[dict[str, Any]]) -> None:
        for e in events:
            await self.ws.send_json({**e, "streamSid": self.sid} if self.sid else e)
            if e["event"] == "speech_started" and self.sid:
                await self.ws.send_json({"event": "clear", "streamSid": self.sid})

    async def run(self) -> None:
        s = self.hub.settings
        while True:
            try:
                msg = await asyncio.wait_for(self.ws.receive(), timeout=s.idle_timeout_s)
            except TimeoutError:
                await self.end(POLICY, f"no message for {s.idle_timeout_s:g} s (idle_timeout_s)")
                return
            if msg["type"] == "websocket.disconnect":
                if self.session is not None:
                    await _hangup(self.hub, self.session)  # nobody is left to tell
                return
            text = msg.get("text")
            if text is None:
                await self.send([_error("bad_message", "Twilio sends JSON text messages.")])
                continue
            if len(text) > s.max_message_bytes:
                await self.end(TOO_BIG, f"a message over {s.max_message_bytes} bytes")
                return
            if await self.handle(text):
                return

    async def handle(self, text: str) -> bool:
        """One message; True when the stream is over."""
        try:
            obj = json.loads(text)
            event = obj["event"] if isinstance(obj, dict) else None
        except (ValueError, KeyError, RecursionError):  # RecursionError: "[[[[…" nested deep
            event = None
        if not isinstance(event, str):
            await self.send([_error("bad_message", "not a JSON object with an 'event'.")])
            return False
        if event == "start":
            return await self.start(obj)
        if event == "media":
            return await self.media(obj)
        if event == "stop":
            await self.end(NORMAL, "stop")
            return True
        if event in ("connected", "dtmf", "mark"):
            if event == "dtmf" and self.session is not None:
                dtmf = obj.get("dtmf")
                digit = dtmf.get("digit") if isinstance(dtmf, dict) else None
                if not isinstance(digit, str | int) or len(str(digit)) != 1:
                    await self.send([_error("bad_message", "'dtmf' needs dtmf.digit, one key.")])
                    return False
                at = self.session.seconds
                await self.send([{"event": "dtmf", "digit": str(digit), "at": at}])
            return False
        await self.send([_error("unknown_event", f"event {event[:40]!r} is not a Twilio event.")])
        return False

    async def start(self, obj: dict[str, Any]) -> bool:
        if self.session is not None:
            await self.send([_error("out_of_order", "a second 'start' on one stream.")])
            return False
        start = obj.get("start") if isinstance(obj.get("start"), dict) else {}
        fmt = start.get("mediaFormat") if isinstance(start.get("mediaFormat"), dict) else {}
        want = {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
        if {k: fmt.get(k) for k in want} != want:
            await self.end(UNSUPPORTED, "mediaFormat must be audio/x-mulaw, 8000 Hz, 1 channel")
            return True
        sid = start.get("streamSid") or obj.get("streamSid")
        if not isinstance(sid, str) or not 0 < len(sid) <= 64:
            await self.send([_error("bad_message", "'start' needs a streamSid.")])
            return False
        self.sid = sid
        self.session = self.hub.session(sid)
        await self.send([{"event": "started", "callSid": start.get("callSid")}])
        return False

    async def media(self, obj: dict[str, Any]) -> bool:
        if self.session is None:
            await self.send([_error("out_of_order", "'media' before 'start'; audio dropped.")])
            return False
        media = obj.get("media")
        payload = media.get("payload") if isinstance(media, dict) else None
        if not isinstance(payload, str) or not payload:
            await self.send([_error("bad_message", "'media' needs media.payload; audio dropped.")])
            return False
        try:
            codes = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError, TypeError):
            await self.send([_error("bad_base64", "media.payload is not base64 μ-law.")])
            return False
        await self.send(await _feed(self.hub, self.session, g711.mulaw_decode(codes)))
        if self.session.seconds > self.hub.settings.max_call_s:
            await self.end(POLICY, f"over {self.hub.settings.max_call_s:g} s of audio (max_call_s)")
            return True
        return False

    async def end(self, code: int, reason: str) -> None:
        if self.session is not None:
            await self.send(await _hangup(self.hub, self.session))
        await self.ws.close(code=code, reason=reason[:120])


async def _close_after_bug(ws: WebSocket, reason: str) -> None:
    try:
        await ws.send_json(_error("internal", reason + "."))
        await ws.close(code=INTERNAL, reason=reason[:120])
    except Exception:  # the socket is already gone: nothing left to tell
        log.debug("could not close the socket after an error", exc_info=True)


async def twilio_stream(hub: StreamHub, ws: WebSocket) -> None:
    """``WS /v1/stream/twilio``: one Twilio Media Stream."""
    await ws.accept()
    if not hub.admit():
        await ws.close(code=TRY_LATER, reason=hub.full[:120])
        return
    stream = _Twilio(hub, ws)
    try:
        await stream.run()
    except WebSocketDisconnect:
        pass
    except Exception:  # a bug, not the caller: its traceback in the log, one line to Twilio
        log.exception("twilio stream %s: unexpected error", stream.sid)
        await _close_after_bug(ws, "internal error; the call's audio stopped here")
        if stream.session is not None:
            await _hangup(hub, stream.session)
    finally:
        hub.release()


# --- FreeSWITCH mod_audio_fork ---


async def fork_stream(hub: StreamHub, ws: WebSocket) -> None:
    """``WS /v1/stream/fork``: FreeSWITCH mod_audio_fork (``uuid_audio_fork <uuid> start <url>
    mono 8k``): binary frames of 16-bit little-endian 8 kHz PCM, text frames of metadata. The
    events go back as JSON text messages, which mod_audio_fork raises as FreeSWITCH events."""
    await ws.accept()
    if ws.query_params.get("rate", "8000") != "8000":
        await ws.close(
            code=UNSUPPORTED, reason="this stream takes 8 kHz: uuid_audio_fork … mono 8k"
        )
        return
    if not hub.admit():
        await ws.close(code=TRY_LATER, reason=hub.full[:120])
        return
    s = hub.settings
    call = (ws.query_params.get("call") or str(uuid.uuid4()))[:64]
    session = hub.session(call)
    try:
        await ws.send_json({"event": "started", "call": call})
        while True:
            try:
                msg = await asyncio.wait_for(ws.receive(), timeout=s.idle_timeout_s)
            except TimeoutError:
                await ws.send_json(_error("idle", f"no audio for {s.idle_timeout_s:g} s"))
                await ws.close(code=POLICY, reason="idle_timeout_s")
                break
            if msg["type"] == "websocket.disconnect":
                break  # the call ended
            data = msg.get("bytes")
            if data is None:
                continue  # metadata (mod_audio_fork's first message) or a keep-alive
            if len(data) > s.max_message_bytes:
                await ws.close(code=TOO_BIG, reason=f"a frame over {s.max_message_bytes} bytes")
                break
            if len(data) % 2:
                await ws.send_json(_error("bad_frame", "an odd byte count is not 16-bit PCM."))
                continue
            for e in await _feed(hub, session, np.frombuffer(data, dtype="<i2")):
                await ws.send_json({**e, "call": call})
            if session.seconds > s.max_call_s:
                await ws.close(code=POLICY, reason="max_call_s")
                break
    except WebSocketDisconnect:
        pass
    finally:
        await _hangup(hub, session)  # a caller who hung up mid-sentence: nobody to tell
        hub.release()


async def call_events(hub: StreamHub, ws: WebSocket, call: str) -> None:
    """``WS /v1/stream/calls/<uuid>``: the JSON events of one AudioSocket call."""
    await ws.accept()
    q = hub.subscribe(call)
    try:
        while True:
            event = await q.get()
            await ws.send_json(event)
            if event.get("event") == "hangup":
                await ws.close(code=NORMAL, reason="call ended")
                return
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(call, q)


# --- Asterisk AudioSocket ---


def frame(kind: int, payload: bytes = b"") -> bytes:
    """One AudioSocket frame."""
    return struct.pack(">BH", kind, len(payload)) + payload


async def audiosocket_call(
    hub: StreamHub, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """One AudioSocket connection (one call); events go to the call's subscribers."""
    s = hub.settings
    if not hub.admit():
        writer.write(frame(AS_HANGUP))
        await writer.drain()
        writer.close()
        return
    call: str | None = None
    session: CallSession | None = None

    def publish(events: list[dict[str, Any]]) -> None:
        for e in events:
            hub.publish(call or "unknown", {**e, "call": call})

    try:
        while True:
            try:
                head = await asyncio.wait_for(reader.readexactly(3), timeout=s.idle_timeout_s)
                kind, length = struct.unpack(">BH", head)
                if length > s.max_message_bytes:
                    publish([_error("too_big", f"a frame of {length} bytes")])
                    break
                payload = await asyncio.wait_for(reader.readexactly(length), s.idle_timeout_s)
            except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                break  # idle, or the peer went away mid-frame: the call is over
            if kind == AS_UUID:
                if len(payload) != 16 or session is not None:
                    publish([_error("bad_frame", "the UUID frame must come first, 16 bytes")])
                    continue
                call = str(uuid.UUID(bytes=payload))
                session = hub.session(call)
                publish([{"event": "started"}])
            elif kind == AS_AUDIO:
                if session is None or len(payload) % 2:
                    publish([_error("bad_frame", "audio before the UUID, or an odd byte count")])
                    continue
                publish(await _feed(hub, session, np.frombuffer(payload, dtype="<i2")))
                if session.seconds > s.max_call_s:
                    break
            elif kind == AS_DTMF and session is not None:
                publish([{"event": "dtmf", "digit": payload[:1].decode("ascii", "replace")}])
            elif kind == AS_HANGUP:
                break
            elif kind == AS_ERROR:
                publish([_error("peer_error", f"Asterisk sent error code {payload.hex()}")])
                break
            else:
                publish([_error("bad_frame", f"unknown frame type 0x{kind:02x}")])
    except ClientError as exc:  # pragma: no cover - sessions answer errors as events
        publish([_error(exc.reason, exc.message)])
    finally:
        if session is not None:
            publish(await _hangup(hub, session))
            publish([{"event": "hangup", "seconds": round(session.seconds, 3)}])
        hub.release()
        writer.close()


class AudioSocketServer:
    """The AudioSocket TCP listener on a thread of its own (its own event loop)."""

    def __init__(self, hub: StreamHub, host: str, port: int) -> None:
        self.hub, self.host, self.port = hub, host, port
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="audiosocket", daemon=True)
        self._server: asyncio.base_events.Server | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            await audiosocket_call(self.hub, r, w)

        self._server = self.loop.run_until_complete(
            asyncio.start_server(handle, self.host, self.port)
        )
        self.ready.set()
        self.loop.run_forever()

    def start(self) -> None:
        self.thread.start()
        self.ready.wait(30)

    def stop(self) -> None:
        def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            self.loop.stop()

        self.loop.call_soon_threadsafe(shutdown)
        self.thread.join(timeout=10)
