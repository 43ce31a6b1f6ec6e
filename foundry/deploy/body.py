"""The request before any model sees it: headers, the body counted while it streams in, JSON
parsed within the limits, and every field checked; each problem is one 4xx sentence.

- The body is counted while it streams in (and a declared Content-Length over the cap is refused
  before a byte is read), so an oversized request costs neither time nor memory.
- JSON is parsed here, not by the framework: a parse of at most the cap, with one sentence per
  failure (not UTF-8, not JSON, nesting too deep, NaN, oversized numbers, wrong types).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import unicodedata
from collections.abc import AsyncIterator, Mapping
from typing import Any

from foundry import text as text_mod
from foundry.deploy.limits import _WHITESPACE, DEFAULT_LIMITS, ClientError, Limits
from foundry.deploy.request_audio import is_raw_audio


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
        elif exc.reason == "garbled_text":
            why = "'text' holds U+FFFD replacement characters (bytes lost in decoding)"
        else:
            share = text_mod.malayalam_ratio(normalized)
            why = f"{share:.0%} of the letters in 'text' are Malayalam, at least {min_ratio:.0%}"
            why += " must be"
            if exc.reason == "romanised_malayalam":
                why += "; it reads as romanised Malayalam (Manglish)"
        fix = "send it as UTF-8" if exc.reason == "garbled_text" else "send it in Malayalam script"
        raise ClientError(
            400, exc.reason, f"{engine} serves Malayalam text: {why}; {fix}."
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
