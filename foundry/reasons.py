"""THE reject-reason registry: every name an item or a request can be refused with, in one place.

A reason is decided by one module (``source``), may be recorded by a silver step in
``rejects.parquet`` (``step``) and may be the ``reason`` of a service answer (``status``). The
pipeline's audio and text reasons are both: the service refuses a call for the same reason the
pipeline would refuse the clip. Each module's own list (``audio.AUDIO_REJECT_REASONS``, …), the
metrics' closed label set and docs/reasons.md (``python -m foundry.reasons``) come from here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    name: str
    source: str  # the module that decides it
    meaning: str  # one sentence for a person reading rejects.parquet or an answer
    status: int | None = None  # the HTTP status of a service answer with it; None: never served
    step: str | None = None  # the silver step recording it in rejects.parquet; None: never


_STD, _MERGE = "standardize", "merge"
_AUDIO = dict(source="audio", status=400, step=_STD)
_TEXT = dict(source="text", status=400, step=_STD)

REGISTRY: dict[str, Reason] = {
    r.name: r
    for r in (
        # foundry.audio: decoding and the clip checks (pipeline and service alike)
        Reason("undecodable", meaning="not decodable as an audio file", **_AUDIO),
        Reason("empty_audio", meaning="no audio: no bytes or zero frames", **_AUDIO),
        Reason("non_finite", meaning="samples that are NaN or infinite", **_AUDIO),
        Reason("too_short", meaning="shorter than audio.min_duration", **_AUDIO),
        Reason("too_long", meaning="longer than audio.max_duration (and not cut)", **_AUDIO),
        Reason("silence", meaning="RMS level below audio.silence_dbfs", **_AUDIO),
        Reason("clipping", meaning="more than audio.clip_fraction full-scale samples", **_AUDIO),
        Reason("truncated", meaning="decoding stopped short of the declared length", **_AUDIO),
        # foundry.text: a text that cannot be a training target or an NLU input
        Reason(
            "empty_text",
            meaning="nothing left after normalization, or only digits/punctuation",
            **_TEXT,
        ),
        Reason(
            "non_malayalam_text",
            meaning="too few Malayalam letters: English or another language/script",
            **_TEXT,
        ),
        Reason(
            "romanised_malayalam",
            meaning="too few Malayalam letters, but the Latin text reads as Manglish",
            **_TEXT,
        ),
        Reason(
            "garbled_text",
            meaning="holds U+FFFD replacement characters: bytes lost when it was decoded upstream",
            **_TEXT,
        ),
        # foundry.silver.quality
        Reason(
            "no_speech",
            "quality",
            "the voice activity detector found too little speech (noise, music, silence)",
            step=_STD,
        ),
        Reason(
            "speaking_rate",
            "quality",
            "transcript length does not fit the speech duration (wrong or cut transcript)",
            step=_STD,
        ),
        Reason(
            "bad_segment",
            "quality",
            "a timestamped segment of a long recording is outside it, empty or overlapping",
            step=_STD,
        ),
        Reason(
            "wrong_language",
            "quality",
            "Whisper's language identification is confident the clip is another language",
            step=_MERGE,
        ),
        # foundry.silver.shards: the row itself
        Reason("malformed_row", "rows", "a row the file's own format cannot read", step=_STD),
        Reason("filtered", "rows", "excluded by the dataset's row filter", step=_STD),
        Reason("label_dropped", "rows", "label_map maps its label to null", step=_STD),
        Reason("missing_label", "rows", "the mapped label column is empty", step=_STD),
        Reason("missing_audio", "rows", "the mapped audio column is empty", step=_STD),
        Reason("duplicate_audio", "rows", "the same audio as an item kept before it", step=_MERGE),
        # foundry.telephony: request audio as a phone platform sends it
        Reason(
            "unsupported_encoding",
            "telephony",
            "an unknown encoding name, or a container sent as headerless samples",
            400,
        ),
        Reason(
            "bad_sample_rate",
            "telephony",
            "sample_rate missing, out of range, or contradicting the file's header",
            400,
        ),
        Reason("odd_length", "telephony", "16-bit headerless samples in an odd byte count", 400),
        # foundry.deploy.body: the request before any model sees it
        Reason("bad_request", "body", "a malformed request (e.g. Content-Length)", 400),
        Reason("bad_json", "body", "the body is not one JSON object within the limits", 400),
        Reason("bad_field", "body", "a missing, mistyped, empty or unexpected field", 400),
        Reason("bad_base64", "body", "the audio field is not base64", 400),
        Reason("body_too_large", "body", "the body is over the engine's byte cap", 413),
        Reason("body_timeout", "body", "the body stalled for body_timeout_s", 408),
        Reason("text_too_long", "body", "text longer than max_text_chars", 413),
        Reason(
            "unsupported_media_type",
            "body",
            "a Content-Type the engine does not take, or any Content-Encoding",
            415,
        ),
        # foundry.deploy.request_audio: the audio before it is decoded
        Reason("unsupported_sample_rate", "request_audio", "a rate over max_sample_rate", 400),
        Reason("too_many_samples", "request_audio", "more samples than max_audio_samples", 413),
        # foundry.deploy.guard: the connection
        Reason("header_timeout", "guard", "the request head took over header_timeout_s", 408),
        Reason(
            "too_many_connections",
            "guard",
            "the address already holds max_connections_per_ip connections",
            429,
        ),
        # foundry.deploy.callio: why the service closes a call's WebSocket (policy violation)
        Reason("idle_timeout_s", "callio", "the call sent no audio for idle_timeout_s"),
        Reason("max_call_s", "callio", "the call lasted longer than max_call_s"),
        # foundry.deploy.serve: routing and models
        Reason("client_disconnected", "serve", "the caller left before the body arrived", 400),
        Reason("unknown_engine", "serve", "an engine this service does not run", 404),
        Reason("not_found", "serve", "no such path", 404),
        Reason("method_not_allowed", "serve", "this method is not allowed on this path", 405),
        Reason("invalid_request", "serve", "query parameters that are not valid", 422),
        Reason("error", "serve", "another HTTP error of the framework", 400),
        Reason("no_model", "serve", "the engine has no loaded champion", 503),
        Reason("model_error", "serve", "the model failed on this request (logged)", 500),
        Reason("internal", "serve", "an unexpected fault (logged)", 500),
    )
}

# The service answers these with their status; every other value of a metric's reason label is
# "other" (a bug, never caller input).
SERVED: frozenset[str] = frozenset(n for n, r in REGISTRY.items() if r.status is not None)
RECORDED: frozenset[str] = frozenset(n for n, r in REGISTRY.items() if r.step is not None)


def names(source: str) -> tuple[str, ...]:
    """The reasons one module decides, in registry order (its ``Reject`` subclass's REASONS)."""
    found = tuple(n for n, r in REGISTRY.items() if r.source == source)
    if not found:
        raise KeyError(f"no reject reasons from {source!r}")
    return found


def meanings(source: str) -> dict[str, str]:
    return {n: REGISTRY[n].meaning for n in names(source)}


def recorded_by(step: str) -> tuple[str, ...]:
    return tuple(n for n, r in REGISTRY.items() if r.step == step)


def table() -> str:
    """docs/reasons.md: the registry as a person reads it."""
    lines = [
        "# Reject reasons",
        "",
        "Generated from `foundry/reasons.py` by `python -m foundry.reasons > docs/reasons.md`"
        " (a test keeps them equal).",
        "`silver step`: the step that records it in `silver/<dataset>/rejects.parquet`;"
        " `HTTP`: the status of a service answer carrying it (`reason` field, metrics label).",
        "",
        "| reason | decided by | silver step | HTTP | meaning |",
        "|---|---|---|---|---|",
    ]
    for r in REGISTRY.values():
        step, status = r.step or "", r.status or ""
        lines.append(f"| `{r.name}` | {r.source} | {step} | {status} | {r.meaning} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(table())
