"""The telephone channel in training and evaluation of the audio engines (stt, dialect).

An IVR hears 8 kHz G.711 through a telephone line, not the clean 16 kHz of the gold splits.
Training can pass a configured share of its items through the simulated channel (decided per
item id and seed, so reruns and workers agree), and every audio engine is scored twice: on its
clean test split and on the same split through the channel.
"""

from __future__ import annotations

from typing import Any

from foundry import config, engines, phone_channel
from foundry.train import metrics


def _telephone(raw: dict[str, Any]) -> dict[str, Any]:
    """engines.<engine>.telephone over the schema's defaults (probability 0 = off)."""
    return {**config.def_defaults("engine")["telephone"], **(raw.get("telephone") or {})}


def train_channel(raw: dict[str, Any]) -> phone_channel.ChannelSettings | None:
    """The training channel of ``engines.<engine>.telephone``; None when it is off."""
    settings = phone_channel.ChannelSettings.from_config(
        _telephone(raw), "engines.<engine>.telephone"
    )
    return settings if settings.probability > 0 else None


def eval_channel(raw: dict[str, Any]) -> phone_channel.ChannelSettings:
    """The telephone-channel test score: the deploy gate's default channel (every item,
    mu-law, the telephone band, no added noise), seeded as training's."""
    spec = {**config.defaults("deploy", "channel"), "seed": _telephone(raw)["seed"]}
    return phone_channel.ChannelSettings.from_config(spec)


def through_channel(
    rows: list[dict[str, Any]], settings: phone_channel.ChannelSettings
) -> list[dict[str, Any]]:
    """Copies of the rows whose audio went through the channel (where the plan says so)."""
    out = []
    for r in rows:
        if settings.plan(r["id"]) is None:
            out.append(r)
            continue
        wav = phone_channel.channel_wav(r["audio"]["bytes"], r["id"], settings)
        out.append({**r, "audio": {**r["audio"], "bytes": wav}})
    return out


def augmented(engine: str, raw: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict]:
    """The training rows as the trainer sees them: some through the telephone channel."""
    settings = train_channel(raw)
    if settings is None or not engines.get(engine).is_audio:
        return rows
    return through_channel(rows, settings)


def telephone_scores(
    engine: str,
    predictor: Any,
    test: list[dict[str, Any]],
    raw: dict[str, Any],
    labels: list[str] | None = None,
    batch_size: int = 16,
) -> dict[str, Any]:
    """The adapted model's test metrics on the test split through the channel."""
    settings = eval_channel(raw)
    rows = through_channel(test, settings)
    inputs = [{"audio": r["audio"]["bytes"]} for r in rows]
    hyps: list[str] = []
    for i in range(0, len(inputs), batch_size):
        hyps += [str(x) for x in predictor.predict(inputs[i : i + batch_size])]
    refs = engines.get(engine).references(rows)
    return {
        "channel": settings.to_dict(),
        "adapted": metrics.evaluate_predictions(engine, refs, hyps, labels),
    }
