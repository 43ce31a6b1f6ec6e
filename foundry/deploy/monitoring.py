"""Prometheus metrics for ``foundry serve``: what an operations team scrapes, graphs and alerts on.

Why it is built this way:
- One ``CollectorRegistry`` per service, never the process-global one: tests and several services
  in one process each count only their own traffic.
- Every label value comes from a closed set: the engines the service runs, candidate ids from
  the registry, status classes and the reason names of ``limits``/``audio``/``serve``. Anything
  else becomes ``none`` or ``other``, so no caller can create a series (or leak input into one).
- Shadow agreement is measured on the shadow thread, after the caller already has its answer.
- A scrape reads counters and a few references; it never calls a model or takes a model lock.
"""

from __future__ import annotations

import io
import re
import wave
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, InfoMetricFamily, Metric

from foundry import engines, reasons
from foundry.text import normalize
from foundry.train.metrics import edit_distance

NONE = "none"  # no engine named / no model reached
OTHER = "other"  # a reason or event outside the known set (a bug, never user input)

# Every reason name an answer can carry (foundry/reasons.py): a closed label set.
REASONS: frozenset[str] = reasons.SERVED
SWAP_EVENTS = frozenset({"promote", "rollback"})
ROLES = ("production", "shadow")

# An IVR caller hears silence while we work: most answers should be well under a second, STT on
# a 30 s clip may take a few seconds; anything past 10 s is an outage from the caller's side.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)
# CER of the shadow's transcript against production's: 0 is the same text after normalization.
CER_BUCKETS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)

_MODEL_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass
class Trace:
    """What one request touched, filled in on the worker thread and read when it is answered."""

    model: str | None = None  # candidate id of the champion that answered (or failed)
    audio_seconds: float = 0.0  # duration of the standardized audio, when the engine takes audio


@dataclass(frozen=True)
class Serving:
    """One engine's models right now (read at scrape time, so it is never stale)."""

    engine: str
    production: tuple[str, str] | None  # (candidate id, sha256)
    shadow: tuple[str, str] | None
    pending_shadow: int


def status_class(status: int) -> str:
    """200 -> "2xx": the status label stays bounded whatever the service answers."""
    return f"{int(status) // 100}xx"


def wav_seconds(data: bytes) -> float:
    """Seconds in a standardized WAV, from its header alone (0.0 if it cannot be read)."""
    try:
        with wave.open(io.BytesIO(data)) as w:
            rate = w.getframerate()
            return w.getnframes() / rate if rate > 0 else 0.0
    except (wave.Error, EOFError, ValueError):
        return 0.0


def answer_cer(production: str, shadow: str) -> float:
    """Code-point CER of the shadow's answer against production's, after ``normalize``.

    Like the shadow report's agreement (which is ``1 - min(1, CER)``), the production answer is
    the reference; an empty one counts as one character so the value stays finite.
    """
    ref, hyp = normalize(production), normalize(shadow)
    return edit_distance(ref, hyp) / max(len(ref), 1)


class _ServingCollector:
    """Current production/shadow model per engine and the shadow queue depth, read per scrape."""

    def __init__(self, serving: Callable[[], Iterable[Serving]]) -> None:
        self.serving = serving

    def describe(self) -> list[Metric]:
        return []  # names are fixed and unique; skip the registration-time collect

    def collect(self) -> Iterator[Metric]:
        info = InfoMetricFamily(
            "foundry_model",
            "Model currently loaded per engine and role (production or shadow).",
            labels=("engine", "role"),
        )
        depth = GaugeMetricFamily(
            "foundry_shadow_queue_depth",
            "Mirrored requests waiting for (or running on) the shadow candidate.",
            labels=("engine",),
        )
        for s in self.serving():
            for role, ident in (("production", s.production), ("shadow", s.shadow)):
                if ident is not None:
                    info.add_metric([s.engine, role], {"model": ident[0], "sha256": ident[1]})
            depth.add_metric([s.engine], float(s.pending_shadow))
        yield info
        yield depth


@dataclass(frozen=True)
class MetricSpec:
    """One Prometheus series family of the service: the one place its name, help and labels live."""

    attr: str  # the Metrics attribute
    kind: type
    name: str
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()


_EM = ("engine", "model")
METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "requests",
        Counter,
        "foundry_requests",
        "Answered requests by engine, serving model and status class.",
        ("engine", "model", "status"),
    ),
    MetricSpec(
        "errors",
        Counter,
        "foundry_request_errors",
        "4xx/5xx answers by engine, status class and reason name.",
        ("engine", "status", "reason"),
    ),
    MetricSpec(
        "latency",
        Histogram,
        "foundry_request_duration_seconds",
        "Time in the service (body read, checks, model) for 2xx answers.",
        _EM,
        LATENCY_BUCKETS,
    ),
    MetricSpec(
        "inference",
        Histogram,
        "foundry_inference_duration_seconds",
        "Time in one model call (including its lock), production or shadow.",
        ("engine", "model", "role"),
        LATENCY_BUCKETS,
    ),
    MetricSpec(
        "batch_size",
        Histogram,
        "foundry_batch_size",
        "Requests answered by one production model call (micro-batching).",
        _EM,
        (1, 2, 3, 4, 6, 8, 12, 16, 32),
    ),
    MetricSpec(
        "audio",
        Counter,
        "foundry_audio_seconds",
        "Seconds of (standardized) audio in 2xx answers.",
        ("engine",),
    ),
    MetricSpec(
        "mirrored",
        Counter,
        "foundry_shadow_mirrored",
        "Requests the deterministic traffic split sent to the shadow candidate.",
        _EM,
    ),
    MetricSpec(
        "dropped",
        Counter,
        "foundry_shadow_dropped",
        "Mirrored requests dropped because the shadow queue was full.",
        _EM,
    ),
    MetricSpec(
        "failed",
        Counter,
        "foundry_shadow_failed",
        "Mirrored requests on which the shadow candidate raised.",
        _EM,
    ),
    MetricSpec(
        "agreement",
        Counter,
        "foundry_shadow_agreement",
        "Classifier engines: shadow label equal to production's (agree) or not (disagree).",
        ("engine", "production", "shadow", "result"),
    ),
    MetricSpec(
        "cer",
        Histogram,
        "foundry_shadow_cer",
        "Text engines (stt): CER of the shadow's answer against production's.",
        ("engine", "production", "shadow"),
        CER_BUCKETS,
    ),
    MetricSpec(
        "swaps",
        Counter,
        "foundry_model_swaps",
        "Production model replaced by the watcher (event from production.json).",
        ("engine", "event"),
    ),
    MetricSpec(
        "load_errors",
        Counter,
        "foundry_model_load_errors",
        "production.json/shadow.json versions that could not be loaded.",
        ("engine", "role"),
    ),
    MetricSpec(
        "streams",
        Gauge,
        "foundry_active_streams",
        "Live calls streaming now (Twilio Media Streams and AudioSocket).",
    ),
    MetricSpec(
        "stream_latency",
        Histogram,
        "foundry_stream_final_seconds",
        "From an utterance's endpoint to its final answer (stt and the other engines).",
        (),
        LATENCY_BUCKETS,
    ),
)


class Metrics:
    """All of one service's metrics; every method is cheap, thread-safe and never raises on labels.

    ``engine_names`` is the closed set of engine labels; ``serving`` (optional) reports the
    current models at scrape time.
    """

    def __init__(
        self,
        engine_names: Iterable[str],
        serving: Callable[[], Iterable[Serving]] | None = None,
    ) -> None:
        self.engines = frozenset(engine_names)
        self.registry = CollectorRegistry(auto_describe=False)
        reg = self.registry
        for m in METRICS:
            extra = {"buckets": m.buckets} if m.buckets else {}
            setattr(self, m.attr, m.kind(m.name, m.help, m.labels, registry=reg, **extra))
        if serving is not None:
            reg.register(_ServingCollector(serving))

    def stream_opened(self) -> None:
        self.streams.inc()

    def stream_closed(self) -> None:
        self.streams.dec()

    def stream_final(self, seconds: float) -> None:
        self.stream_latency.observe(seconds)

    # --- label guards: closed sets only ---------------------------------------------------
    def engine_label(self, engine: str | None) -> str:
        return engine if engine in self.engines else NONE

    @staticmethod
    def model_label(model: str | None) -> str:
        if not model:
            return NONE
        return model if _MODEL_ID.fullmatch(model) else OTHER

    @staticmethod
    def reason_label(reason: str | None) -> str:
        return reason if reason in REASONS else OTHER

    # --- the request path -----------------------------------------------------------------
    def request(
        self,
        engine: str | None,
        status: int,
        *,
        model: str | None = None,
        reason: str | None = None,
        seconds: float | None = None,
        audio_seconds: float = 0.0,
    ) -> None:
        """Count one answer; a 2xx also feeds latency and audio seconds, a 4xx/5xx its reason."""
        e, m, cls = self.engine_label(engine), self.model_label(model), status_class(status)
        self.requests.labels(e, m, cls).inc()
        if status >= 400:
            self.errors.labels(e, cls, self.reason_label(reason)).inc()
        elif 200 <= status < 300:
            if seconds is not None and m != NONE:
                self.latency.labels(e, m).observe(seconds)
            if audio_seconds > 0:
                self.audio.labels(e).inc(audio_seconds)

    def model_call(self, engine: str, model: str, role: str, seconds: float) -> None:
        """One successful model call (role: production on the request path, or shadow)."""
        role = role if role in ROLES else OTHER
        self.inference.labels(self.engine_label(engine), self.model_label(model), role).observe(
            seconds
        )

    def batch(self, engine: str, model: str, size: int) -> None:
        """One batched production call of ``size`` requests."""
        self.batch_size.labels(self.engine_label(engine), self.model_label(model)).observe(size)

    # --- the shadow (request path for mirrored/dropped, shadow thread for the rest) ---------
    def shadow_mirrored(self, engine: str, model: str) -> None:
        self.mirrored.labels(self.engine_label(engine), self.model_label(model)).inc()

    def shadow_dropped(self, engine: str, model: str) -> None:
        self.dropped.labels(self.engine_label(engine), self.model_label(model)).inc()

    def shadow_failed(self, engine: str, model: str) -> None:
        self.failed.labels(self.engine_label(engine), self.model_label(model)).inc()

    def shadow_compare(
        self, engine: str, production: str, shadow: str, prod_out: str, shadow_out: str
    ) -> None:
        """Agreement of one mirrored pair: same label for classifiers, CER for text answers."""
        labels = (self.engine_label(engine), self.model_label(production), self.model_label(shadow))
        spec = engines.REGISTRY.get(engine)
        if spec is None or spec.classifier:
            result = "agree" if prod_out == shadow_out else "disagree"
            self.agreement.labels(*labels, result).inc()
        else:
            self.cer.labels(*labels).observe(answer_cer(prod_out, shadow_out))

    # --- the watcher ----------------------------------------------------------------------
    def swap(self, engine: str, event: object) -> None:
        """The watcher replaced production (the first load at start is not a swap)."""
        label = event if isinstance(event, str) and event in SWAP_EVENTS else OTHER
        self.swaps.labels(self.engine_label(engine), label).inc()

    def load_error(self, engine: str, role: str) -> None:
        self.load_errors.labels(self.engine_label(engine), role if role in ROLES else OTHER).inc()

    # --- the scrape -----------------------------------------------------------------------
    def exposition(self, accept: str | None = None) -> tuple[bytes, str]:
        """(body, content type): Prometheus text, or OpenMetrics when the scraper asks for it."""
        try:
            encoder, content_type = choose_encoder(accept or "")
        except (TypeError, ValueError):  # e.g. "version=1.x": prometheus_client cannot parse it
            encoder, content_type = choose_encoder("")  # the plain text every scraper reads
        return encoder(self.registry), content_type
