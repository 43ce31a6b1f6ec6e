"""Live calls against the real service on 127.0.0.1: Twilio Media Streams and Asterisk
AudioSocket in, endpointed partial and final answers out, bounded and hostile-proof.

The models are fakes (tests/fakes.py): stt answers ``കേട്ടത് <the WAV's sha256 prefix as a
number>``, so a final transcript equal to the HTTP answer proves the same samples reached the model.
"""

from __future__ import annotations

import base64
import json
import socket
import struct
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import fakes
import numpy as np
import pytest
import soundfile as sf
import soxr
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from foundry import g711
from foundry.deploy import callio, models, registry
from foundry.deploy.limits import Limits
from foundry.deploy.serve import Running, Service
from foundry.deploy.stream import StreamSettings

ROOT = Path(__file__).resolve().parents[2]
CLIPS = ROOT / "demo/hub/datasets/foundry-demo/indicvoices-ml/Data/Train"
FRAME = 160  # 20 ms at 8 kHz, what Twilio sends


def speech(name: str) -> np.ndarray:
    """A demo clip (espeak-ng Malayalam) as 8 kHz int16, what a phone line carries."""
    x, sr = sf.read(CLIPS / name, dtype="float32")
    y = soxr.resample(x, sr, 8000)
    return np.clip(np.round(y * 32767), -32768, 32767).astype(np.int16)


def call_audio() -> tuple[np.ndarray, list[tuple[int, int]]]:
    """0.5 s silence, utterance, 1.2 s silence, utterance, 1.2 s silence; where each one is."""
    quiet = np.zeros(4000, np.int16)
    gap = np.zeros(9600, np.int16)
    a, b = speech("iv_0001.wav"), speech("iv_0002.wav")
    spans = [(4000, 4000 + a.size), (4000 + a.size + 9600, 4000 + a.size + 9600 + b.size)]
    return np.concatenate([quiet, a, gap, b, gap]), spans


@pytest.fixture
def service(tmp_path, monkeypatch) -> Iterator[Service]:
    monkeypatch.setattr(models, "LOADER", fakes.fake_loader)
    for engine in ("stt", "intent"):
        src = fakes.make_adapter(
            tmp_path / f"src-{engine}", fakes.items(3), 1.0, echo=engine == "stt"
        )
        registry.promote(tmp_path, registry.register(tmp_path, engine, src), ["first"])
    settings = StreamSettings(idle_timeout_s=2.0, max_streams=2, max_message_bytes=4096)
    # a head deadline shorter than the idle test: an upgraded socket is the stream's, not HTTP's
    limits = Limits(header_timeout_s=1.0)
    svc = Service(tmp_path, ["stt", "intent"], poll_s=3600, stream=settings, limits=limits)
    yield svc


def twilio_messages(pcm: np.ndarray, sid: str = "MZ0001") -> Iterator[str]:
    yield json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})
    yield json.dumps(
        {
            "event": "start",
            "sequenceNumber": "1",
            "start": {
                "streamSid": sid,
                "callSid": "CA0001",
                "tracks": ["inbound"],
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                "customParameters": {"caller": "test"},
            },
            "streamSid": sid,
        }
    )
    codes = g711.mulaw_encode(pcm).tobytes()
    for k in range(0, len(codes), FRAME):
        media = {
            "track": "inbound",
            "chunk": str(k // FRAME + 1),
            "timestamp": str(k // 8),
            "payload": base64.b64encode(codes[k : k + FRAME]).decode(),
        }
        yield json.dumps({"event": "media", "streamSid": sid, "media": media})
    yield json.dumps({"event": "stop", "streamSid": sid, "stop": {"callSid": "CA0001"}})


def received(ws) -> list[dict]:
    out = []
    try:
        while True:
            out.append(json.loads(ws.recv(timeout=30)))
    except ConnectionClosed:
        return out


def post_stt(srv: Running, pcm: np.ndarray) -> dict:
    import http.client

    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=30)
    conn.request(
        "POST",
        "/v1/stt?encoding=pcm16&sample_rate=8000",
        body=pcm.astype("<i2").tobytes(),
        headers={"Content-Type": "application/octet-stream"},
    )
    resp = conn.getresponse()
    body = json.loads(resp.read())
    conn.close()
    assert resp.status == 200, body
    return body


def test_a_twilio_call_is_endpointed_into_finals_equal_to_the_http_answers(service):
    pcm, spans = call_audio()
    with Running(service) as srv:
        with connect(f"ws://{srv.host}:{srv.port}/v1/stream/twilio") as ws:
            for msg in twilio_messages(pcm):
                ws.send(msg)
            events = received(ws)
            assert ws.close_code == 1000
        finals = [e for e in events if e["event"] == "final"]
        assert [f["reason"] for f in finals] == ["silence", "silence"], events
        for f, (start, end) in zip(finals, spans, strict=True):
            assert f["streamSid"] == "MZ0001"
            # the utterance as endpointed: speech plus a little padding on both sides
            assert abs(f["start"] * 8000 - start) < 0.35 * 8000, (f, start)
            assert abs(f["end"] * 8000 - end) < 0.45 * 8000, (f, end)
            cut = pcm[round(f["start"] * 8000) : round(f["end"] * 8000)]
            decoded = g711.mulaw_decode(g711.mulaw_encode(cut))  # what the line carried
            http = post_stt(srv, decoded)
            assert f["stt"]["output"] == http["output"] == f["text"]
            assert f["text"].startswith(fakes.HEARD + " ")
            assert f["intent"]["output"] in fakes.LABELS
        starts = [e for e in events if e["event"] == "speech_started"]
        clears = [e for e in events if e["event"] == "clear"]
        assert len(starts) == len(clears) == 2  # barge-in: the prompt playing is cleared
        assert any(e["event"] == "partial" for e in events)
        assert events[0] == {"event": "started", "callSid": "CA0001", "streamSid": "MZ0001"}
        scrape = srv.service.metrics.exposition()[0].decode()
        assert "foundry_stream_final_seconds_count 2.0" in scrape
        assert "foundry_active_streams 0.0" in scrape


def test_a_hangup_mid_utterance_is_a_final_with_reason_hangup(service):
    pcm, spans = call_audio()
    cut = pcm[: spans[0][0] + 4000]  # the caller hangs up half a second into the first sentence
    with Running(service) as srv:
        with connect(f"ws://{srv.host}:{srv.port}/v1/stream/twilio") as ws:
            for msg in twilio_messages(cut):
                ws.send(msg)
            events = received(ws)
    finals = [e for e in events if e["event"] == "final"]
    assert [f["reason"] for f in finals] == ["hangup"], events
    assert finals[0]["end"] == pytest.approx(cut.size / 8000, abs=0.001)


def test_hostile_streams_get_error_events_or_a_close_reason_never_a_stuck_socket(service):
    with Running(service) as srv:
        url = f"ws://{srv.host}:{srv.port}/v1/stream/twilio"
        with connect(url) as ws:
            for bad, reason in (
                ("not json", "bad_message"),
                (json.dumps([1, 2]), "bad_message"),
                (json.dumps({"event": "media", "media": {"payload": "AAAA"}}), "out_of_order"),
                (json.dumps({"event": "dance"}), "unknown_event"),
            ):
                ws.send(bad)
                assert json.loads(ws.recv(timeout=10))["reason"] == reason
            ws.send(next(iter(twilio_messages(np.zeros(0, np.int16)))))  # connected
            msgs = twilio_messages(np.zeros(FRAME, np.int16))
            next(msgs)
            ws.send(next(msgs))  # start
            assert json.loads(ws.recv(timeout=10))["event"] == "started"
            ws.send(json.dumps({"event": "media", "media": {"payload": "@@not base64"}}))
            assert json.loads(ws.recv(timeout=10))["reason"] == "bad_base64"
            ws.send(b"\x00binary")
            assert json.loads(ws.recv(timeout=10))["reason"] == "bad_message"
            ws.send("x" * 5000)  # over max_message_bytes
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=10)
            assert ws.close_code == 1009
        with connect(url) as ws:  # the wrong audio format
            start = json.loads(list(twilio_messages(np.zeros(0, np.int16)))[1])
            start["start"]["mediaFormat"]["sampleRate"] = 16000
            ws.send(json.dumps(start))
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=10)
            assert ws.close_code == 1003 and "8000 Hz" in ws.close_reason
        with connect(url) as a, connect(url) as b, connect(url) as c:  # max_streams = 2
            with pytest.raises(ConnectionClosed):
                c.recv(timeout=10)
            assert c.close_code == 1013 and "max_streams=2" in c.close_reason
            # an idle stream is closed after idle_timeout_s (2 s) with a reason
            for ws in (a, b):
                with pytest.raises(ConnectionClosed):
                    ws.recv(timeout=30)
                assert ws.close_code == 1008 and "idle_timeout_s" in ws.close_reason
        assert srv.service.hub.active == 0


def test_malformed_twilio_events_are_error_events_never_a_crashed_socket(service):
    """Each wrong shape of a known event gets one error event and the stream goes on."""
    msgs = list(twilio_messages(np.zeros(FRAME, np.int16)))
    with Running(service) as srv:
        url = f"ws://{srv.host}:{srv.port}/v1/stream/twilio"
        with connect(url) as ws:
            ws.send("[" * 3000)  # nested past Python's recursion limit
            assert json.loads(ws.recv(timeout=10))["reason"] == "bad_message"
            ws.send(msgs[1])  # start
            assert json.loads(ws.recv(timeout=10))["event"] == "started"
            for bad in (
                {"event": "dtmf", "dtmf": "5"},
                {"event": "dtmf"},
                {"event": "media", "media": [1]},
                {"event": "media"},
                {"event": "media", "media": {"payload": 12}},
            ):
                ws.send(json.dumps(bad))
                event = json.loads(ws.recv(timeout=10))
                assert event["event"] == "error" and event["reason"] == "bad_message", bad
            ws.send(json.dumps({"event": "dtmf", "dtmf": {"digit": "5"}}))
            assert json.loads(ws.recv(timeout=10))["digit"] == "5"  # the stream still works
        with connect(url) as ws:  # a mediaFormat that is not an object: unsupported, closed
            ws.send(json.dumps({"event": "start", "start": {"mediaFormat": "mulaw"}}))
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=10)
            assert ws.close_code == 1003 and "8000 Hz" in ws.close_reason
        assert srv.service.hub.active == 0


def test_a_bug_in_a_twilio_stream_closes_it_with_1011_and_logs_the_traceback(
    service, monkeypatch, caplog
):
    async def broken(*args):
        raise RuntimeError("a bug in the stream code")

    monkeypatch.setattr(callio, "_feed", broken)
    msgs = list(twilio_messages(np.zeros(FRAME, np.int16)))
    with caplog.at_level("ERROR", logger="foundry.stream"), Running(service) as srv:
        with connect(f"ws://{srv.host}:{srv.port}/v1/stream/twilio") as ws:
            ws.send(msgs[1])
            assert json.loads(ws.recv(timeout=10))["event"] == "started"
            ws.send(msgs[2])  # media: the broken feed raises
            event = json.loads(ws.recv(timeout=10))
            assert event["event"] == "error" and event["reason"] == "internal"
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=10)
            assert ws.close_code == 1011
    failed = [r for r in caplog.records if r.name == "foundry.stream" and r.exc_info]
    assert failed and "a bug in the stream code" in str(failed[0].exc_info[1])


def test_an_audiosocket_call_streams_its_events_to_the_call_socket(service):
    pcm, spans = call_audio()
    call = uuid.UUID("0b6d2f3c-8d0a-4c52-9a55-3f6f3f0c9a01")
    port = _free_port()
    with Running(service, audiosocket_port=port) as srv:
        with connect(f"ws://{srv.host}:{srv.port}/v1/stream/calls/{call}") as events_ws:
            with socket.create_connection((srv.host, port), 30) as s:
                s.sendall(callio.frame(callio.AS_UUID, call.bytes))
                for k in range(0, pcm.size, FRAME):
                    s.sendall(
                        callio.frame(callio.AS_AUDIO, pcm[k : k + FRAME].astype("<i2").tobytes())
                    )
                s.sendall(callio.frame(callio.AS_DTMF, b"5"))
                s.sendall(callio.frame(callio.AS_HANGUP))
            events = received(events_ws)
        finals = [e for e in events if e["event"] == "final"]
        assert [f["reason"] for f in finals] == ["silence", "silence"], events
        assert all(e["call"] == str(call) for e in events)
        assert events[0]["event"] == "started" and events[-1]["event"] == "hangup"
        assert {"event": "dtmf", "digit": "5", "call": str(call)} in events
        f = finals[0]
        http = post_stt(srv, pcm[round(f["start"] * 8000) : round(f["end"] * 8000)])
        assert f["text"] == http["output"]
        assert srv.service.hub.active == 0


def test_audiosocket_bad_frames_are_errors_and_a_full_service_hangs_up(service):
    port = _free_port()
    with Running(service, audiosocket_port=port) as srv:
        call = uuid.uuid4()
        with connect(f"ws://{srv.host}:{srv.port}/v1/stream/calls/{call}") as events_ws:
            with socket.create_connection((srv.host, port), 30) as s:
                s.sendall(callio.frame(callio.AS_UUID, call.bytes))
                s.sendall(callio.frame(callio.AS_AUDIO, b"\x01\x02\x03"))  # odd byte count
                s.sendall(callio.frame(0x42, b"?"))
                s.sendall(struct.pack(">BH", callio.AS_AUDIO, 60000))  # over max_message_bytes
                events = received(events_ws)
        kinds = [(e["event"], e.get("reason")) for e in events]
        assert ("error", "bad_frame") in kinds and ("error", "too_big") in kinds
        assert kinds[-1] == ("hangup", None)
        # the hangup event is published before the call's handler releases its slot: wait for
        # that release, or it would land after the line below and admit the next call
        deadline = time.monotonic() + 30
        while service.hub.active and time.monotonic() < deadline:
            time.sleep(0.01)
        assert service.hub.active == 0
        service.hub.active = service.hub.settings.max_streams  # as if two calls were on
        try:
            with socket.create_connection((srv.host, port), 30) as s:
                assert s.recv(16) == callio.frame(callio.AS_HANGUP)
        finally:
            service.hub.active = 0


def test_stream_settings_come_from_the_config_and_are_checked():
    s = StreamSettings.from_config({"serve": {"stream": {"endpoint_ms": 400, "max_streams": 8}}})
    assert (s.endpoint_ms, s.max_streams, s.max_utterance_s) == (400, 8, 15.0)
    with pytest.raises(ValueError, match="unknown serve.stream key"):
        StreamSettings.from_config({"serve": {"stream": {"endpoint": 1}}})
    with pytest.raises(ValueError, match="endpoint_ms must be a positive number"):
        StreamSettings(endpoint_ms=0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_freeswitch_audio_fork_stream_gets_its_events_as_json_text(service):
    pcm, _ = call_audio()
    with Running(service) as srv:
        base = f"ws://{srv.host}:{srv.port}/v1/stream/fork"
        with connect(f"{base}?call=fs-0001") as ws:
            assert json.loads(ws.recv(timeout=10)) == {"event": "started", "call": "fs-0001"}
            ws.send(json.dumps({"uuid": "fs-0001", "caller": "100"}))  # mod_audio_fork metadata
            ws.send(b"\x01\x02\x03")  # not 16-bit samples
            assert json.loads(ws.recv(timeout=10))["reason"] == "bad_frame"
            for k in range(0, pcm.size, FRAME):  # 20 ms of 16-bit audio per binary frame
                ws.send(pcm[k : k + FRAME].astype("<i2").tobytes())
            events = []
            while sum(e["event"] == "final" for e in events) < 2:
                events.append(json.loads(ws.recv(timeout=30)))
        finals = [e for e in events if e["event"] == "final"]
        assert [f["reason"] for f in finals] == ["silence", "silence"]
        assert all(f["call"] == "fs-0001" for f in finals)
        http = post_stt(srv, pcm[round(finals[0]["start"] * 8000) : round(finals[0]["end"] * 8000)])
        assert finals[0]["text"] == http["output"]
        with connect(f"{base}?rate=16000") as ws:
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=10)
            assert ws.close_code == 1003 and "mono 8k" in ws.close_reason


def test_an_utterance_longer_than_max_utterance_s_is_cut_with_reason_max_length():
    from foundry.deploy.stream import CallSession
    from foundry.silver.vad import SpeechDetector

    heard = []

    def answer(engine: str, data: bytes, rid: str) -> dict:
        heard.append(len(data) // 2)
        return {"output": f"{len(data) // 2} samples"}

    settings = StreamSettings(max_utterance_s=0.6, partial_interval_ms=0)
    session = CallSession("c1", settings, SpeechDetector(rate_hz=8000), answer, ("stt",))
    pcm = np.concatenate(
        [np.zeros(4000, np.int16), speech("iv_0001.wav"), np.zeros(9600, np.int16)]
    )
    events = []
    for k in range(0, pcm.size, FRAME):
        events += session.feed(pcm[k : k + FRAME])
    finals = [e for e in events if e["event"] == "final"]
    assert finals[0]["reason"] == "max_length", events
    assert finals[0]["end"] - finals[0]["start"] == pytest.approx(0.6, abs=0.04)
    assert heard[0] == round((finals[0]["end"] - finals[0]["start"]) * 8000)
