"""The service's settings: one frozen object built from the validated config (Serve.from_config).

``foundry serve --config`` runs with exactly what the deploy step's shadow replay applies (the
same ``Limits.from_config``), and without ``--config`` with the schema's defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from foundry import config
from foundry.deploy.batching import BatchSettings, threads_from_config
from foundry.deploy.limits import Limits
from foundry.deploy.stream import StreamSettings


@dataclass(frozen=True)
class Serve:
    """Request limits and audio checks, micro-batching, live-call settings, torch threads and
    the stt backend (config ``serve:``, ``audio:``, ``text.min_malayalam_ratio``)."""

    limits: Limits
    batch: BatchSettings
    stream: StreamSettings
    threads: int
    stt_backend: str

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> Serve:
        return cls(
            limits=Limits.from_config(cfg),
            batch=BatchSettings.from_config(cfg),
            stream=StreamSettings.from_config(cfg),
            threads=threads_from_config(cfg),
            stt_backend=str(cfg["serve"]["stt_backend"]),
        )

    @classmethod
    def defaults(cls) -> Serve:
        """No config given: the schema's defaults."""
        return cls.from_config(config.defaults())
