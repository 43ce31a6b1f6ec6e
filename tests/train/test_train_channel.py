"""Telephone channel in training data and in the second test score (foundry.train.channel)."""

from __future__ import annotations

import numpy as np

from foundry import audio, phone_channel
from foundry.silver import bandwidth
from foundry.train import channel


def rows(n: int) -> list[dict]:
    t = np.arange(8000) / 16000
    out = []
    for i in range(n):
        x = (0.3 * np.sin(2 * np.pi * (300 + 20 * i) * t)).astype(np.float32)
        wav = audio.encode_wav(audio.to_pcm16(x))
        out.append({"id": f"it{i:03d}", "text": "ഒന്ന്", "label": "a", "audio": {"bytes": wav}})
    return out


def test_training_channel_is_off_by_default_and_deterministic_when_on():
    data = rows(40)
    assert channel.augmented("stt", {}, data) is data
    raw = {"telephone": {"probability": 0.5, "seed": 7}}
    first = channel.augmented("stt", raw, data)
    again = channel.augmented("stt", raw, data)
    changed = [a["audio"]["bytes"] != b["audio"]["bytes"] for a, b in zip(first, data, strict=True)]
    assert [r["audio"]["bytes"] for r in first] == [r["audio"]["bytes"] for r in again]
    plan = phone_channel.ChannelSettings(probability=0.5, codec="random", seed=7)
    assert changed == [plan.plan(r["id"]) is not None for r in data]
    assert 10 < sum(changed) < 30
    assert channel.augmented("intent", raw, data) is data  # text engines: never


def test_telephone_score_runs_the_model_on_channel_audio():
    data = rows(6)
    seen = []

    class Model:
        def predict(self, inputs):
            seen.extend(x["audio"] for x in inputs)
            return ["a"] * len(inputs)

    out = channel.telephone_scores("dialect", Model(), data, {}, ["a", "b"])
    assert out["channel"]["probability"] == 1.0 and out["channel"]["codec"] == "mulaw"
    assert out["adapted"]["accuracy"] == 1.0
    assert all(s != r["audio"]["bytes"] for s, r in zip(seen, data, strict=True))
    pcm, sr = audio.read_wav(seen[0])
    assert bandwidth.is_narrowband(pcm.astype(np.float32) / 32768, sr)  # band-limited
