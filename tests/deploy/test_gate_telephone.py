"""The deploy gate judges audio engines on the call the IVR hears: the test split through the
telephone channel (configurable), with the clean-audio verdict kept beside it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import fakes
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from factory import deploy_settings

from foundry import audio, phone_channel
from foundry.deploy import models, pipeline, registry

LABELS = ["Cochin", "Malabar", "Travancore"]


@pytest.fixture(autouse=True)
def fake_models(monkeypatch):
    monkeypatch.setattr(models, "LOADER", fakes.fake_loader)


def clip(i: int) -> bytes:
    t = np.arange(16000) / 16000
    x = 0.3 * np.sin(2 * np.pi * (200 + 37 * i) * t) + 0.1 * np.sin(2 * np.pi * 5200 * t)
    return audio.encode_wav(audio.to_pcm16(x.astype(np.float32)))


def split(path: Path, n: int, prefix: str) -> list[dict]:
    rows = [
        {
            "id": f"{prefix}{i:03d}",
            "text": "",
            "label": LABELS[i % 3],
            "audio": {"bytes": clip(i + (0 if prefix == "t" else 500)), "path": "x.wav"},
        }
        for i in range(n)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    return rows


def adapter(
    folder: Path, rows: list[dict], hears: str, channel: phone_channel.ChannelSettings
) -> Path:
    """A dialect model that is right on the audio it was built for: clean, or phone."""
    answers = {}
    for r in rows:
        wav = r["audio"]["bytes"]
        if hears == "phone":
            wav = phone_channel.channel_wav(wav, r["id"], channel)
        answers[hashlib.sha256(wav).hexdigest()] = r["label"]
    folder.mkdir(parents=True)
    spec = {"answers": answers, "default": "Cochin", "salt": hears}
    (folder / "answers.json").write_text(json.dumps(spec, sort_keys=True))
    (folder / "adapter_model.safetensors").write_bytes(hashlib.sha256(hears.encode()).digest())
    return folder


def test_audio_candidates_are_judged_on_the_telephone_channel(tmp_path):
    test = split(tmp_path / "splits/dialect/test.parquet", 45, "t")
    split(tmp_path / "splits/dialect/dev.parquet", 30, "d")
    cfg = {"seed": 1234, "traffic_percentage": 50, "deploy": {"min_test_samples": 10}}
    opts = deploy_settings("dialect", **cfg)
    assert opts.gate_channel == "telephone"
    channel = phone_channel.ChannelSettings.from_config(opts.channel)
    phone_champ = adapter(tmp_path / "phone", test, "phone", channel)
    registry.promote(tmp_path, registry.register(tmp_path, "dialect", phone_champ), ["first"])
    # a candidate that is perfect on clean audio but lost on the phone
    clean_cand = adapter(tmp_path / "clean", test, "clean", channel)
    test_path = tmp_path / "splits/dialect/test.parquet"
    dev_path = tmp_path / "splits/dialect/dev.parquet"
    d = pipeline.deploy_engine(
        tmp_path, "dialect", opts, clean_cand, test_path, dev_path, labels=LABELS
    )
    assert d["decision"] == "rollback" and d["checks"]["offline_gate"] is False
    cand_id = registry.register(tmp_path, "dialect", clean_cand).id
    v = json.loads((tmp_path / f"deploy/dialect/candidates/{cand_id}/validation.json").read_text())
    assert v["channel"] == "telephone"
    assert v["candidate_metrics"]["accuracy"] < 0.5 < v["clean"]["candidate_metrics"]["accuracy"]
    assert v["clean"]["passed"] is True  # on clean audio it would have won

    cfg["deploy"]["engines"] = {"dialect": {"gate_channel": "clean"}}
    clean_opts = deploy_settings("dialect", **cfg)
    assert (
        clean_opts.gate_channel == "clean"
        and deploy_settings("intent", **cfg).gate_channel == "clean"
    )
