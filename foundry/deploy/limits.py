"""Request limits for ``foundry serve`` and the one shape of a refusal: every request is bounded
and every input problem becomes one 4xx sentence, never a 500, an echo of the body or a memory
address. The checks live beside it: ``body`` (headers, body, JSON, fields) and
``request_audio`` (audio to the model's WAV); ``memory`` hands large buffers back to the OS.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from foundry import audio

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
