"""Reports: deterministic figures and tables, and the demo's Snakemake HTML report renders."""

from __future__ import annotations

import json
import shutil

import pytest
from matplotlib import image as mpimg
from workflow import ROOT, planned_jobs, snakemake

from foundry import paths
from foundry.report import pages as report
from foundry.report import plots

DATA_ONLY = "report={sections: [data]}"


def history(n: int) -> list[dict[str, float]]:
    return [
        {"epoch": i, "train_loss": 2 / i, "dev_loss": 2.2 / i + 0.01 * i, "dev_macro_f1": i / n}
        for i in range(1, n + 1)
    ]


def test_figures_are_byte_identical_and_carry_no_date(tmp_path):
    stats = {
        s: {"items": 10, "hours": 0.01, "per_class": {"Malabar": 4, "Cochin": 6}} for s in "abc"
    }
    makers = {
        "durations": lambda: plots.durations({"b": [1.0, 2.5], "a": [0.4, 3.0]}, "durations"),
        "balance": lambda: plots.balance("dialect", stats, "class", ["a", "b", "c"]),
        "training": lambda: plots.training_curves("intent", history(5), 3),
        "placeholder": lambda: plots.message_figure("not built yet", "run it"),
    }
    for name, make in makers.items():
        plots.save_svg(make(), tmp_path / f"{name}-1.svg")
        plots.save_svg(make(), tmp_path / f"{name}-2.svg")
        one = (tmp_path / f"{name}-1.svg").read_bytes()
        assert one == (tmp_path / f"{name}-2.svg").read_bytes(), name
        assert b"<dc:date>" not in one and b"<svg" in one, name
    assert not list(tmp_path.glob(".tmp-*"))  # written atomically


def test_sections_default_to_all_and_a_typo_is_named():
    assert report.sections({}) == ["data", "training", "deploy"]
    assert report.sections({"report": {"sections": ["deploy", "data"]}}) == ["data", "deploy"]
    with pytest.raises(report.ReportError, match=r"report.sections.*'trainig'.*choose from"):
        report.sections({"report": {"sections": ["trainig"]}})


def test_every_report_file_has_its_own_name():
    """Snakemake's report links a result by its file name only: two files of one name would
    send both links of the landing page to the first (balance/dialect.svg, training/dialect.svg)."""
    from foundry import engines

    files = report.outputs(sorted(engines.REGISTRY), sorted(engines.TRAINED))
    names = [f.rsplit("/", 1)[-1] for f in files]
    assert len(files) > 10 and len(set(names)) == len(names), sorted(names)


def test_data_card_markdown_becomes_html_tables():
    card = "# Gold data card: `x`\n\nline one\nline two\n\n| a | b |\n|---|---|\n| 1 | <2> |\n"
    out = report.markdown_html("x", card)
    assert "<h2>Gold data card: <code>x</code></h2>" in out
    assert "<p>line one line two</p>" in out
    assert "<tr><th>a</th><th>b</th></tr>" in out and "<td>&lt;2&gt;</td>" in out


def test_models_and_deploy_tables_show_candidate_against_champion(tmp_path):
    engine, cid = "intent", "intent-0123abcd"
    metrics = {
        "adapted": {"macro_f1": 0.9},
        "untrained_base": {"macro_f1": 0.2},
        "majority_baseline": {"macro_f1": 0.1},
        "train_items": 80,
        "test_items": 20,
        "plumbing_check": True,
        "training": {"epochs": 5, "best_epoch": 3, "history": history(5)},
    }
    decision = {
        "engine": engine,
        "candidate": cid,
        "decision": "rollback",
        "reasons": ["offline gate failed: macro-F1 worse than champion"],
        "checks": {"integrity": True, "offline_gate": False},
        "production": {"before": "intent-champ", "after": "intent-champ"},
    }
    validation = {
        "candidate": cid,
        "champion": "intent-champ",
        "candidate_metrics": {"macro_f1": 0.5},
        "champion_metrics": {"macro_f1": 0.8},
        "difference": {"metric": "macro_f1", "point": -0.3, "ci_low": -0.4, "ci_high": -0.2},
        "checks": [{"name": "f1_drop", "passed": False, "detail": "..."}],
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        from foundry.atomic import write_json

        write_json(paths.deploy_decision(engine), decision)
        write_json(f"{paths.deploy_candidate(engine, cid)}/validation.json", validation)
        deploys = {engine: report.deploy_state(engine), "stt": report.deploy_state("stt")}
    assert deploys["stt"] is None
    ms = {engine: metrics, "stt": None}
    html = report.metrics_html([engine, "stt"], ms, deploys, "build it")
    assert "intent-champ" in html and "macro_f1 -0.3000" in html and "f1_drop: FAIL" in html
    assert "not built yet" in html and "build it" in html
    rows = report.comparison_rows([engine], ms, deploys)
    assert rows[0]["candidate (gate)"] == 0.5 and rows[0]["champion (gate)"] == 0.8
    dep = report.deploy_html([engine, "stt"], deploys, "build it")
    assert '<span class="rollback">rollback</span>' in dep and "intent-champ → intent-champ" in dep
    plots.save_svg(plots.comparison(rows, report.SERIES), tmp_path / "cmp.svg")
    assert (tmp_path / "cmp.svg").stat().st_size > 1000


def test_metric_bars_are_named_apart_and_the_legend_says_which_is_which():
    """stt and dialect have a clean and a telephone adapted bar: each named, one legend."""
    row = {"engine": "stt", "metric": "cer", **dict.fromkeys(report.SERIES)}
    row |= {"untrained base": 1.66, "adapted (training test)": 0.69, "adapted (telephone)": 0.7}
    fig = plots.comparison([row, {**row, "engine": "dialect", "metric": "macro_f1"}], report.SERIES)
    for ax in fig.axes:
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert ticks == ["untrained base", "adapted (training test)", "adapted (telephone)"]
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ticks


def is_blank(png) -> bool:
    img = mpimg.imread(str(png))
    return bool((img == img[0, 0]).all())


@pytest.mark.slow
def test_demo_report_builds_and_renders_in_chromium(demo_gold, tmp_path):
    proj = tmp_path / "demo"
    shutil.copytree(demo_gold, proj, symlinks=True)
    shutil.copytree(ROOT / "report", proj / "report", dirs_exist_ok=True)  # caption files
    snakemake(proj, "--cores", "2", "report_all", "--config", DATA_ONLY)
    assert planned_jobs(proj, "report_all", "--config", DATA_ONLY) == {}
    snakemake(proj, "--report", "report.html", "report_all", "--config", DATA_ONLY)
    html = (proj / "report.html").read_text(encoding="utf-8")
    for needle in (
        "Malayalam Data Foundry",  # report/workflow.rst
        "Start here",  # the landing page says where to look first,
        "In this report",  # links every result it holds,
        "Engines in this build",  # and which datasets feed which engine
        "1. Data",
        "2. Engines",
        "3. Models",
        "4. Deployment",
        report.DATASETS_TABLE,
        report.DURATIONS_PLOT,
        report.REJECTS_TABLE,
        report.METRICS_TABLE,
        report.COMPARISON_PLOT,
        report.DEPLOY_TABLE,
        report.balance_plot("dialect"),
        report.card_html("stt"),
        report.training_plot("intent"),
    ):
        assert needle in html, needle
    assert "system-message" not in html  # the landing page's rst rendered without a warning
    datasets = (proj / report.DATASETS_TABLE).read_text(encoding="utf-8")
    for ds in ("demo_indicst", "demo_dialects", "demo_sentiment"):
        assert ds in datasets
    assert "too_long" in datasets and "duplicate_audio" in (proj / report.REJECTS_TABLE).read_text()
    assert "Cochin" in (proj / report.card_html("dialect")).read_text()
    assert "not built yet" in (proj / report.DEPLOY_TABLE).read_text()
    stats = json.loads((proj / paths.split_stats("dialect")).read_text())
    assert stats["train"]["per_class"]  # the balance figure has classes to draw
    home, inside = tmp_path / "home.png", tmp_path / "durations.png"
    report.screenshot(proj / "report.html", home)
    report.screenshot(proj / "report.html", inside, ["1. Data", "Durations", "@view"])
    for png in (home, inside):
        assert png.stat().st_size > 10_000 and not is_blank(png), png
    assert home.read_bytes() != inside.read_bytes()  # the click opened a result


def test_standardize_logs_progress_every_n_items(tmp_path, caplog, monkeypatch):
    from factory import text_rows, write_dataset

    from foundry import config
    from foundry.ingest import hub
    from foundry.silver import shards

    write_dataset(tmp_path / "src", text_rows(25))
    spec = {"path": str(tmp_path / "src"), "columns": {"text": "text", "label": "intent"}}
    spec.update({"engines": ["intent"], "license": "cc0", "shards": 1})
    cfg = config.validate({"datasets": {"ds": spec}})
    monkeypatch.chdir(tmp_path)
    hub.ingest("ds", cfg["datasets"]["ds"], cfg["hub"])
    s = shards.Settings.from_config(cfg, "ds")
    shards.write_plan(s)
    monkeypatch.setattr(shards, "PROGRESS_EVERY", 10)
    with caplog.at_level("INFO", logger="foundry.silver.shards"):
        shards.standardize_shard(s, 0)
    lines = [r.getMessage() for r in caplog.records if r.name == "foundry.silver.shards"]
    assert [m.split(":")[1].split()[0] for m in lines] == ["10/25", "20/25"], lines
