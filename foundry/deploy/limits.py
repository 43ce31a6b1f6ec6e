"""Request limits and input checks for ``foundry serve``: every request is bounded and every
input problem becomes one 4xx sentence, never a 500, an echo of the body or a memory address.

Why it is built this way:
- The body is counted while it streams in (and a declared Content-Length over the cap is refused
  before a byte is read), so an oversized request costs neither time nor memory.
- JSON is parsed here, not by the framework: a parse of at most the cap, with one sentence per
  failure (not UTF-8, not JSON, nesting too deep, NaN, oversized numbers, wrong types).
- Audio runs through the very functions the pipeline uses (``foundry.audio``) with the same
  checks, so a clip the pipeline would reject is refused with the same reason name; the header is
  read first, so a long or many-sample file is refused before its samples are decoded.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import logging
import math
import re
import unicodedata
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from foundry import audio, telephony
from foundry import text as text_mod

log = logging.getLogger("foundry.deploy.serve")

_ADDRESS = re.compile(r"<[^<>]*? at 0x[0-9a-fA-F]+>|\b0x[0-9a-fA-F]{8,}\b")
_CONFIG_NOTE = re.compile(r" \(config [\w.]+\)")
_BYTES_NOTE = re.compile(r" \(\d+ bytes; first bytes: 0x[0-9a-fA-F]*\)")
_WHITESPACE = str.maketrans("", "", " \t\r\n")


@dataclass(frozen=True)
class Limits:
    """Per-request bounds; the defaults fit an IVR (one utterance, at most 30 s of audio).

    The audio quality fields mirror the pipeline's ``audio.*`` config keys (see ``from_config``)
    so that serving refuses exactly what training never saw.
    """

    max_body_bytes_text: int = 64 * 1024  # JSON body for text engines (intent, sentiment)
    max_body_bytes_audio: int = 4 * 1024 * 1024  # JSON body with base64 audio (stt, dialect)
    max_text_chars: int = 2000  # code points of 'text'
    max_id_chars: int = 128  # request id, from the body or the X-Request-ID header
    max_json_tokens: int = 10_000  # '[', '{' and ',' bytes in the body (inside strings too)
    max_audio_samples: int = 2_880_000  # frames x channels as the header announces (30 s 48k st)
    max_sample_rate: int = 384_000  # Hz; soxr cost grows with the rate ratio
    body_timeout_s: float = 30.0  # longest pause while the body streams in
    header_timeout_s: float = 10.0  # request line + headers complete within this (guard.py)
    max_connections_per_ip: int = 64  # open connections one client address may hold
    min_audio_seconds: float = audio.DEFAULT_CHECKS.min_duration  # audio.min_duration
    max_audio_seconds: float = audio.DEFAULT_CHECKS.max_duration  # audio.max_duration
    silence_dbfs: float = audio.DEFAULT_CHECKS.silence_dbfs  # audio.silence_dbfs
    clip_fraction: float = audio.DEFAULT_CHECKS.clip_fraction  # audio.clip_fraction
    min_malayalam_ratio: float = 0.5  # text.min_malayalam_ratio: what training text had to meet

    def __post_init__(self) -> None:
        for name in (
            "max_body_bytes_text",
            "max_body_bytes_audio",
            "max_text_chars",
            "max_id_chars",
            "max_json_tokens",
            "max_audio_samples",
            "max_sample_rate",
            "max_connections_per_ip",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"serve limit {name} must be a positive integer, got {value!r}")
        for name in ("body_timeout_s", "header_timeout_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"serve limit {name} must be > 0, got {value}")
        self.checks  # noqa: B018 - AudioChecks validates the audio thresholds

    @property
    def checks(self) -> audio.AudioChecks:
        return audio.AudioChecks(
            min_duration=float(self.min_audio_seconds),
            max_duration=float(self.max_audio_seconds),
            silence_dbfs=float(self.silence_dbfs),
            clip_fraction=float(self.clip_fraction),
        )

    def body_cap(self, is_audio: bool) -> int:
        return self.max_body_bytes_audio if is_audio else self.max_body_bytes_text

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> Limits:
        """Audio checks from the pipeline's ``audio.*`` keys; any field from ``serve.limits``."""
        a = cfg.get("audio") or {}
        base = cls()
        mapped = {
            "min_audio_seconds": a.get("min_duration", base.min_audio_seconds),
            "max_audio_seconds": a.get("max_duration", base.max_audio_seconds),
            "silence_dbfs": a.get("silence_dbfs", base.silence_dbfs),
            "clip_fraction": a.get("clip_fraction", base.clip_fraction),
            "min_malayalam_ratio": (cfg.get("text") or {}).get(
                "min_malayalam_ratio", base.min_malayalam_ratio
            ),
        }
        overrides = dict((cfg.get("serve") or {}).get("limits") or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown serve.limits key(s): {', '.join(unknown)}")
        return replace(base, **{**mapped, **overrides})


DEFAULT_LIMITS = Limits()

_LIBC: Any = None
M_MMAP_THRESHOLD = -3  # glibc mallopt parameter


def _libc() -> Any:
    global _LIBC
    if _LIBC is None:
        import ctypes
        import ctypes.util

        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            ok = hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim")
            _LIBC = libc if ok else False
        except OSError:
            _LIBC = False
    return _LIBC


def hand_back_large_buffers(threshold: int = 256 * 1024) -> bool:
    """Make glibc map every buffer of ``threshold`` bytes or more on its own (process-wide).

    By default glibc raises that threshold after the first large free, and from then on a
    request's multi-MB body and audio buffers come from per-thread arenas that keep them: the
    service would stay tens of MB above idle after one large request. A fixed threshold returns
    them to the OS when freed. False where this is not glibc.
    """
    libc = _libc()
    return bool(libc and libc.mallopt(M_MMAP_THRESHOLD, int(threshold)))


def give_back_memory() -> bool:
    """Return free heap pages to the OS (glibc ``malloc_trim``); False where unavailable."""
    libc = _libc()
    return bool(libc and libc.malloc_trim(0))


class ClientError(ValueError):
    """A request the service refuses: HTTP status, a stable reason name and one sentence."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message

    def payload(self) -> dict[str, str]:
        return {"detail": self.message, "reason": self.reason}


def sanitize(message: str, max_chars: int = 300) -> str:
    """No memory addresses (they leak layout and break determinism), bounded length."""
    text = _ADDRESS.sub("<object>", str(message)).strip()
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates cannot be sent
    return text if len(text) <= max_chars else text[: max_chars - 3] + "..."


# Content types of a raw audio body, as telephony platforms send them: (encoding, default rate).
# None = a container (WAV, FLAC …) whose header says it all.
AUDIO_TYPES: dict[str, tuple[str | None, int | None]] = {
    "audio/wav": (None, None),
    "audio/wave": (None, None),
    "audio/x-wav": (None, None),
    "audio/flac": (None, None),
    "audio/basic": ("mulaw", 8000),  # RFC 2046: headerless 8-bit mu-law at 8 kHz
    "audio/pcmu": ("mulaw", 8000),  # RFC 3551 names
    "audio/pcma": ("alaw", 8000),
    "audio/l16": ("l16", None),  # big-endian 16-bit; needs rate=
    "application/octet-stream": (None, None),
}


def is_raw_audio(content_type: str | None) -> bool:
    """A raw audio body rather than JSON (audio engines only)."""
    return bool(content_type) and content_type.split(";", 1)[0].strip().lower() in AUDIO_TYPES


def check_headers(headers: Mapping[str, str], audio_engine: bool = False) -> None:
    """JSON, or raw audio for audio engines; never compressed (a zip bomb dodges the byte cap)."""
    ctype = headers.get("content-type")
    raw_ok = audio_engine and is_raw_audio(ctype)
    if ctype is not None and not raw_ok and "json" not in ctype.split(";", 1)[0].lower():
        what = "application/json"
        if audio_engine:
            what += ", or raw audio (audio/wav, audio/basic, audio/pcmu, audio/pcma, audio/l16,"
            what += " application/octet-stream)"
        raise ClientError(415, "unsupported_media_type", f"send the body as {what}.")
    encoding = (headers.get("content-encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise ClientError(
            415, "unsupported_media_type", "compressed bodies are not accepted; send plain JSON."
        )


def _too_large(cap: int, size: str) -> ClientError:
    return ClientError(
        413, "body_too_large", f"the body is {size} bytes; this engine takes at most {cap} bytes."
    )


async def read_body(
    chunks: AsyncIterator[bytes], content_length: str | None, cap: int, timeout_s: float
) -> bytes:
    """The whole body, or 413 as soon as it (declared or counted so far) is over ``cap``.

    Nothing past the cap is kept: the server discards the rest of an over-limit body itself and
    the keep-alive connection stays usable.
    """
    if content_length is not None:
        try:
            declared = int(content_length.strip())
        except ValueError:
            raise ClientError(
                400, "bad_request", "the Content-Length header is not a number."
            ) from None
        if declared > cap:
            raise _too_large(cap, str(declared))
    buf = bytearray()
    stream = aiter(chunks)
    while True:
        try:
            async with asyncio.timeout(timeout_s):  # per pause: a slow link may take longer
                chunk = await anext(stream)
        except StopAsyncIteration:
            return bytes(buf)
        except TimeoutError:
            raise ClientError(
                408, "body_timeout", f"the body stalled for {timeout_s:g} seconds; send it whole."
            ) from None
        if len(buf) + len(chunk) > cap:
            raise _too_large(cap, f"over {cap}")
        buf += chunk


def _no_constants(name: str) -> Any:
    raise ClientError(400, "bad_json", f"the body is not valid JSON ({name} is not a JSON value).")


def _small_int(digits: str) -> int:
    if len(digits) > 40:
        raise ClientError(400, "bad_json", "a number in the body has more than 40 digits.")
    return int(digits)


def parse_json(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """A JSON object from the body, with a sentence for every way it can fail.

    The token count comes first: 4 MB of ``[],[],...`` would otherwise become a million Python
    lists (about 100 MB) for a body whose only legitimate content is one or two strings.
    """
    if not raw.strip():
        raise ClientError(400, "bad_json", "the body is empty; send a JSON object.")
    tokens = raw.count(b"[") + raw.count(b"{") + raw.count(b",")
    if tokens > limits.max_json_tokens:
        raise ClientError(
            400,
            "bad_json",
            f"the body has {tokens} JSON brackets and commas; at most {limits.max_json_tokens}.",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ClientError(
            400, "bad_json", f"the body is not UTF-8 (invalid byte at offset {exc.start})."
        ) from None
    try:
        body = json.loads(text, parse_constant=_no_constants, parse_int=_small_int)
    except ClientError:
        raise
    except json.JSONDecodeError as exc:
        raise ClientError(
            400,
            "bad_json",
            f"the body is not valid JSON ({exc.msg.removesuffix(' at')} at character {exc.pos}).",
        ) from None
    except RecursionError:
        raise ClientError(400, "bad_json", "the body nests arrays or objects too deeply.") from None
    except (ValueError, TypeError, OverflowError):
        raise ClientError(400, "bad_json", "the body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ClientError(
            400, "bad_json", f"the body is JSON {_json_type(body)}; send a JSON object."
        )
    return body


def _json_type(value: Any) -> str:
    """The JSON type of a parsed value, with its article ("a number", "an array")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _bad_chars(value: str, allowed: str = "\t\n\r") -> str | None:
    """Why a string cannot be served (None if fine): surrogates cannot be encoded, controls hide."""
    for ch in value:
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            return f"a lone surrogate (U+{code:04X})"
        if ch not in allowed and unicodedata.category(ch) == "Cc":
            return f"a control character (U+{code:04X})"
    return None


def check_fields(engine: str, body: Mapping[str, Any], payload: str) -> None:
    """The payload field and at most 'id' (audio: 'encoding', 'sample_rate' for headerless
    telephone audio): a misspelt field would otherwise be silently ignored."""
    if body.get(payload) is None:
        shape = "<base64 WAV>" if payload == "audio" else "<non-empty string>"
        raise ClientError(400, "bad_field", f"{engine} expects JSON {{'{payload}': {shape}}}.")
    allowed = (payload, "id", "encoding", "sample_rate") if payload == "audio" else (payload, "id")
    if any(k not in allowed for k in body):
        raise ClientError(
            400, "bad_field", f"unexpected field in the body; send only {', '.join(allowed)}."
        )


def audio_format(
    content_type: str | None, encoding: Any = None, sample_rate: Any = None
) -> tuple[str | None, int | None]:
    """(encoding, sample rate) of telephone audio from the Content-Type and explicit fields."""
    enc, rate = None, None
    if content_type:
        base, _, params = content_type.partition(";")
        enc, rate = AUDIO_TYPES.get(base.strip().lower(), (None, None))
        for part in params.split(";"):
            key, _, value = part.partition("=")
            if key.strip().lower() == "rate" and value.strip():
                rate = _rate(value.strip())
    if encoding not in (None, ""):
        if not isinstance(encoding, str):
            raise ClientError(400, "bad_field", "'encoding' must be a string, e.g. mulaw.")
        enc = encoding
    if sample_rate not in (None, ""):
        rate = _rate(sample_rate)
    return enc, rate


def _rate(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ClientError(400, "bad_sample_rate", "'sample_rate' must be an integer in Hz.")
    text = str(value).strip()
    if not text.isdigit() or len(text) > 7:
        raise ClientError(400, "bad_sample_rate", "'sample_rate' must be an integer in Hz.")
    return int(text)


def telephone_wav(
    data: bytes, encoding: str | None, sample_rate: int | None, limits: Limits = DEFAULT_LIMITS
) -> bytes:
    """Telephone audio (WAV G.711/PCM at any rate, or headerless G.711/PCM with its encoding and
    rate) -> canonical 16 kHz mono PCM16 WAV with the pipeline's checks, or a ClientError."""
    if encoding is None or encoding.strip().lower() in ("wav", "container", ""):
        if sample_rate is not None:
            _same_rate_as_header(data, sample_rate)
        return standard_wav(data, limits)
    try:
        x, sr = telephony.decode_telephony(
            data, encoding, sample_rate, max_duration=limits.checks.max_duration
        )
    except telephony.TelephonyError as exc:
        raise ClientError(400, exc.reason, sanitize(exc.detail)) from None
    if sr > limits.max_sample_rate:
        raise _reject("unsupported_sample_rate", f"{sr} Hz is above {limits.max_sample_rate} Hz")
    return standard_wav(audio.encode_wav(audio.to_pcm16(x), sr), limits)


def _same_rate_as_header(data: bytes, sample_rate: int) -> None:
    """A file that names its own rate must agree with an explicit 'sample_rate': which one is
    true cannot be known, and a wrong guess plays the call too fast or too slow."""
    import soundfile as sf

    try:
        header = int(sf.info(io.BytesIO(data)).samplerate)
    except (sf.SoundFileError, RuntimeError, ValueError, EOFError, OSError):
        return  # not a container: standard_wav names what is wrong with it
    if header != sample_rate:
        raise ClientError(
            400,
            "bad_sample_rate",
            f"'sample_rate' says {sample_rate} Hz but the audio file's header says {header} Hz; "
            "drop 'sample_rate' (a file carries its own) or send audio at that rate.",
        )


def request_id(body_id: Any, header_id: str | None, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """The caller's id (body first, then X-Request-ID) if valid; None means make one up."""
    for where, value in (("'id'", body_id), ("the X-Request-ID header", header_id)):
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ClientError(
                400,
                "bad_field",
                f"{where} must be a string or an integer, not {_json_type(value)}.",
            )
        rid = str(value)
        if len(rid) > limits.max_id_chars:
            raise ClientError(
                400,
                "bad_field",
                f"{where} is {len(rid)} characters; at most {limits.max_id_chars}.",
            )
        bad = _bad_chars(rid, allowed="")
        if bad:
            raise ClientError(400, "bad_field", f"{where} contains {bad}.")
        return rid
    return None


def text_input(engine: str, body: Mapping[str, Any], limits: Limits = DEFAULT_LIMITS) -> str:
    """The 'text' field: a non-empty string of at most ``max_text_chars`` code points."""
    text = body.get("text")
    if text is None:
        raise ClientError(
            400, "bad_field", f"{engine} expects JSON {{'text': <non-empty string>}}."
        )
    if not isinstance(text, str):
        raise ClientError(400, "bad_field", f"'text' must be a string, not {_json_type(text)}.")
    if not text.strip():
        raise ClientError(400, "bad_field", "'text' is empty or only whitespace.")
    if len(text) > limits.max_text_chars:
        raise ClientError(
            413,
            "text_too_long",
            f"'text' is {len(text)} characters; at most {limits.max_text_chars}.",
        )
    bad = _bad_chars(text)
    if bad:
        raise ClientError(400, "bad_field", f"'text' contains {bad}.")
    malayalam_text(engine, text, limits.min_malayalam_ratio)
    return text


def malayalam_text(engine: str, text: str, min_ratio: float) -> None:
    """The pipeline's Malayalam-content check: the models never trained on anything else, so
    English or Manglish gets a 400 naming the reason, never a confident Malayalam label."""
    normalized = text_mod.normalize(text)
    try:
        text_mod.check_text(normalized, min_ratio)
    except text_mod.TextReject as exc:
        if exc.reason == "empty_text":
            why = "'text' has no letters after normalization"
        else:
            share = text_mod.malayalam_ratio(normalized)
            why = f"{share:.0%} of the letters in 'text' are Malayalam, at least {min_ratio:.0%}"
            why += " must be"
            if exc.reason == "romanised_malayalam":
                why += "; it reads as romanised Malayalam (Manglish)"
        raise ClientError(
            400, exc.reason, f"{engine} serves Malayalam text: {why}; send it in Malayalam script."
        ) from None


def audio_bytes(engine: str, body: Mapping[str, Any]) -> bytes:
    """The 'audio' field: base64 (line breaks allowed) of an audio file."""
    b64 = body.get("audio")
    if b64 is None:
        raise ClientError(400, "bad_field", f"{engine} expects JSON {{'audio': <base64 WAV>}}.")
    if not isinstance(b64, str):
        raise ClientError(
            400, "bad_field", f"'audio' must be a base64 string, not {_json_type(b64)}."
        )
    try:
        return base64.b64decode(b64.translate(_WHITESPACE).encode("ascii"), validate=True)
    except (binascii.Error, ValueError):
        raise ClientError(400, "bad_base64", f"{engine}: 'audio' is not valid base64.") from None


def _reject(reason: str, detail: str, status: int = 400) -> ClientError:
    return ClientError(status, reason, sanitize(f"audio rejected ({reason}): {detail}."))


def _audio_message(exc: audio.AudioReject) -> ClientError:
    """The pipeline's reject reason with its detail, minus config names and echoed bytes."""
    detail = _CONFIG_NOTE.sub("", _BYTES_NOTE.sub("", exc.detail))
    cause = exc.__cause__
    if exc.reason == "undecodable" and cause is not None:
        why = getattr(cause, "error_string", None) or str(cause)
        detail = f"not decodable as an audio file ({_libsndfile(why)})"
    return _reject(exc.reason, detail.rstrip("."))


def _libsndfile(why: str) -> str:
    why = sanitize(why).replace("Error opening <object>: ", "")
    return why.rstrip(". ").replace(". ", "; ")


def standard_wav(data: bytes, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Any soundfile-readable bytes -> canonical 16 kHz mono PCM16 WAV, or a ClientError.

    16 kHz mono PCM16 WAV keeps its samples untouched (the models were evaluated on exactly these
    bytes); anything else goes through ``audio.standardize``. Both get the pipeline's checks.
    """
    import soundfile as sf

    checks = limits.checks
    try:
        if not data:
            raise audio.AudioReject("empty_audio", "0 bytes of input (empty file)")
        try:
            with sf.SoundFile(io.BytesIO(data)) as f:
                sr, channels, frames = int(f.samplerate), int(f.channels), int(f.frames)
                fmt = f"{f.format}/{f.subtype}"
        except (sf.SoundFileError, RuntimeError, ValueError, EOFError, OSError) as exc:
            why = getattr(exc, "error_string", None) or str(exc)
            raise _reject(
                "undecodable", f"not decodable as an audio file ({_libsndfile(why)})"
            ) from None
        if sr > limits.max_sample_rate:
            raise _reject(
                "unsupported_sample_rate",
                f"{sr} Hz is above the {limits.max_sample_rate} Hz this service takes",
            )
        if 0 < sr and frames > 0 and frames / sr <= checks.max_duration:
            if frames * channels > limits.max_audio_samples:
                raise _reject(
                    "too_many_samples",
                    f"{frames} frames x {channels} channels is over "
                    f"{limits.max_audio_samples} samples",
                    413,
                )
        if fmt == "WAV/PCM_16" and sr == audio.TARGET_SR and channels == 1:
            x, sr, _ = audio.decode(data, max_duration=checks.max_duration)
            audio.check_source(x, sr, checks)
            pcm = audio.to_pcm16(x[:, 0])  # exact: soundfile read PCM16 as k / 32768
            # judged as the pipeline would judge it (after DC removal), served as it came
            audio.check_standard(audio.to_pcm16(audio.remove_dc(x[:, 0])), checks)
            return audio.encode_wav(pcm)
        return audio.encode_wav(audio.standardize(data, checks).pcm16)
    except ClientError:
        raise
    except audio.AudioReject as exc:
        raise _audio_message(exc) from None
    except MemoryError:
        raise _reject("too_many_samples", "the audio does not fit in memory", 413) from None
    except Exception as exc:  # a decoder fault on hostile bytes is still the caller's input
        log.warning("audio input failed unexpectedly: %s", sanitize(repr(exc)))
        raise _reject("undecodable", "the audio could not be decoded") from None
