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
from foundry.config import defaults

log = logging.getLogger("foundry.deploy.serve")

_ADDRESS = re.compile(r"<[^<>]*? at 0x[0-9a-fA-F]+>|\b0x[0-9a-fA-F]{8,}\b")
_CONFIG_NOTE = re.compile(r" \(config [\w.]+\)")
_BYTES_NOTE = re.compile(r" \(\d+ bytes; first bytes: 0x[0-9a-fA-F]*\)")
_WHITESPACE = str.maketrans("", "", " \t\r\n")
_SERVE = defaults("serve", "limits")
_TEXT = defaults("text")


@dataclass(frozen=True)
class Limits:
    """Per-request bounds; the defaults fit an IVR (one utterance, at most 30 s of audio).

    The audio quality fields mirror the pipeline's ``audio.*`` config keys (see ``from_config``)
    so that serving refuses exactly what training never saw.
    """

    # the defaults are the schema's serve.limits (the numbers and their meaning: config/schema.json)
    max_body_bytes_text: int = _SERVE["max_body_bytes_text"]  # JSON body for text engines
    max_body_bytes_audio: int = _SERVE["max_body_bytes_audio"]  # JSON body with base64 audio
    max_text_chars: int = _SERVE["max_text_chars"]  # code points of 'text'
    max_id_chars: int = _SERVE["max_id_chars"]  # request id, from the body or X-Request-ID
    max_json_tokens: int = _SERVE["max_json_tokens"]  # '[', '{' and ',' bytes in the body
    max_audio_samples: int = _SERVE["max_audio_samples"]  # frames x channels the header announces
    max_sample_rate: int = _SERVE["max_sample_rate"]  # Hz; soxr cost grows with the rate ratio
    body_timeout_s: float = _SERVE["body_timeout_s"]  # longest pause while the body streams in
    header_timeout_s: float = _SERVE["header_timeout_s"]  # request line + headers (guard.py)
    max_connections_per_ip: int = _SERVE["max_connections_per_ip"]  # per client address
    min_audio_seconds: float = audio.DEFAULT_CHECKS.min_duration  # audio.min_duration
    max_audio_seconds: float = audio.DEFAULT_CHECKS.max_duration  # audio.max_duration
    silence_dbfs: float = audio.DEFAULT_CHECKS.silence_dbfs  # audio.silence_dbfs
    clip_fraction: float = audio.DEFAULT_CHECKS.clip_fraction  # audio.clip_fraction
    # text.min_malayalam_ratio: what training text had to meet
    min_malayalam_ratio: float = _TEXT["min_malayalam_ratio"]

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
        """Audio checks from the pipeline's ``audio.*`` keys; any field from ``serve.limits``.
        ``cfg``: a validated config, or the part of one the deploy settings carry (the
        request_limits of foundry.settings.Deploy)."""
        a, base = cfg["audio"], cls()
        mapped = {
            "min_audio_seconds": a["min_duration"],
            "max_audio_seconds": a["max_duration"],
            "silence_dbfs": a["silence_dbfs"],
            "clip_fraction": a["clip_fraction"],
            "min_malayalam_ratio": cfg["text"]["min_malayalam_ratio"],
        }
        overrides = dict(cfg["serve"]["limits"])
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
