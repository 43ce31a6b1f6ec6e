"""Real-data layouts end to end: the Hub path equals the local path for every layout, the parquet
conversion fallback, `--configfile` exactness, per-dataset options, dialect from districts, and a
dataset with no waveforms failing alone."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from factory import make_project
from hubserver import hub_project, run_snakemake
from repos import (
    LAYOUTS,
    codec_repo,
    jsonl,
    parquet,
    paths_only_repo,
    text,
    wav,
    write_repo,
)
from workflow import copy_project, planned_jobs, snakemake

from foundry import paths

pytestmark = pytest.mark.slow
COMPARED = ("text", "label", "speaker", "audio_sha256", "source_file", "source_row", "source_split")


def silver(project: Path, ds: str) -> tuple[list[tuple], Counter]:
    m = pq.read_table(project / paths.silver_manifest(ds)).to_pylist()
    r = pq.read_table(project / paths.silver_rejects(ds)).to_pylist()
    rows = sorted(tuple(x[c] for c in COMPARED) for x in m)
    return rows, Counter(x["reason"] for x in r)


def test_every_layout_reads_the_same_from_the_hub_and_from_a_folder(hub_server, tmp_path):
    datasets = {}
    for name, (files, spec, _) in LAYOUTS.items():
        hub_server.commit(f"lay/{name}", files, "init")
        local = write_repo(tmp_path / "local" / name, files)
        base = {**spec, "license": "cc0-1.0"}
        datasets[f"{name}_hub"] = {"hub": f"lay/{name}", **base}
        datasets[f"{name}_dir"] = {"path": str(local), **base}
    # nothing readable on main (a loading script): read from a *partial* parquet conversion
    rows = [{"text": text(i), "intent": "ab"[i % 2]} for i in range(8)]
    _, converted = hub_server.add_script_dataset(
        "lay/partial",
        {
            "default/partial-train/0000.parquet": parquet(rows[:6]),
            "default/test/0000.parquet": parquet(rows[6:]),
        },
    )
    datasets["partial"] = {
        "hub": "lay/partial",
        "columns": {"text": "text", "label": "intent"},
        "engines": ["intent"],
        "license": "cc0-1.0",
    }
    project = hub_project(tmp_path / "p", datasets)
    env = hub_server.env(tmp_path / "hf")
    run_snakemake(project, *[paths.silver_manifest(d) for d in sorted(datasets)], env=env)
    for name, (_, _, expected) in LAYOUTS.items():
        via_hub, rejects_hub = silver(project, f"{name}_hub")
        via_dir, rejects_dir = silver(project, f"{name}_dir")
        assert via_hub == via_dir, name
        assert rejects_hub == rejects_dir, name
        assert len(via_hub) + sum(rejects_hub.values()) == sum(expected.values()), name
    assert silver(project, "audiofolder_hub")[1]["missing_audio"] == 2  # absent + ../../etc
    raw = json.loads((project / paths.raw_manifest("partial")).read_text())
    assert raw["source"]["via"] == "refs/convert/parquet"
    assert raw["resolved_revision"] == converted
    assert raw["layout"]["options"] == {"partial": ["partial-train"]}
    splits = Counter(r[-1] for r in silver(project, "partial")[0])
    assert splits == {"train": 6, "test": 2}


def test_configfile_runs_exactly_its_own_datasets(tmp_path):
    project = copy_project(tmp_path / "p")
    other = {
        "datasets": {
            "only_me": {
                "path": "demo/hub/datasets/foundry-demo/indicnlp-ml",
                "columns": {"text": "news"},
                "engines": ["text"],
                "license": "cc0-1.0",
            }
        }
    }
    (project / "other.yaml").write_text(yaml.safe_dump(other))
    jobs = planned_jobs(project, "gold/", "--configfile", "other.yaml")
    assert jobs["ingest"] == 1 and jobs["allocate"] == 1
    run = snakemake(project, "-n", "gold/", "--configfile", "other.yaml")
    assert "only_me" in run.stdout and "demo_" not in run.stdout


def audiofolder_with_districts(n_speakers: int = 18) -> dict[str, bytes]:
    """Speakers from every region, spelled every way, plus two outside Kerala and two unknown."""
    spellings = [
        "Trivandrum",
        "Kollam",
        "ആലപ്പുഴ",
        "Trichur",
        "  ernakulam ",
        "തൃശ്ശൂർ",
        "Calicut",
        "Palghat",
        "കണ്ണൂർ",
    ]
    files: dict[str, bytes] = {}
    meta = []
    for s in range(n_speakers + 4):
        if s < n_speakers:
            district, state = spellings[s % len(spellings)], "Kerala"
        else:
            district, state = ("Chennai", "Tamil Nadu") if s % 2 else ("", "")
        folder = "Valid" if s % 6 == 5 else "Train"
        for k in range(2):
            i = 2 * s + k
            name = f"Data/{folder}/s{s:02d}_{k}.wav"
            files[name] = wav(i, 0.6)
            meta.append(
                {
                    "file_name": name,
                    "sentence": text(i) + f" {s}",
                    "speaker_id": f"spk{s:02d}",
                    "district": district,
                    "state": state,
                }
            )
    files["metadata.jsonl"] = jsonl(meta)
    files["README.md"] = b"---\nlicense: cc0-1.0\n---\n"
    return files


def test_options_real_data_needs(tmp_path):
    src = tmp_path / "src"
    tsv_files, _, _ = LAYOUTS["tsv"]
    rows = []
    labels = ["Positive", "Negative", "Mixed feelings", "Mixed_feelings", "not-malayalam"]
    for i in range(40):
        rows.append(f"{labels[i % 5]}\t{text(i)} {i}")
    write_repo(src / "senti", {"s.tsv": ("label\tquery\n" + "\n".join(rows) + "\n").encode()})
    write_repo(src / "paths", paths_only_repo())
    news = [{"news": f"{text(i)} വാർത്ത {i}", "class": i % 3} for i in range(30)]
    write_repo(
        src / "news",
        {"malayalam-train.jsonl": jsonl(news[:20]), "malayalam-test.jsonl": jsonl(news[20:])},
    )
    write_repo(src / "voices", audiofolder_with_districts())
    datasets = {
        "senti": {
            "path": str(src / "senti"),
            "columns": {"text": "query", "label": "label"},
            "label_map": {"Mixed feelings": "Mixed_feelings", "not-malayalam": None},
            "engines": ["sentiment"],
            "license": "cc0-1.0",
        },
        "paths": {
            "path": str(src / "paths"),
            "columns": {"text": "text"},
            "filter": {"task": "asr"},
            "metadata": ["task"],
            "engines": ["text"],
            "license": "cc0-1.0",
        },
        "news": {
            "path": str(src / "news"),
            "columns": {"text": "news"},
            "engines": ["text"],
            "license": "cc0-1.0",
        },
        "voices": {
            "path": str(src / "voices"),
            "columns": {
                "audio": "audio",
                "text": "sentence",
                "speaker": "speaker_id",
                "dialect": "district",
            },
            "metadata": ["district", "state"],
            "engines": ["stt", "dialect"],
            "license": "cc0-1.0",
        },
    }
    project = make_project(tmp_path / "p", datasets, default_shards=1)
    cfg = yaml.safe_load((project / "config/config.yaml").read_text())
    cfg.pop("dialect_map", None)  # the built-in 14-district map
    cfg["balance"]["engines"] = []
    (project / "config/config.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True))
    snakemake(project, "--cores", "2", "gold/")

    senti = pq.read_table(project / "gold/sentiment/train.parquet").column("label").to_pylist()
    all_labels = set(senti)
    for s in ("dev", "test"):
        all_labels |= set(
            pq.read_table(project / f"gold/sentiment/{s}.parquet")["label"].to_pylist()
        )
    assert all_labels == {"Positive", "Negative", "Mixed_feelings"}
    rej = pq.read_table(project / paths.silver_rejects("senti")).to_pylist()
    assert Counter(r["reason"] for r in rej)["label_dropped"] == 8

    prej = pq.read_table(project / paths.silver_rejects("paths")).to_pylist()
    assert Counter(r["reason"] for r in prej) == {"filtered": 3}
    assert all("task='st'" in r["detail"] for r in prej)
    kept = pq.read_table(project / paths.silver_manifest("paths")).to_pylist()
    assert [json.loads(r["metadata"]) for r in kept] == [{"task": "asr"}] * 3

    # published test rows of `news` never reach train; its train rows fill our train and dev
    where = {}
    for s in paths.SPLITS:
        for r in pq.read_table(project / f"gold/text/{s}.parquet").to_pylist():
            where[r["id"]] = s
    news_silver = pq.read_table(project / paths.silver_manifest("news")).to_pylist()
    upstream_test = [r["id"] for r in news_silver if r["source_split"] == "test"]
    assert len(upstream_test) == 10 and {where[i] for i in upstream_test} == {"test"}
    assert {where[r["id"]] for r in news_silver if r["source_split"] == "train"} <= {
        "train",
        "dev",
    }

    # dialect from district: every spelling mapped, outside Kerala / unknown counted, not guessed
    stats = json.loads((project / "gold/dialect/stats.json").read_text())
    assert stats["no_dialect_region"] == {"(empty) (voices)": 4, "Chennai (voices)": 4}
    per_class = Counter()
    for s in paths.SPLITS:
        per_class.update(stats[s]["per_class"])
    assert per_class == {"Travancore": 12, "Cochin": 12, "Malabar": 12}
    valid = [r for r in pq.read_table(project / paths.silver_manifest("voices")).to_pylist()]
    stt_where = {}
    for s in paths.SPLITS:
        for r in pq.read_table(project / f"gold/stt/{s}.parquet", columns=["id"]).to_pylist():
            stt_where[r["id"]] = s
    assert {stt_where[r["id"]] for r in valid if r["source_split"] == "validation"} == {"dev"}
    # every row keeps its own speaker's district and state, exactly as the source spelled them
    source = audiofolder_with_districts()["metadata.jsonl"].decode().splitlines()
    expected = {
        m["speaker_id"]: {"district": m["district"], "state": m["state"]}
        for m in map(json.loads, source)
    }
    assert len(valid) == len(source) == 44
    for r in valid:
        assert json.loads(r["metadata"]) == expected[r["speaker"]], r["speaker"]


def test_a_dataset_without_waveforms_fails_alone(tmp_path):
    src = tmp_path / "src"
    write_repo(src / "codec", codec_repo())
    write_repo(src / "paths", paths_only_repo())
    news = [{"news": f"{text(i)} {i}", "class": 0} for i in range(20)]
    write_repo(src / "news", {"n.jsonl": jsonl(news)})
    datasets = {
        "codec": {
            "path": str(src / "codec"),
            "columns": {"audio": "nano_layer_1", "text": "text"},
            "engines": ["stt"],
            "license": "cc0-1.0",
        },
        "paths": {
            "path": str(src / "paths"),
            "columns": {"audio": "path", "text": "text"},
            "engines": ["tts"],
            "license": "cc0-1.0",
        },
        "news": {
            "path": str(src / "news"),
            "columns": {"text": "news"},
            "engines": ["text"],
            "license": "cc0-1.0",
        },
    }
    project = make_project(tmp_path / "p", datasets, default_shards=1)
    run = snakemake(project, "--cores", "2", "--keep-going", "gold/", check=False)
    assert run.returncode != 0
    codec_log = (project / paths.log("plan", "codec")).read_text()
    assert "dataset 'codec': column 'nano_layer_1' holds audio-codec tokens" in codec_log
    paths_log = (project / paths.log("plan", "paths")).read_text()
    assert "dataset 'paths': no row has a waveform in column 'path'" in paths_log
    assert "kathbath/ml/" in paths_log and "tts" in paths_log
    assert (project / paths.split_file("text", "train")).exists()  # the rest was built
