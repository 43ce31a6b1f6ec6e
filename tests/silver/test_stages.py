"""Each per-item stage of a shard job on its own, table-driven: what it passes, what it rejects
with which reason, and what it records (foundry/silver/stages.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

import pytest

from foundry.ingest.sources import Item
from foundry.silver import stages

ML = "എന്റെ ബിൽ അടയ്ക്കണം"


@dataclass
class FakeSettings:
    """The part of silver.shards.Settings the stages read."""

    dataset: str = "ds"
    roles: tuple[str, ...] = ("audio", "text", "label")
    columns: dict[str, str] = field(default_factory=lambda: {"audio": "wav", "label": "intent"})
    min_malayalam_ratio: float = 0.5
    drop: tuple[str, ...] = ("noise",)
    rename: dict[str, str] = field(default_factory=lambda: {"pay": "payment"})
    only_speaker: str | None = None

    def needs(self, role: str) -> bool:
        return role in self.roles

    def map_label(self, label: str | None) -> tuple[str | None, bool]:
        if label in self.drop:
            return None, True
        return self.rename.get(label, label), False

    def filtered_out(self, it: Item) -> str | None:
        if self.only_speaker and it.speaker != self.only_speaker:
            return f"speaker {it.speaker!r} is not {self.only_speaker!r}"
        return None


ITEM = Item("a1", "data.csv", 3, b"RIFF", ML, "pay", "spk", None)


def run(stage, item=ITEM, settings=None):
    c, record = stages.Candidate.of(item), stages.Record()
    return stage(settings or FakeSettings(), c, record), c, record


@pytest.mark.parametrize(
    "stage, item, settings, reason",
    [
        (stages.readable, ITEM, None, None),
        (stages.readable, replace(ITEM, malformed="line 3: 2 fields, header has 3"), None,
         "malformed_row"),
        (stages.row_filter, ITEM, None, None),
        (stages.row_filter, ITEM, FakeSettings(only_speaker="other"), "filtered"),
        (stages.label_map, ITEM, None, None),
        (stages.label_map, replace(ITEM, label="noise"), None, "label_dropped"),
        (stages.malayalam_text, ITEM, None, None),
        (stages.malayalam_text, replace(ITEM, text="I want to pay"), None, "non_malayalam_text"),
        (stages.malayalam_text, replace(ITEM, text="ente bill ethra aanu"), None,
         "romanised_malayalam"),
        (stages.malayalam_text, replace(ITEM, text="123 ..."), None, "empty_text"),
        # not a text engine, or a long recording judged per segment later: no text check
        (stages.malayalam_text, replace(ITEM, text="English"), FakeSettings(roles=("audio",)),
         None),
        (stages.malayalam_text, replace(ITEM, text="", segments=[{"start": 0}]), None, None),
        (stages.has_label, ITEM, None, "missing_label"),  # label_map has not run: no label
        (stages.has_label, ITEM, FakeSettings(roles=("audio", "text")), None),
        (stages.has_audio, ITEM, None, None),
        (stages.has_audio, replace(ITEM, audio=None), None, "missing_audio"),
        (stages.has_audio, replace(ITEM, audio=None), FakeSettings(roles=("text",)), None),
    ],
)  # fmt: skip
def test_each_stage_passes_or_rejects_with_its_reason(stage, item, settings, reason):
    row, _, _ = run(stage, item, settings)
    if reason is None:
        assert row is None
    else:
        assert row["reason"] == reason and row["id"] == item.id and row["dataset"] == "ds"
        assert (row["source_file"], row["source_row"], row["parent_id"]) == ("data.csv", 3, "")
        assert row["detail"]


def test_label_map_renames_and_missing_label_then_rejects():
    _, c, _ = run(stages.label_map)
    assert c.label == "payment"
    c.label = " "
    row = stages.has_label(FakeSettings(), c, stages.Record())
    assert row["reason"] == "missing_label" and "column 'intent' is empty" in row["detail"]


def test_raw_hash_records_the_audio_bytes_and_never_rejects():
    row, _, record = run(stages.raw_hash)
    assert row is None
    assert record.hashes == [
        {"id": "a1", "raw_sha256": hashlib.sha256(b"RIFF").hexdigest(),
         "source_file": "data.csv", "source_row": 3}
    ]  # fmt: skip
    assert run(stages.raw_hash, replace(ITEM, audio=None))[2].hashes == []


def test_the_first_reject_ends_the_way_and_later_stages_do_not_run():
    bad = replace(ITEM, malformed="not JSON", label="noise")
    c, record = stages.Candidate.of(bad), stages.Record()
    row = stages.first_reject(FakeSettings(), c, record)
    assert row["reason"] == "malformed_row" and record.hashes == [] and c.label is None
    filtered = stages.first_reject(
        FakeSettings(only_speaker="x"), stages.Candidate.of(ITEM), record
    )
    assert filtered["reason"] == "filtered" and record.hashes == []  # hashed only if kept on
    c = stages.Candidate.of(ITEM)
    assert stages.first_reject(FakeSettings(), c, record) is None
    assert c.label == "payment" and len(record.hashes) == 1


def test_reject_rows_name_a_segment_by_its_own_id_and_refuse_unrecorded_reasons():
    row = stages.reject_row(FakeSettings(), ITEM, "bad_segment", "end before start", "3")
    assert (row["id"], row["parent_id"]) == (stages.segment_id("a1", "3"), "a1")
    with pytest.raises(ValueError, match="'bad_json' is not one a silver step records"):
        stages.reject_row(FakeSettings(), ITEM, "bad_json", "x")
