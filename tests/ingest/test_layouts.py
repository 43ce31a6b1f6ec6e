"""Every common Hub layout ingests from a local folder and reads back as items (no Snakemake)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from repos import LAYOUTS, codec_repo, encode, paths_only_repo, tar, tone, wav, write_repo

from foundry import paths
from foundry.ingest import hub, layouts
from foundry.ingest.sources import DatasetError, iter_items


def ingest(tmp: Path, name: str, files: dict[str, bytes], spec: dict) -> dict:
    src = write_repo(tmp / "src" / name, files)
    spec = {**spec, "path": str(src)}
    manifest = hub.ingest_local(name, spec, tmp / paths.raw_dir(name))
    (tmp / paths.raw_manifest(name)).write_text(json.dumps(manifest))
    return manifest


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_each_layout_yields_its_items_with_upstream_splits(tmp_path, name):
    files, spec, expected = LAYOUTS[name]
    manifest = ingest(tmp_path, name, files, spec)
    items = list(iter_items(name, spec["columns"], manifest, tmp_path))
    assert Counter(it.split or "" for it in items) == expected
    assert all(it.text for it in items)
    assert len({it.id for it in items}) == len(items)
    if "audio" in spec["columns"]:
        have = [it for it in items if it.audio]
        assert have and all(it.audio[:4] in (b"RIFF", b"fLaC") for it in have)


def test_audiofolder_rows_never_read_outside_the_repo(tmp_path):
    files, spec, _ = LAYOUTS["audiofolder"]
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_bytes(wav(1))  # what the escaping file_name aims at
    manifest = ingest(tmp_path, "af", files, spec)
    assert manifest["layout"]["builder"] == "audiofolder"
    assert manifest["layout"]["metadata"] == ["metadata.jsonl"]
    items = {it.source_row: it for it in iter_items("af", spec["columns"], manifest, tmp_path)}
    assert items[0].audio == files["Data/Train/iv_000.wav"]
    assert items[6].audio is None  # listed in metadata, file absent
    assert items[7].audio is None  # ../../etc/passwd: refused
    assert items[4].split == "validation"  # Data/Valid, capitalised, as the Hub shows it


def test_shard_selection_reads_only_the_asked_rows(tmp_path):
    for name in ("tsv", "webdataset", "audiofolder", "massive"):
        files, spec, _ = LAYOUTS[name]
        manifest = ingest(tmp_path, name, files, spec)
        everything = list(iter_items(name, spec["columns"], manifest, tmp_path))
        pick = everything[1]
        got = list(
            iter_items(
                name,
                spec["columns"],
                manifest,
                tmp_path,
                rows={pick.source_file: {pick.source_row}},
            )
        )
        assert got == [pick]


def test_a_corrupt_webdataset_sidecar_is_a_malformed_row_naming_it(tmp_path):
    """A transcript that is not UTF-8 is never 'repaired' into silver with U+FFFD, and a JSON
    sidecar that does not parse never silently loses its fields: each is one reject."""
    members = {}
    for i, (txt, meta) in enumerate(
        [
            ("ശരി".encode(), b'{"speaker": "s0"}'),
            ("ശരി".encode()[:-1], b'{"speaker": "s1"}'),  # cut inside a character
            ("ശരി".encode(), b"{bad"),
        ]
    ):
        members[f"utt{i}.flac"] = encode(tone(0.7, 16000, 300), 16000, "FLAC")
        members[f"utt{i}.txt"] = txt
        members[f"utt{i}.json"] = meta
    files = {"README.md": LAYOUTS["webdataset"][0]["README.md"], "train-0000.tar": tar(members)}
    spec = {"columns": {"audio": "flac", "text": "txt", "speaker": "speaker"}, "engines": ["stt"]}
    manifest = ingest(tmp_path, "wds", files, spec)
    items = list(iter_items("wds", spec["columns"], manifest, tmp_path))
    assert [it.malformed for it in items] == [
        None,
        "train-0000.tar: utt1.txt is not UTF-8 (byte 6: unexpected end of data)",
        "train-0000.tar: utt2.json is not JSON (Expecting property name enclosed in double quotes)",
    ]
    assert items[0].text == "ശരി" and items[0].speaker == "s0"


def test_tsv_keeps_tabs_and_quotes_inside_fields(tmp_path):
    files, spec, _ = LAYOUTS["tsv"]
    manifest = ingest(tmp_path, "t", files, spec)
    items = list(iter_items("t", spec["columns"], manifest, tmp_path))
    assert items[3].text == 'ഇത് "നല്ല" സേവനം, tab\tinside'
    assert items[2].label == "Mixed feelings"


def test_named_config_is_selected_and_unknown_config_is_named(tmp_path):
    files, spec, _ = LAYOUTS["massive"]
    manifest = ingest(tmp_path, "m", files, spec)
    assert manifest["layout"]["config"] == "ml"
    assert all("/ml.json.gz" in f for fs in manifest["layout"]["splits"].values() for f in fs)
    with pytest.raises(hub.IngestError, match=r"config 'xx'.*it has: en, ml.*datasets\.m2\.config"):
        ingest(tmp_path, "m2", files, {**spec, "config": "xx"})
    with pytest.raises(hub.IngestError, match=r"several configs \(en, ml\).*datasets\.m3\.config"):
        ingest(tmp_path, "m3", files, {k: v for k, v in spec.items() if k != "config"})


def test_wrong_column_names_what_the_layout_has(tmp_path):
    files, spec, _ = LAYOUTS["jsonl"]
    manifest = ingest(tmp_path, "j", files, spec)
    with pytest.raises(DatasetError, match=r"column 'text'.*columns: class, news.*columns\.text"):
        list(iter_items("j", {"text": "text"}, manifest, tmp_path))


def test_codec_tokens_and_foreign_paths_are_refused_as_audio(tmp_path):
    manifest = ingest(tmp_path, "c", codec_repo(), {"columns": {"text": "text"}})
    with pytest.raises(DatasetError, match=r"dataset 'c'.*codec tokens.*not waveforms"):
        list(iter_items("c", {"audio": "nano_layer_1", "text": "text"}, manifest, tmp_path))
    manifest = ingest(tmp_path, "p", paths_only_repo(), {"columns": {"text": "text"}})
    items = list(iter_items("p", {"audio": "path", "text": "text"}, manifest, tmp_path))
    assert items and all(it.audio is None for it in items)


def test_nothing_readable_names_the_files_and_the_key(tmp_path):
    with pytest.raises(hub.IngestError, match=r"dataset 's'.*nothing readable.*s\.py.*data_files"):
        ingest(tmp_path, "s", {"README.md": b"x", "s.py": b"# loader"}, {"columns": {}})


def test_parquet_conversion_layout_records_partial_splits():
    lay = layouts.parquet_branch_layout(
        "x", ["default/partial-train/0000.parquet", "default/test/0000.parquet"], None
    )
    assert lay.splits == {
        "test": ["default/test/0000.parquet"],
        "train": ["default/partial-train/0000.parquet"],
    }
    assert lay.options == {"partial": ["partial-train"]}
    with pytest.raises(layouts.LayoutError, match="configs en, ml"):
        layouts.parquet_branch_layout("x", ["ml/train/0.parquet", "en/train/0.parquet"], None)


def test_split_names_map_to_ours():
    assert [layouts.our_split(s) for s in ("train", "Valid", "validation", "dev", "test")] == [
        "train",
        "dev",
        "dev",
        "dev",
        "test",
    ]
    assert layouts.our_split("kathbath") is None
    assert layouts.our_split("kathbath", {"kathbath": "test"}) == "test"


@pytest.mark.parametrize("name", ["massive", "jsonl"])
def test_remembered_file_selection_equals_datasets_own(tmp_path, name):
    """The layout cache (read back at every DAG build) answers exactly what `datasets` does."""
    files, spec, _ = LAYOUTS[name]
    src = write_repo(tmp_path / "src", files)
    spec = {**spec, "path": str(src)}
    cache = tmp_path / "cache"
    fresh = hub.local_layout(name, spec)
    first = hub.local_layout(name, spec, str(cache))  # resolves and writes the entry
    assert len(list(cache.glob("*.json"))) == 1
    again = hub.local_layout(name, spec, str(cache))  # read back
    assert fresh == first == again
    assert list(again[0].splits) == list(fresh[0].splits)  # split order too
    with_files = {**spec, "data_files": {"train": sorted(fresh[0].files)[:1]}}
    assert hub.local_layout(name, with_files, str(cache)) == hub.local_layout(name, with_files)
    assert len(list(cache.glob("*.json"))) == 2  # other patterns, other entry


def test_local_files_are_linked_not_copied_and_copied_across_filesystems(tmp_path, monkeypatch):
    """raw/ must not double a local dataset on disk: one hash per file, no copy."""
    files, spec, _ = LAYOUTS["jsonl"]
    manifest = ingest(tmp_path, "l", files, spec)
    src = tmp_path / "src" / "l"
    for f in manifest["files"]:
        assert (tmp_path / paths.raw_files("l") / f["path"]).samefile(src / f["path"])

    def no_link(a, b):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(hub.os, "link", no_link)
    again = hub.ingest_local("l", {**spec, "path": str(src)}, tmp_path / "other")
    assert again["files"] == manifest["files"]
    for f in again["files"]:
        copy = tmp_path / "other" / "files" / f["path"]
        assert copy.read_bytes() == (src / f["path"]).read_bytes()
        assert not copy.samefile(src / f["path"])
