"""What telephony platforms send reaches the model as the same 16 kHz audio, however it is packed:
G.711 in a WAV, headerless G.711 with its encoding and rate, L16, or base64 in JSON."""

from __future__ import annotations

import base64
import hashlib
import io
import json

import fakes
import httpx
import numpy as np
import pytest
import soundfile as sf

from foundry import g711, telephony
from foundry.deploy import models, registry, request_audio
from foundry.deploy.serve import Running, Service

SR = 8000


@pytest.fixture(autouse=True)
def fake_models(monkeypatch):
    monkeypatch.setattr(models, "LOADER", fakes.fake_loader)


def speechlike(seconds: float = 1.2) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    x = 0.3 * np.sin(2 * np.pi * 440 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    return x.astype(np.float32)


def wav(x: np.ndarray, subtype: str) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, x, SR, format="WAV", subtype=subtype)
    return buf.getvalue()


def g711_wav(codes: bytes, subtype: str) -> bytes:
    """The same G.711 codes in a WAV container (libsndfile re-encodes int16 exactly)."""
    decode = g711.mulaw_decode if subtype == "ULAW" else g711.alaw_decode
    return wav(decode(codes), subtype)


@pytest.fixture
def service(tmp_path):
    x = speechlike()
    ulaw = telephony.encode_telephony(x, "mulaw")
    alaw = telephony.encode_telephony(x, "alaw")
    l16 = telephony.encode_telephony(x, "l16")
    # the model answers by the exact 16 kHz WAV it receives
    answers = {
        hashlib.sha256(request_audio.telephone_wav(ulaw, "mulaw", SR)).hexdigest(): "mulaw-heard",
        hashlib.sha256(request_audio.telephone_wav(alaw, "alaw", SR)).hexdigest(): "alaw-heard",
        hashlib.sha256(request_audio.telephone_wav(l16, "l16", SR)).hexdigest(): "pcm-heard",
    }
    src = tmp_path / "stt-src"
    src.mkdir()
    (src / "answers.json").write_text(json.dumps({"answers": answers, "default": "?"}))
    (src / "adapter_model.safetensors").write_bytes(b"0" * 64)
    registry.promote(tmp_path, registry.register(tmp_path, "stt", src), ["first"])
    intent = fakes.make_adapter(tmp_path / "intent-src", fakes.items(3), 1.0)
    registry.promote(tmp_path, registry.register(tmp_path, "intent", intent), ["first"])
    with Running(Service(tmp_path, ["stt", "intent"], poll_s=3600)) as srv:
        yield srv.url, x, ulaw, alaw


def post(url: str, path: str, body: bytes, ctype: str) -> httpx.Response:
    return httpx.post(url + path, content=body, headers={"Content-Type": ctype}, timeout=30)


def test_every_packing_of_the_same_call_gets_the_same_answer(service):
    url, x, ulaw, alaw = service
    packed = [
        ("/v1/stt", ulaw, "audio/basic"),
        ("/v1/stt", ulaw, "audio/PCMU"),
        ("/v1/stt?encoding=mulaw&sample_rate=8000", ulaw, "application/octet-stream"),
        ("/v1/stt", g711_wav(ulaw, "ULAW"), "audio/wav"),
        ("/v1/stt", g711_wav(ulaw, "ULAW"), "application/octet-stream"),
    ]
    for path, body, ctype in packed:
        r = post(url, path, body, ctype)
        assert r.status_code == 200, (ctype, r.text)
        assert r.json()["output"] == "mulaw-heard", (path, ctype)
    for path, body, ctype in [
        ("/v1/stt", alaw, "audio/PCMA"),
        ("/v1/stt?encoding=alaw&sample_rate=8000", alaw, "application/octet-stream"),
        ("/v1/stt", g711_wav(alaw, "ALAW"), "audio/x-wav"),
    ]:
        r = post(url, path, body, ctype)
        assert r.status_code == 200 and r.json()["output"] == "alaw-heard", (ctype, r.text)
    body = {"audio": base64.b64encode(ulaw).decode(), "encoding": "mulaw", "sample_rate": 8000}
    r = httpx.post(url + "/v1/stt", json=body, timeout=30)
    assert r.status_code == 200 and r.json()["output"] == "mulaw-heard"


def test_linear_pcm_at_8k_is_resampled_to_the_model_rate(service):
    url, x, _, _ = service
    l16 = telephony.encode_telephony(x, "l16")
    # the answer's key is 16 kHz audio of the same length: the 8 kHz call resampled, not as sent
    heard = sf.info(io.BytesIO(request_audio.telephone_wav(l16, "l16", SR)))
    assert (heard.samplerate, heard.channels, heard.frames) == (16000, 1, 2 * len(x))
    r = post(url, "/v1/stt", l16, "audio/L16;rate=8000")
    assert r.status_code == 200, r.text
    assert r.json()["output"] == "pcm-heard"
    # the same int16 samples in a PCM_16 WAV (wav(x) would quantize by 32767, not 32768)
    pcm = wav(np.frombuffer(l16, ">i2").astype(np.int16), "PCM_16")
    r = post(url, "/v1/stt", pcm, "audio/wav")
    assert r.status_code == 200, r.text
    assert r.json()["output"] == "pcm-heard"


@pytest.mark.parametrize(
    "path,body,ctype,status,reason",
    [
        (
            "/v1/stt?encoding=pcm_s16le&sample_rate=8000",
            b"\x01\x02\x03",
            "application/octet-stream",
            400,
            "odd_length",
        ),
        (
            "/v1/stt?encoding=opus&sample_rate=8000",
            b"\x00" * 800,
            "application/octet-stream",
            400,
            "unsupported_encoding",
        ),
        (
            "/v1/stt?encoding=mulaw",
            b"\xff" * 800,
            "application/octet-stream",
            400,
            "bad_sample_rate",
        ),
        (
            "/v1/stt?encoding=mulaw&sample_rate=eight",
            b"\xff" * 800,
            "application/octet-stream",
            400,
            "bad_sample_rate",
        ),
        ("/v1/stt", b"", "audio/basic", 400, "empty_audio"),
        # 0.1 s of mu-law zero: duration is checked before loudness
        ("/v1/stt", b"\xff" * 800, "audio/basic", 400, "too_short"),
        ("/v1/stt", b"\xff" * 8000, "audio/basic", 400, "silence"),  # 1 s of mu-law zero
        ("/v1/intent", b"\xff" * 800, "audio/basic", 415, "unsupported_media_type"),
    ],
    ids=["odd", "opus", "no-rate", "bad-rate", "empty", "silent-short", "silent", "text-engine"],
)
def test_broken_telephone_audio_is_one_4xx_sentence(service, path, body, ctype, status, reason):
    url = service[0]
    r = post(url, path, body, ctype)
    assert r.status_code == status, r.text
    assert r.json()["reason"] == reason, r.text
    assert r.json()["detail"].endswith(".")
