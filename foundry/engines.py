"""THE engine registry: every fact about an engine lives here and everything else reads it.

Adding an engine is one entry below plus, if it is trained, one trainer module in
``foundry/train/`` with a ``train(ctx)`` function (see README "Extending"). The config schema's
engine enums are checked against this registry by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SAMPLE_RATE = 16000  # every stored and served waveform: 16 kHz mono PCM16


@dataclass(frozen=True)
class Engine:
    """One engine: what data it needs, how it is trained, judged and served."""

    name: str
    modality: str  # "audio" or "text": whether its items carry a waveform
    columns: tuple[str, ...]  # column roles a dataset must map to feed it
    task: str | None = None  # training task; None = gold splits only, no trainer
    trainer: str | None = None  # module in foundry.train with train(ctx)
    metric: str | None = None  # primary test metric (foundry.train.metrics)
    higher_is_better: bool = True
    deployable: bool = False  # served by `foundry serve` and judged by the deploy gate
    gate: str | None = None  # deploy gate kind: GATE_TRANSCRIPT or GATE_CLASSIFIER
    balanced: bool = False  # a classifier whose train split may be capped for class balance
    transcribes: bool = False  # answers with a transcript of the audio (scored by CER/WER)
    regions: bool = False  # labels are Kerala dialect regions, mapped from districts (dialect_map)
    language_id: bool = False  # its datasets' clips pass quality.language (words must be Malayalam)
    resources: dict[str, int] = field(default_factory=dict)  # defaults for cluster profiles

    @property
    def is_audio(self) -> bool:
        return self.modality == "audio"

    @property
    def trained(self) -> bool:
        return self.trainer is not None

    @property
    def classifier(self) -> bool:
        return "label" in self.columns

    @property
    def target(self) -> str | None:
        """The item column its predictions are scored against: the transcript or the label."""
        return "text" if self.transcribes else "label" if self.classifier else None

    def references(self, rows: list[dict[str, Any]]) -> list[str]:
        """What each item's prediction should be (the gold transcript or class)."""
        if self.target is None:
            raise KeyError(f"engine '{self.name}' makes no predictions to score")
        return [r[self.target] for r in rows]


GATE_TRANSCRIPT, GATE_CLASSIFIER = "stt", "classifier"  # the deploy.thresholds keys


_RES = {"threads": 2, "mem_mb": 4000, "runtime": 60, "gpu": 0}

REGISTRY: dict[str, Engine] = {
    e.name: e
    for e in (
        Engine(
            "stt",
            "audio",
            ("audio", "text"),
            task="whisper",  # or ctc with engines.stt.arch: ctc
            trainer="stt",
            metric="cer",
            higher_is_better=False,
            deployable=True,
            gate=GATE_TRANSCRIPT,
            transcribes=True,
            language_id=True,
            resources=dict(_RES),
        ),
        Engine(
            "dialect",
            "audio",
            ("audio", "label"),  # or a district column: columns.dialect
            task="audio_classification",
            trainer="audio_cls",
            metric="macro_f1",
            deployable=True,
            gate=GATE_CLASSIFIER,
            regions=True,
            resources=dict(_RES),
        ),
        Engine(
            "intent",
            "text",
            ("text", "label"),
            task="text_classification",
            trainer="text_cls",
            metric="macro_f1",
            deployable=True,
            gate=GATE_CLASSIFIER,
            balanced=True,
            resources=dict(_RES),
        ),
        Engine(
            "text",
            "text",
            ("text",),
            task="masked_lm",
            trainer="mlm",
            metric="mlm_loss",
            higher_is_better=False,
            resources=dict(_RES),
        ),
        Engine(
            "sentiment",
            "text",
            ("text", "label"),
            task="text_classification",
            trainer="text_cls",
            metric="macro_f1",
            deployable=True,
            gate=GATE_CLASSIFIER,
            balanced=True,
            resources=dict(_RES),
        ),
        Engine("translation", "audio", ("audio", "text", "translation")),
        Engine("tts", "audio", ("audio", "text")),
    )
}

NAMES: tuple[str, ...] = tuple(REGISTRY)
AUDIO: tuple[str, ...] = tuple(n for n, e in REGISTRY.items() if e.is_audio)
TRAINED: tuple[str, ...] = tuple(n for n, e in REGISTRY.items() if e.trained)
DEPLOYABLE: tuple[str, ...] = tuple(n for n, e in REGISTRY.items() if e.deployable)
CLASSIFIERS: tuple[str, ...] = tuple(n for n in TRAINED if REGISTRY[n].classifier)
BALANCED: tuple[str, ...] = tuple(n for n in CLASSIFIERS if REGISTRY[n].balanced)  # by default
# the engine whose transcript a streaming call hands to the text engines
TRANSCRIBER: str = next(n for n in DEPLOYABLE if REGISTRY[n].transcribes)


def get(name: str) -> Engine:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown engine '{name}' (known: {', '.join(NAMES)})") from None


def columns_for(name: str, mapped: dict[str, Any]) -> tuple[str, ...]:
    """Column roles an engine needs from one dataset; dialect may take a district column."""
    if get(name).regions and "dialect" in mapped:  # "dialect" here is the district column
        return ("audio", "dialect")
    return get(name).columns


def task_of(name: str, arch: str | None = None) -> str:
    """The training task; stt is Whisper-style seq2seq unless ``arch: ctc``."""
    engine = get(name)
    if engine.task is None:
        raise KeyError(f"engine '{name}' has no trainer (trainable: {', '.join(TRAINED)})")
    if engine.transcribes and arch == "ctc":
        return "ctc"
    return engine.task
