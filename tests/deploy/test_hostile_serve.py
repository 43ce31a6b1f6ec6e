"""Hostile requests against the real HTTP service (fake predictors) on one keep-alive connection.

Every case must get the 4xx it is listed with, as one JSON sentence with a reason name (no
memory address, no echo of the body), the connection must stay open, and a valid request right
after it must be answered. Audio cases must be refused with the pipeline's own reject reason.
The corpus is also what ``bench/hostile_serve.py`` measures.
"""

from __future__ import annotations

import base64
import gc
import http.client
import io
import json
import re
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import fakes
import httpx
import numpy as np
import psutil
import pytest
import soundfile as sf

from foundry import audio, config
from foundry.deploy import models, registry
from foundry.deploy.limits import DEFAULT_LIMITS, Limits
from foundry.deploy.request_audio import standard_wav
from foundry.deploy.serve import Running, Service

MB = 1024 * 1024
JSON = (("Content-Type", "application/json"),)
GOOD_TEXT = "എനിക്ക് ഒരു പരാതി നൽകണം"


@dataclass(frozen=True)
class Case:
    """One hostile request and the answer it must get."""

    name: str
    engine: str
    body: bytes
    status: int
    reason: str
    method: str = "POST"
    path: str | None = None
    headers: tuple[tuple[str, str], ...] = JSON
    chunked: bool = False
    audio: bytes | None = None  # the decoded 'audio' field, for the pipeline-parity check

    @property
    def target(self) -> str:
        return self.path or f"/v1/{self.engine}"


def wav(x: np.ndarray, sr: int = 16000, subtype: str = "PCM_16", fmt: str = "WAV") -> bytes:
    buf = io.BytesIO()
    sf.write(buf, x, sr, format=fmt, subtype=subtype)
    return buf.getvalue()


def tone(seconds: float, sr: int = 16000, amp: float = 0.3, channels: int = 1) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    x = (amp * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    return np.stack([x] * channels, axis=1) if channels > 1 else x


def wav_header(
    sr: int = 16000, channels: int = 1, bits: int = 16, data_size: int = 0, tag: int = 1
) -> bytes:
    """A hand-made RIFF/WAVE header; the fields may lie (that is the point)."""
    block = (channels * bits // 8) & 0xFFFF
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        min(36 + data_size, 0xFFFFFFFF),
        b"WAVE",
        b"fmt ",
        16,
        tag,
        channels,
        sr,
        (sr * block) & 0xFFFFFFFF,
        block,
        bits,
        b"data",
        data_size,
    )


def jbody(obj: object) -> bytes:
    return json.dumps(obj).encode("utf-8")


def audio_body(data: bytes) -> bytes:
    return jbody({"audio": base64.b64encode(data).decode("ascii")})


def valid_body(engine: str) -> bytes:
    if models.is_audio(engine):
        return audio_body(wav(tone(1.0)))
    return jbody({"text": GOOD_TEXT, "id": "ok-1"})


def corpus() -> list[Case]:
    """The hostile corpus: the tester's findings and their relatives."""
    text_cap = DEFAULT_LIMITS.max_body_bytes_text
    audio_cap = DEFAULT_LIMITS.max_body_bytes_audio
    cases = [
        # --- body size --------------------------------------------------------------------
        Case(
            "text body over the cap",
            "intent",
            jbody({"text": "x" * text_cap}),
            413,
            "body_too_large",
        ),
        Case("8 MB JSON body", "dialect", jbody({"audio": "A" * (8 * MB)}), 413, "body_too_large"),
        Case(
            "chunked body over the cap",
            "intent",
            b"[" * (text_cap + 10),
            413,
            "body_too_large",
            chunked=True,
        ),
        Case(
            "chunked audio over the cap",
            "dialect",
            b"{" * (audio_cap + 10),
            413,
            "body_too_large",
            chunked=True,
        ),
        # --- not JSON, or the wrong JSON ----------------------------------------------------
        Case("empty body", "intent", b"", 400, "bad_json"),
        Case("whitespace body", "intent", b"  \n", 400, "bad_json"),
        Case("not UTF-8", "intent", b'{"text": "\xff\xfe"}', 400, "bad_json"),
        Case(
            "UTF-16 body",
            "intent",
            jbody({"text": "hi"}).decode().encode("utf-16"),
            400,
            "bad_json",
        ),
        Case("not JSON", "intent", b"text=hello", 400, "bad_json"),
        Case("truncated JSON", "intent", b'{"text": "hel', 400, "bad_json"),
        Case("JSON array", "intent", b'["text"]', 400, "bad_json"),
        Case("JSON string", "intent", b'"hello"', 400, "bad_json"),
        Case("JSON null", "intent", b"null", 400, "bad_json"),
        Case("JSON number", "intent", b"12", 400, "bad_json"),
        Case(
            "nested 30000 deep",
            "intent",
            b'{"text": ' + b"[" * 30000 + b"]" * 30000 + b"}",
            400,
            "bad_json",
        ),
        Case(
            "nested 5000 deep",
            "intent",
            b'{"text": ' + b"[" * 5000 + b"]" * 5000 + b"}",
            400,
            "bad_json",
        ),
        Case("NaN value", "intent", b'{"text": NaN}', 400, "bad_json"),
        Case("Infinity id", "intent", b'{"text": "x", "id": -Infinity}', 400, "bad_json"),
        Case(
            "60000-digit id",
            "intent",
            b'{"text": "x", "id": ' + b"9" * 60000 + b"}",
            400,
            "bad_json",
        ),
        Case("41-digit id", "intent", b'{"text": "x", "id": ' + b"9" * 41 + b"}", 400, "bad_json"),
        Case(
            "a million empty lists",
            "dialect",
            b'{"audio": [' + b"[]," * 1_390_000 + b"[]]}",
            400,
            "bad_json",
        ),
        Case(
            "a million numbers",
            "dialect",
            b'{"audio": [' + b"1," * 2_000_000 + b"1]}",
            400,
            "bad_json",
        ),
        Case("raw control char in a string", "intent", b'{"text": "a\x01b"}', 400, "bad_json"),
        # --- text ---------------------------------------------------------------------------
        Case("lone surrogate", "intent", b'{"text": "\\ud800"}', 400, "bad_field"),
        Case("low surrogate after text", "intent", b'{"text": "abc\\udfff"}', 400, "bad_field"),
        Case("NUL in text", "intent", b'{"text": "a\\u0000b"}', 400, "bad_field"),
        Case("text is a number", "intent", jbody({"text": 5}), 400, "bad_field"),
        Case("text is a list", "intent", jbody({"text": ["a"]}), 400, "bad_field"),
        Case("text is an object", "intent", jbody({"text": {"a": 1}}), 400, "bad_field"),
        Case("text is true", "intent", jbody({"text": True}), 400, "bad_field"),
        Case("text is null", "intent", jbody({"text": None}), 400, "bad_field"),
        Case("text missing", "intent", jbody({}), 400, "bad_field"),
        Case("text empty", "intent", jbody({"text": ""}), 400, "bad_field"),
        Case("text whitespace", "intent", jbody({"text": " \n\t "}), 400, "bad_field"),
        Case(
            "text one char too long",
            "intent",
            jbody({"text": "മ" * (DEFAULT_LIMITS.max_text_chars + 1)}),
            413,
            "text_too_long",
        ),
        # the pipeline's Malayalam-content check: the models never saw anything else
        Case(
            "English text",
            "intent",
            jbody({"text": "I want to check my account balance"}),
            400,
            "non_malayalam_text",
        ),
        Case(
            "Manglish text",
            "sentiment",
            jbody({"text": "ente bill ethra aanu ennu ariyanam"}),
            400,
            "romanised_malayalam",
        ),
        Case(
            "text with U+FFFD",
            "intent",
            jbody({"text": GOOD_TEXT + " \ufffd"}),
            400,
            "garbled_text",
        ),
        Case("only digits", "intent", jbody({"text": "1234 5678"}), 400, "empty_text"),
        Case("unexpected field", "intent", jbody({"text": "x", "debug": True}), 400, "bad_field"),
        Case(
            "audio sent to a text engine",
            "intent",
            jbody({"text": "x", "audio": "AAAA"}),
            400,
            "bad_field",
        ),
        # --- ids ----------------------------------------------------------------------------
        Case("id is a list", "intent", jbody({"text": "x", "id": [1]}), 400, "bad_field"),
        Case("id is an object", "intent", jbody({"text": "x", "id": {"a": 1}}), 400, "bad_field"),
        Case("id is a float", "intent", jbody({"text": "x", "id": 1.5}), 400, "bad_field"),
        Case("id is false", "intent", jbody({"text": "x", "id": False}), 400, "bad_field"),
        Case("huge id", "intent", jbody({"text": "x", "id": "i" * 50000}), 400, "bad_field"),
        Case(
            "id one char too long",
            "intent",
            jbody({"text": "x", "id": "i" * (DEFAULT_LIMITS.max_id_chars + 1)}),
            400,
            "bad_field",
        ),
        Case(
            "id with a lone surrogate",
            "intent",
            b'{"text": "x", "id": "a\\ud800"}',
            400,
            "bad_field",
        ),
        Case("id with a newline", "intent", jbody({"text": "x", "id": "a\nb"}), 400, "bad_field"),
        Case(
            "huge X-Request-ID",
            "intent",
            jbody({"text": "x"}),
            400,
            "bad_field",
            headers=(*JSON, ("X-Request-ID", "r" * 4000)),
        ),
        # --- headers, paths, methods ----------------------------------------------------------
        Case(
            "text/plain body",
            "intent",
            jbody({"text": "x"}),
            415,
            "unsupported_media_type",
            headers=(("Content-Type", "text/plain"),),
        ),
        Case(
            "form body",
            "intent",
            b"text=x",
            415,
            "unsupported_media_type",
            headers=(("Content-Type", "application/x-www-form-urlencoded"),),
        ),
        Case(
            "gzip body",
            "intent",
            b"\x1f\x8b\x08\x00",
            415,
            "unsupported_media_type",
            headers=(*JSON, ("Content-Encoding", "gzip")),
        ),
        Case("unknown engine", "nope", jbody({"text": "x"}), 404, "unknown_engine"),
        Case("huge engine name", "n" * 3000, jbody({"text": "x"}), 404, "unknown_engine"),
        Case("GET on an engine", "intent", b"", 405, "method_not_allowed", method="GET"),
        Case("unknown path", "intent", b"", 404, "not_found", method="GET", path="/admin"),
        Case(
            "PUT models",
            "intent",
            b"{}",
            405,
            "method_not_allowed",
            method="PUT",
            path="/v1/models",
        ),
        # --- the audio field ------------------------------------------------------------------
        Case("audio is a number", "dialect", jbody({"audio": 7}), 400, "bad_field"),
        Case("audio is a list", "dialect", jbody({"audio": ["UklGRg=="]}), 400, "bad_field"),
        Case("audio is null", "dialect", jbody({"audio": None}), 400, "bad_field"),
        Case("text sent to an audio engine", "dialect", jbody({"text": "x"}), 400, "bad_field"),
        Case("audio not base64", "dialect", jbody({"audio": "!!!"}), 400, "bad_base64"),
        Case("audio base64 bad padding", "dialect", jbody({"audio": "UklGR"}), 400, "bad_base64"),
        Case("audio non-ASCII", "dialect", jbody({"audio": "ഓഓഓഓ"}), 400, "bad_base64"),
        Case("audio lone surrogate", "dialect", b'{"audio": "\\ud800AAA"}', 400, "bad_base64"),
        Case(
            "sample_rate contradicts the WAV header",
            "dialect",
            jbody({"audio": base64.b64encode(wav(tone(1.0))).decode(), "sample_rate": 8000}),
            400,
            "bad_sample_rate",
        ),
        Case(
            "sample_rate a superscript digit",  # "²".isdigit() is True, int("²") fails
            "dialect",
            jbody({"audio": base64.b64encode(wav(tone(1.0))).decode(), "sample_rate": "²"}),
            400,
            "bad_sample_rate",
        ),
        Case(
            "encoding of 5000 characters",
            "dialect",
            jbody({"audio": base64.b64encode(b"\x10" * 8000).decode(), "encoding": "x" * 5000}),
            400,
            "unsupported_encoding",
        ),
    ]
    sine = tone(1.0)
    flac = wav(sine, fmt="FLAC")
    ogg = wav(sine, fmt="OGG", subtype="VORBIS")
    nan = sine.copy()
    nan[100:200] = np.nan
    inf = sine.copy()
    inf[5] = np.inf
    square = np.sign(tone(1.0)).astype(np.float32)
    lying = wav_header(data_size=0xFFFFFFF0) + b"\x01\x10" * 200
    audio_cases = [
        ("empty field", b"", "empty_audio"),
        ("random bytes", bytes(range(256)) * 4, "undecodable"),
        ("text file", b"hello, this is not audio\n" * 20, "undecodable"),
        ("bare WAV header", wav_header(), "empty_audio"),
        ("WAV header promising 1 MB", wav_header(data_size=MB), "empty_audio"),
        ("0-sample WAV", wav(np.zeros(0, dtype=np.float32)), "empty_audio"),
        ("1-sample WAV", wav(np.array([0.1], dtype=np.float32)), "too_short"),
        ("0.1 s tone", wav(tone(0.1)), "too_short"),
        ("WAV cut in the header", wav(sine)[:30], "undecodable"),
        ("WAV cut in the data", wav(sine)[:1000], "truncated"),
        ("WAV promising 4 GB", lying, "truncated"),
        (
            "65535 channels",
            wav_header(channels=65535, data_size=4000) + b"\1" * 4000,
            "undecodable",
        ),
        ("odd format tag", wav_header(tag=0x55, data_size=4000) + b"\1" * 4000, "undecodable"),
        ("0 Hz", wav_header(sr=0, data_size=4000) + b"\1" * 4000, "undecodable"),
        (
            "2 GHz",
            wav_header(sr=2**31 - 1, data_size=4000) + b"\1" * 4000,
            "unsupported_sample_rate",
        ),
        ("NaN samples", wav(nan, subtype="FLOAT"), "non_finite"),
        ("Inf sample", wav(inf, subtype="FLOAT"), "non_finite"),
        ("all zeros", wav(np.zeros(16000, dtype=np.float32)), "silence"),
        ("DC offset only", wav(np.full(16000, 0.05, dtype=np.float32)), "silence"),
        ("-70 dBFS hum", wav(tone(1.0, amp=0.0003)), "silence"),
        ("full-scale square", wav(square), "clipping"),
        ("31 s at 8 kHz", wav(tone(31.0, sr=8000), sr=8000, subtype="PCM_U8"), "too_long"),
        ("10 min FLAC", wav(np.zeros(600 * 8000, dtype=np.float32), 8000, fmt="FLAC"), "too_long"),
        (
            "8 channels 48 kHz",
            wav(np.zeros((20 * 48000, 8), dtype=np.float32), 48000, fmt="FLAC"),
            "too_many_samples",
        ),
        ("FLAC cut short", flac[:200], "truncated"),
        ("OGG cut short", ogg[:300], "undecodable"),
        ("RIFF with junk", b"RIFF0000WAVEjunk", "undecodable"),
    ]
    for name, data, reason in audio_cases:
        status = 413 if reason == "too_many_samples" else 400
        cases.append(
            Case(f"audio: {name}", "dialect", audio_body(data), status, reason, audio=data)
        )
    names = [c.name for c in cases]
    if len(set(names)) != len(names):  # a test id per case: a repeated name would hide one
        raise ValueError(
            f"hostile cases named twice: {sorted({n for n in names if names.count(n) > 1})}"
        )
    return cases


def accepted_audio() -> list[tuple[str, bytes]]:
    """Relatives of the hostile cases that are fine and must be answered 200."""
    return [
        ("16 kHz mono FLAC", wav(tone(1.0), fmt="FLAC")),
        ("16 kHz mono OGG", wav(tone(1.0), fmt="OGG", subtype="VORBIS")),
        ("8 kHz u-law WAV", wav(tone(1.0, sr=8000), 8000, subtype="ULAW")),
        ("44.1 kHz stereo float", wav(tone(1.0, sr=44100, channels=2), 44100, subtype="FLOAT")),
        ("30 s at 16 kHz", wav(tone(30.0))),
    ]


# --- the server -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("hostile")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(models, "LOADER", fakes.fake_loader)
        for engine in ("intent", "dialect"):
            src = fakes.make_adapter(root / f"src-{engine}", fakes.items(3), 1.0)
            registry.promote(root, registry.register(root, engine, src), ["first"])
        fail = fakes.make_adapter(root / "src-fail", fakes.items(3), 1.0, fail=True)
        registry.promote(root, registry.register(root, "sentiment", fail), ["first"])
        with Running(Service(root, ["intent", "dialect", "sentiment"], poll_s=3600)) as srv:
            yield srv


def send(conn: http.client.HTTPConnection, case: Case) -> tuple[int, dict[str, str], bytes]:
    headers = dict(case.headers)
    if case.chunked:
        body = iter([case.body[i : i + 65536] for i in range(0, len(case.body), 65536)])
        conn.request(case.method, case.target, body=body, headers=headers, encode_chunked=True)
    else:
        conn.request(case.method, case.target, body=case.body, headers=headers)
    resp = conn.getresponse()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()


def valid(conn: http.client.HTTPConnection, engine: str) -> int:
    engine = engine if engine in ("intent", "dialect") else "intent"
    ok = Case("valid", engine, valid_body(engine), 200, "")
    return send(conn, ok)[0]


ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")


def sentence_problems(case: Case, status: int, headers: dict[str, str], raw: bytes) -> list[str]:
    """What is wrong with an error answer (empty when it is one clear JSON sentence)."""
    out = []
    if status != case.status:
        out.append(f"status {status}, expected {case.status}: {raw[:200]!r}")
    if not headers.get("content-type", "").startswith("application/json"):
        return out + [f"content-type {headers.get('content-type')}"]
    if headers.get("connection", "").lower() == "close":
        out.append("the server closes the connection")
    body = json.loads(raw)
    detail, reason = body.get("detail"), body.get("reason")
    if set(body) != {"detail", "reason"} or not isinstance(detail, str):
        return out + [f"answer is not {{detail, reason}}: {raw[:200]!r}"]
    if reason != case.reason:
        out.append(f"reason {reason!r}, expected {case.reason!r} ({detail})")
    if not detail.endswith(".") or ". " in detail or "\n" in detail or len(detail) > 300:
        out.append(f"not one short sentence: {detail!r}")
    if ADDRESS.search(detail) or " object at " in detail:
        out.append(f"memory address in {detail!r}")
    if len(case.body) >= 24:
        windows = {raw[i : i + 24] for i in range(0, max(1, len(raw) - 23))}
        probe = case.body[: 256 * 1024]
        if any(w in probe for w in windows if b'"' not in w):
            out.append(f"the answer echoes the body: {detail!r}")
    return out


# --- tests ----------------------------------------------------------------------------------


def test_hostile_corpus_gets_4xx_sentences_on_one_kept_alive_connection(server: Running):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    assert valid(conn, "intent") == 200
    sock = conn.sock
    failures: dict[str, list[str]] = {}
    for case in corpus():
        try:
            status, headers, raw = send(conn, case)
            problems = sentence_problems(case, status, headers, raw)
            if conn.sock is not sock:
                problems.append("the connection was closed after the answer")
            after = valid(conn, case.engine)
            if after != 200:
                problems.append(f"the valid request after it got {after}")
            if conn.sock is not sock:
                problems.append("the connection was replaced")
        except (OSError, http.client.HTTPException) as exc:
            problems = [f"connection error: {type(exc).__name__}: {exc}"]
            conn.close()
            conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
            valid(conn, "intent")
            sock = conn.sock
        if problems:
            failures[case.name] = problems
    conn.close()
    assert failures == {}


def test_relatives_that_are_fine_are_answered(server: Running):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    for name, data in accepted_audio():
        status, _, raw = send(conn, Case(name, "dialect", audio_body(data), 200, ""))
        assert status == 200, (name, raw)
    # a UTF-8 BOM, an int id, a request id header and base64 with line breaks are all fine
    wrapped = base64.encodebytes(wav(tone(1.0))).decode("ascii")
    for case in (
        Case("bom", "intent", b"\xef\xbb\xbf" + jbody({"text": GOOD_TEXT}), 200, ""),
        Case("int id", "intent", jbody({"text": GOOD_TEXT, "id": 12345}), 200, ""),
        Case(
            "charset",
            "intent",
            jbody({"text": GOOD_TEXT}),
            200,
            "",
            headers=(("Content-Type", "application/json; charset=utf-8"),),
        ),
        Case("no content type", "intent", jbody({"text": GOOD_TEXT}), 200, "", headers=()),
        Case(
            "header id",
            "intent",
            jbody({"text": GOOD_TEXT}),
            200,
            "",
            headers=(*JSON, ("X-Request-ID", "call-42")),
        ),
        Case("wrapped base64", "dialect", jbody({"audio": wrapped}), 200, ""),
    ):
        status, _, raw = send(conn, case)
        assert status == 200, (case.name, raw)
        if case.name == "header id":
            assert json.loads(raw)["request_id"] == "call-42"
    conn.close()


@pytest.mark.parametrize("case", [c for c in corpus() if c.audio is not None], ids=lambda c: c.name)
def test_audio_rejects_use_the_pipelines_reason(case: Case):
    """The service refuses exactly what the pipeline's standardize() refuses, by reason."""
    checks = DEFAULT_LIMITS.checks
    assert case.audio is not None
    with pytest.raises(ValueError) as served:
        standard_wav(case.audio)
    assert getattr(served.value, "reason", None) == case.reason
    if case.reason in audio.AUDIO_REJECT_REASONS:
        with pytest.raises(audio.AudioReject) as pipeline:
            audio.standardize(case.audio, checks)
        assert pipeline.value.reason == case.reason


def test_16k_mono_pcm16_keeps_its_samples_and_others_are_standardized():
    x = tone(1.0) + np.float32(0.002)  # a small DC offset the pipeline would remove
    raw = wav(x)
    out = standard_wav(raw)
    assert audio.read_wav(out)[0].tobytes() == audio.read_wav(raw)[0].tobytes()
    flac = standard_wav(wav(x, fmt="FLAC"))
    expected = audio.encode_wav(audio.standardize(wav(x, fmt="FLAC")).pcm16)
    assert flac == expected


def _rss() -> int:
    gc.collect()
    return psutil.Process().memory_info().rss


def test_oversized_bodies_cost_no_memory_and_keep_the_connection(server: Running):
    """RSS of the (in-process) server stays flat after 50 MB bodies and max-size audio."""
    big = jbody({"text": "x" * (50 * MB)})
    chunked = Case("chunked 50 MB", "intent", big, 413, "body_too_large", chunked=True)
    declared = Case("declared 50 MB", "intent", big, 413, "body_too_large")
    # the largest audio body under the cap (17 s of 44.1 kHz float WAV, base64) and the most
    # samples a request may decode (30 s of 48 kHz stereo, as FLAC)
    near_cap = audio_body(wav(tone(17.0, sr=44100), 44100, subtype="FLOAT"))
    most = audio_body(wav(tone(30.0, sr=48000, channels=2), 48000, fmt="FLAC"))
    assert len(near_cap) < DEFAULT_LIMITS.max_body_bytes_audio
    heavy = [Case("near cap", "dialect", near_cap, 200, ""), Case("most", "dialect", most, 200, "")]
    conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
    for _ in range(3):  # warm every code path first
        send(conn, declared)
        send(conn, chunked)
        for case in heavy:
            send(conn, case)
    before = _rss()
    for _ in range(5):
        assert send(conn, declared)[0] == 413
        assert send(conn, chunked)[0] == 413
        for case in heavy:
            assert send(conn, case)[0] == 200, case.name
        assert valid(conn, "intent") == 200
    growth = (_rss() - before) / MB
    conn.close()
    assert growth < 20, f"RSS grew {growth:.1f} MB"


def test_over_limit_is_answered_before_the_body_is_sent(server: Running):
    """The 413 comes back from the headers alone; the body sent afterwards is discarded and the
    same socket then serves a valid request."""
    size = 50 * MB
    with socket.create_connection((server.host, server.port), timeout=30) as s:
        s.sendall(
            b"POST /v1/intent HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {size}\r\n\r\n".encode()
        )
        head = _read_response(s)
        assert head.startswith(b"HTTP/1.1 413"), head[:200]
        chunk = b" " * MB
        for _ in range(size // MB):
            s.sendall(chunk)
        body = jbody({"text": GOOD_TEXT})
        s.sendall(
            b"POST /v1/intent HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        assert _read_response(s).startswith(b"HTTP/1.1 200")


def _read_response(s: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        part = s.recv(65536)
        assert part, "the server closed the connection"
        data += part
    head, _, rest = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head.lower()).group(1))
    while len(rest) < length:
        part = s.recv(65536)
        assert part, "the server closed the connection"
        rest += part
    return head + b"\r\n\r\n" + rest


def test_unexpected_service_fault_is_a_500_answer_not_a_reset(server: Running, monkeypatch):
    """The last-resort handler answers (Starlette's re-raises and uvicorn drops the socket)."""
    from foundry.deploy import serve

    def broken(self):
        raise RuntimeError("status exploded at 0x7f00deadbeef")

    monkeypatch.setattr(serve.EngineSlot, "status", broken)
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    conn.request("GET", "/v1/models")
    resp = conn.getresponse()
    body = json.loads(resp.read())
    assert resp.status == 500 and body["reason"] == "internal"
    assert "0x" not in body["detail"] and "exploded" not in body["detail"]
    sock = conn.sock
    assert valid(conn, "intent") == 200 and conn.sock is sock
    conn.close()


def test_model_failure_is_a_500_sentence_and_keeps_the_connection(server: Running):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    case = Case("fail", "sentiment", jbody({"text": GOOD_TEXT}), 500, "")
    status, headers, raw = send(conn, case)
    body = json.loads(raw)
    assert status == 500 and body["reason"] == "model_error"
    assert (
        body["detail"] == "engine 'sentiment' failed on this request (RuntimeError); it is logged."
    )
    sock = conn.sock
    assert valid(conn, "intent") == 200 and conn.sock is sock
    conn.close()


def test_slow_body_times_out_with_408(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "LOADER", fakes.fake_loader)
    src = fakes.make_adapter(tmp_path / "src", fakes.items(3), 1.0)
    registry.promote(tmp_path, registry.register(tmp_path, "intent", src), ["first"])
    service = Service(tmp_path, ["intent"], poll_s=3600, limits=Limits(body_timeout_s=0.3))
    with Running(service) as srv, socket.create_connection((srv.host, srv.port), 30) as s:
        s.sendall(b"POST /v1/intent HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b'{"te')
        head = _read_response(s)
    assert head.startswith(b"HTTP/1.1 408") and b'"reason":"body_timeout"' in head


def _drain(s: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while part := s.recv(65536):
        data += part
    return data


def test_slow_heads_are_closed_and_one_address_cannot_hold_every_socket(tmp_path, monkeypatch):
    """Slow loris: request heads sent a byte at a time used to keep their sockets forever."""
    monkeypatch.setattr(models, "LOADER", fakes.fake_loader)
    src = fakes.make_adapter(tmp_path / "src", fakes.items(3), 1.0)
    registry.promote(tmp_path, registry.register(tmp_path, "intent", src), ["first"])
    lim = Limits(header_timeout_s=1.0, max_connections_per_ip=8)
    with Running(Service(tmp_path, ["intent"], poll_s=3600, limits=lim)) as srv:
        slow = []
        for _ in range(20):
            s = socket.create_connection((srv.host, srv.port), 30)
            s.sendall(b"POST /v1/intent HTTP/1.1\r\nHo")  # and never the rest
            slow.append(s)
        # another caller (another address) is answered while the slow ones hold their sockets
        with socket.create_connection((srv.host, srv.port), 30, ("127.0.0.2", 0)) as ok:
            body = jbody({"text": "ബിൽ"})
            ok.sendall(
                b"POST /v1/intent HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            assert _read_response(ok).startswith(b"HTTP/1.1 200")
        answers = [_drain(s) for s in slow]  # each ends: the server closed every slow socket
        for s in slow:
            s.close()
    statuses = sorted(a.split(b" ", 2)[1] for a in answers)
    assert statuses == [b"408"] * 8 + [b"429"] * 12, statuses
    late = next(a for a in answers if a.startswith(b"HTTP/1.1 408"))
    body = json.loads(late.partition(b"\r\n\r\n")[2])
    assert body == {
        "reason": "header_timeout",
        "detail": "the request line and headers did not arrive within 1 seconds; send them whole.",
    }
    full = json.loads(next(a for a in answers if b" 429 " in a).partition(b"\r\n\r\n")[2])
    assert full["reason"] == "too_many_connections" and "8 open connections" in full["detail"]
    assert srv.guard.open == {}  # every admitted connection was released
    assert srv.guard.refused == {"header_timeout": 8, "too_many_connections": 12}


def test_limits_are_configurable(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "LOADER", fakes.fake_loader)
    src = fakes.make_adapter(tmp_path / "src", fakes.items(3), 1.0)
    registry.promote(tmp_path, registry.register(tmp_path, "intent", src), ["first"])
    small = Limits(max_text_chars=10, max_body_bytes_text=200, max_id_chars=4)
    with Running(Service(tmp_path, ["intent"], poll_s=3600, limits=small)) as srv:
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=30)
        assert send(conn, Case("ok", "intent", jbody({"text": "ബ" * 10}), 200, ""))[0] == 200
        for body, status in (
            (jbody({"text": "x" * 11}), 413),
            (jbody({"text": "x", "id": "12345"}), 400),
            (jbody({"text": "x" * 300}), 413),
        ):
            assert send(conn, Case("small", "intent", body, status, ""))[0] == status
        conn.close()
    cfg = config.defaults()
    cfg["audio"].update(min_duration=0.5, max_duration=20.0, silence_dbfs=-45.0)
    cfg["serve"]["limits"] = {"max_text_chars": 500}
    lim = Limits.from_config(cfg)
    assert (lim.min_audio_seconds, lim.max_audio_seconds, lim.silence_dbfs) == (0.5, 20.0, -45.0)
    assert lim.max_text_chars == 500 and lim.clip_fraction == DEFAULT_LIMITS.clip_fraction
    cfg["serve"]["limits"] = {"max_txt": 1}
    with pytest.raises(ValueError, match="unknown serve.limits key"):
        Limits.from_config(cfg)
    with pytest.raises(ValueError, match="max_text_chars"):
        Limits(max_text_chars=0)
    with pytest.raises(ValueError, match="min_duration"):
        Limits(min_audio_seconds=40.0)


def test_models_shows_current_errors_only(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "LOADER", fakes.fake_loader)
    rows = fakes.items(3)
    good = registry.register(tmp_path, "intent", fakes.make_adapter(tmp_path / "g", rows, 1.0))
    registry.promote(tmp_path, good, ["first"])
    service = Service(tmp_path, ["intent"], poll_s=3600)
    with Running(service) as srv:
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=30)

        def errors() -> list[str]:
            conn.request("GET", "/v1/models")
            return json.loads(conn.getresponse().read())["intent"]["errors"]

        prod = tmp_path / "deploy/intent/production.json"
        record = prod.read_text(encoding="utf-8")
        prod.write_text("{not json", encoding="utf-8")
        service.refresh()
        assert len(errors()) == 1 and "not loaded" in errors()[0]
        assert not ADDRESS.search(errors()[0])
        prod.write_text(record, encoding="utf-8")  # fixed: the error is history, not status
        service.refresh()
        assert errors() == []
        shadow = tmp_path / "deploy/intent/shadow.json"
        shadow.write_text('{"candidate": "nope"}', encoding="utf-8")
        service.refresh()
        assert len(errors()) == 1
        shadow.unlink()
        service.refresh()
        assert errors() == []
        conn.close()


def test_answers_say_what_to_send_instead(server: Running):
    """The advice survives a long echoed value, and raw bytes without their format get it too."""
    with httpx.Client(base_url=server.url, timeout=30) as c:
        long = {"audio": base64.b64encode(b"\x10" * 8000).decode(), "encoding": "x" * 5000}
        r = c.post("/v1/dialect", json={**long, "sample_rate": 8000})
        assert r.status_code == 400 and "use one of" in r.json()["detail"], r.text
        raw = {"content-type": "application/octet-stream"}
        r = c.post("/v1/dialect", content=b"\x10" * 8000, headers=raw)
        assert r.status_code == 400 and r.json()["reason"] == "undecodable", r.text
        assert "encoding= and sample_rate=" in r.json()["detail"], r.text


@pytest.mark.parametrize(
    "accept",
    ["application/openmetrics-text; version=1.x", "application/openmetrics-text; version=abc"],
)
def test_metrics_with_an_unreadable_accept_header_get_the_text_format(server, accept):
    with httpx.Client(base_url=server.url, timeout=30) as c:
        r = c.get("/metrics", headers={"accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain"), r.text
    assert "foundry_requests_total" in r.text


@pytest.mark.parametrize(
    "raw",
    [
        b"POST /v1/intent HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}",
        b"POST /v1/\xff\xfe HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
        b"NOT-HTTP\r\n\r\n",
    ],
    ids=["bad Content-Length", "non-ASCII path", "not HTTP"],
)
def test_unframeable_requests_get_400_from_the_http_parser(server: Running, raw: bytes):
    """Requests the HTTP parser cannot frame never reach the app: uvicorn answers 400 and
    closes (it cannot know where the next request starts); the service takes the next caller."""
    with socket.create_connection((server.host, server.port), timeout=30) as s:
        s.sendall(raw)
        head = s.recv(65536)
    assert head.startswith(b"HTTP/1.1 400")
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    assert valid(conn, "intent") == 200
    conn.close()
