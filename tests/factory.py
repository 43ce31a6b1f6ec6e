"""Build tiny Hub-layout datasets and configs inside a test's tmp folder (no espeak, no network)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import soundfile as sf
import yaml

from foundry.settings import Deploy

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = [
    "എന്റെ അക്കൗണ്ട് ബാലൻസ് എത്രയാണ്",
    "വൈദ്യുതി ബിൽ അടയ്ക്കണം",
    "എനിക്ക് ഒരു പരാതി നൽകണം",
    "നമസ്കാരം സുഖമാണോ",
    "ഏജന്റുമായി സംസാരിക്കണം",
    "മൊബൈൽ റീചാർജ് ചെയ്യണം",
    "കാർഡ് ബ്ലോക്ക് ചെയ്യണം",
    "ലോൺ തിരിച്ചടവ് തീയതി എന്നാണ്",
    "ഇന്റർനെറ്റ് കണക്ഷൻ കിട്ടുന്നില്ല",
    "നന്ദി വളരെ ഉപകാരം",
    "ബില്ലിൽ തെറ്റായ തുക കാണുന്നു",
    "പുതിയ സിം കാർഡ് വേണം",
]


def tone(seconds: float, sr: int, freq: float = 220.0, channels: int = 1, amp: float = 0.3):
    t = np.arange(int(seconds * sr)) / sr
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([x] * channels, axis=1) if channels > 1 else x


def encode(x: np.ndarray, sr: int, fmt: str = "WAV", subtype: str | None = None) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, x, sr, format=fmt, subtype=subtype)
    return buf.getvalue()


AUDIO_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


def write_dataset(folder: Path, rows: list[dict[str, Any]], file: str = "data/train-00000.parquet"):
    """Write rows as a Hub-layout repo: README.md with configs header + parquet."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(
        "---\nconfigs:\n- config_name: default\n  data_files: data/*.parquet\n---\ntest data\n"
    )
    fields = []
    for k, v in rows[0].items():
        if isinstance(v, dict):
            fields.append((k, AUDIO_TYPE))
        elif isinstance(v, list):
            fields.append((k, pa.list_(pa.int32())))
        else:
            fields.append((k, pa.string()))
    table = pa.Table.from_pylist(rows, schema=pa.schema(fields))
    out = folder / file
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out)
    return folder


def speech_rows(n: int = 12, speakers: int = 6, sr: int = 22050, seconds: float = 1.0):
    rows = []
    for i in range(n):
        x = tone(seconds + 0.05 * i, sr, freq=200 + 15 * i)
        rows.append(
            {
                "audio": {"bytes": encode(x, sr), "path": f"utt{i:03d}.wav"},
                "sentence": SENTENCES[i % len(SENTENCES)] + f" {i}",
                "spk": f"spk-{i % speakers:02d}",
            }
        )
    return rows


def text_rows(n: int = 24, labels: tuple[str, ...] = ("a", "b", "c")):
    return [
        {"text": SENTENCES[i % len(SENTENCES)] + f" {i}", "intent": labels[i % len(labels)]}
        for i in range(n)
    ]


def make_project(tmp: Path, datasets: dict[str, dict[str, Any]], **overrides: Any) -> Path:
    """A runnable workflow copy in tmp (Snakefile, rules, scripts, config) with these datasets."""
    from workflow import copy_project

    copy_project(tmp, with_demo=False)
    cfg = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    cfg["datasets"] = datasets
    # Test datasets speak in tones, which the speech detector rightly rejects: tests that are
    # not about the quality gates switch it off (tests/silver/test_quality.py covers it).
    cfg["quality"] = {"vad": {"enabled": False}}
    cfg.update(overrides)
    (tmp / "config/config.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True))
    return tmp


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def deploy_settings(engine: str, **top: Any) -> Deploy:
    """``foundry.steps.deploy`` of a validated config with these top-level keys (``deploy``,
    ``seed``, ``traffic_percentage``); one local text dataset makes the config valid."""
    from foundry import config, steps

    one = {"path": ".", "columns": {"text": "t", "label": "l"}, "engines": ["intent"]}
    return steps.deploy(
        config.validate({"datasets": {"d": {**one, "license": "x"}}, **top}), engine
    )
