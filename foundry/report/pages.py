"""What the Snakemake HTML report shows: tables (HTML) and the numbers behind the figures.

Everything here reads the workflow's own files (raw manifests, silver manifests/rejects,
splits stats/cards, models metrics, deploy decisions) and returns plain data or HTML strings;
``scripts/report_*.py`` write them with ``foundry.atomic``. Output is deterministic: sorted rows,
no timestamps, so an unchanged workflow gives byte-identical report files.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from foundry import engines, paths
from foundry.config import defaults
from foundry.errors import UserError


def _read_table(path: Path, columns: list[str] | None = None) -> Any:
    """pyarrow, imported here: rules/report.smk imports this module when Snakemake parses the
    workflow, and a dry run should not pay for pyarrow."""
    import pyarrow.parquet as pq

    return pq.read_table(path, columns=columns)


SECTIONS = ("data", "training", "deploy")
REJECT_SAMPLE_PER_REASON = int(defaults("report", "rejects_per_reason"))
# Report files (kept here, beside the code that writes them; reports/ also holds validate.json).
DATASETS_TABLE = "reports/datasets.html"
DURATIONS_PLOT = "reports/durations.svg"
REJECTS_TABLE = "reports/rejects.html"
COMPARISON_PLOT = "reports/comparison.svg"
METRICS_TABLE = "reports/metrics.html"
DEPLOY_TABLE = "reports/deploy.html"


# Snakemake's report links each result by its file name alone (the first file of a name wins),
# so every report file's name is unique: balance-<engine>.svg, not balance/<engine>.svg.
def balance_plot(engine: str) -> str:
    return f"reports/balance/balance-{engine}.svg"


def card_html(engine: str) -> str:
    return f"reports/cards/card-{engine}.html"


def training_plot(engine: str) -> str:
    return f"reports/training/training-{engine}.svg"


def outputs(engines: Sequence[str], trained: Sequence[str]) -> list[str]:
    """Every report file (the ``report_all`` target)."""
    out = [DATASETS_TABLE, DURATIONS_PLOT, REJECTS_TABLE, METRICS_TABLE, COMPARISON_PLOT]
    out += [DEPLOY_TABLE]
    out += [balance_plot(e) for e in engines] + [card_html(e) for e in engines]
    return out + [training_plot(e) for e in trained]


class ReportError(ValueError, UserError):
    """The report configuration asks for something that does not exist."""


def sections(cfg: Mapping[str, Any]) -> list[str]:
    """``report.sections`` (default: all); names are checked so a typo is not silently ignored."""
    wanted = list(cfg.get("report", {}).get("sections", SECTIONS))
    bad = sorted(set(wanted) - set(SECTIONS))
    if bad:
        raise ReportError(
            f"config report.sections has unknown section(s) {bad}; choose from {list(SECTIONS)}"
        )
    return [s for s in SECTIONS if s in wanted]


# --- HTML ----------------------------------------------------------------------------------

CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:14px;margin:12px;color:#222}
table{border-collapse:collapse;margin:8px 0 16px;display:block;max-width:100%;overflow-x:auto}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
td{overflow-wrap:break-word}
th{background:#f0f3f7} td.num{text-align:right;font-variant-numeric:tabular-nums}
.promote{color:#067d3a;font-weight:bold} .rollback{color:#b00020;font-weight:bold}
.note{color:#666;font-style:italic} code{background:#f4f4f4;padding:0 3px}
""".strip()


def esc(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4f}"
    return html.escape(str(value))


def table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: frozenset[int] = frozenset()
) -> str:
    """An HTML table; cells are escaped unless wrapped in :class:`Raw`."""
    out = ["<table>", "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr>"]
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            cls = ' class="num"' if i in numeric else ""
            cells.append(f"<td{cls}>{v.html if isinstance(v, Raw) else esc(v)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


class Raw:
    """Pre-built HTML for one table cell."""

    def __init__(self, html_text: str) -> None:
        self.html = html_text


def page(title: str, *parts: str, heading: bool = True) -> str:
    body = "\n".join(parts)
    h2 = f"<h2>{esc(title)}</h2>\n" if heading else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>\n"
        f"<body>\n{h2}{body}\n</body></html>\n"
    )


def note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


# --- data ----------------------------------------------------------------------------------


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def dataset_rows(cfg: Mapping[str, Any], root: str | Path = ".") -> list[dict[str, Any]]:
    """One row per configured dataset: size in and out, hours, rejects by reason, revision."""
    root = Path(root)
    rows = []
    for ds in sorted(cfg["datasets"]):
        spec = cfg["datasets"][ds]
        manifest = _read_json(root / paths.raw_manifest(ds))
        kept = _read_table(root / paths.silver_manifest(ds))
        rejects = _read_table(root / paths.silver_rejects(ds), columns=["reason"])
        reasons = Counter(rejects.column("reason").to_pylist())
        seconds = sum(kept.column("duration").to_pylist())
        rows.append(
            {
                "dataset": ds,
                "source": spec.get("hub") or spec.get("path"),
                "requested_revision": manifest.get("requested_revision"),
                "resolved_revision": manifest.get("resolved_revision"),
                "license": spec.get("license"),
                "engines": sorted(spec["engines"]),
                "items": kept.num_rows + rejects.num_rows,
                "kept": kept.num_rows,
                "rejected": rejects.num_rows,
                "hours": round(seconds / 3600, 4),
                "narrowband": _count_true(kept, "narrowband"),
                "segments": _count_true(kept, "parent_id"),
                "rejects_by_reason": dict(sorted(reasons.items())),
            }
        )
    return rows


def _count_true(table: Any, column: str) -> int:
    """Items flagged in a boolean manifest column (0 for manifests from before the column)."""
    if column not in table.column_names:
        return 0
    return sum(bool(v) for v in table.column(column).to_pylist())


def short_revision(rev: str | None, keep: int = 12) -> str:
    """A commit/tree hash shortened for tables (the full value is in the cell's tooltip)."""
    if not rev:
        return "–"
    head, _, tail = rev.rpartition("-")
    return f"{head}-{tail[:keep]}" if head else rev[:keep]


def datasets_html(rows: Sequence[Mapping[str, Any]]) -> str:
    body = table(
        [
            "dataset",
            "source",
            "revision",
            "license",
            "engines",
            "items",
            "kept",
            "hours",
            "narrow-band",
            "segments",
            "rejected",
            "rejects by reason",
        ],
        [
            (
                r["dataset"],
                r["source"],
                Raw(
                    f"{esc(r['requested_revision'])}<br>"
                    f'<code title="{esc(r["resolved_revision"])}">'
                    f"{esc(short_revision(r['resolved_revision']))}</code>"
                ),
                r["license"],
                ", ".join(r["engines"]),
                r["items"],
                r["kept"],
                f"{r['hours']:.4f}",
                r["narrowband"],
                r["segments"],
                r["rejected"],
                ", ".join(f"{k}: {v}" for k, v in r["rejects_by_reason"].items()) or "–",
            )
            for r in rows
        ],
        numeric=frozenset({5, 6, 7, 8, 9, 10}),
    )
    total = (
        f"{sum(r['items'] for r in rows)} items in, {sum(r['kept'] for r in rows)} kept "
        f"({sum(r['hours'] for r in rows):.4f} h of audio), {sum(r['rejected'] for r in rows)} "
        "rejected."
    )
    return page("Datasets: raw → silver", f"<p>{esc(total)}</p>", body)


def durations(cfg: Mapping[str, Any], root: str | Path = ".") -> dict[str, list[float]]:
    """Kept-item durations per audio dataset (sorted)."""
    root = Path(root)
    out = {}
    for ds in sorted(cfg["datasets"]):
        if "audio" in cfg["datasets"][ds]["columns"]:
            t = _read_table(root / paths.silver_manifest(ds), columns=["duration"])
            out[ds] = sorted(t.column("duration").to_pylist())
    return out


def reject_sample(
    cfg: Mapping[str, Any], root: str | Path = ".", per_reason: int = REJECT_SAMPLE_PER_REASON
) -> list[dict[str, Any]]:
    """Up to ``per_reason`` rejected items per (reason, dataset), smallest ids first."""
    root = Path(root)
    rows = []
    for ds in sorted(cfg["datasets"]):
        rows += _read_table(root / paths.silver_rejects(ds)).to_pylist()
    rows.sort(key=lambda r: (r["reason"], r["dataset"], r["id"]))
    seen: Counter[tuple[str, str]] = Counter()
    sample = []
    for r in rows:
        key = (r["reason"], r["dataset"])
        seen[key] += 1
        if seen[key] <= per_reason:
            sample.append(r)
    return sample


def rejects_html(sample: Sequence[Mapping[str, Any]], per_reason: int) -> str:
    if not sample:
        return page("Rejected items", note("No item was rejected."))
    body = table(
        ["reason", "dataset", "id", "source file:row", "detail"],
        [
            (
                r["reason"],
                r["dataset"],
                r["id"],
                f"{r['source_file']}:{r['source_row']}",
                r["detail"],
            )
            for r in sample
        ],
    )
    intro = (
        f"Up to {per_reason} items per reason and dataset (smallest ids). The full lists are in "
        "silver/<dataset>/rejects.parquet."
    )
    return page("Rejected items (sample)", f"<p>{esc(intro)}</p>", body)


def markdown_html(title: str, text: str) -> str:
    """Render a data card (the small Markdown subset splits.data_card writes) as HTML."""
    out: list[str] = []
    rows: list[list[str]] = []
    para: list[str] = []

    def inline(s: str) -> str:
        s = esc(s)
        s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
        return re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", s)

    def flush() -> None:
        if para:
            out.append(f"<p>{inline(' '.join(para))}</p>")
            para.clear()
        if rows:
            head, *body = rows
            out.append("<table><tr>" + "".join(f"<th>{inline(c)}</th>" for c in head) + "</tr>")
            out.extend("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in body)
            out.append("</table>")
            rows.clear()

    for line in text.splitlines():
        s = line.strip()
        if s.startswith("|"):
            if para:
                flush()
            cells = [c.strip() for c in s.strip("|").split("|")]
            if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                rows.append(cells)
            continue
        if rows or not s or s.startswith("#"):
            flush()
        if s.startswith("#"):
            level = min(4, len(s) - len(s.lstrip("#")) + 1)
            out.append(f"<h{level}>{inline(s.lstrip('#').strip())}</h{level}>")
        elif s:
            para.append(s)
    flush()
    return page(title, *out, heading=False)


# --- models and deployment -----------------------------------------------------------------


def primary_metric(engine: str) -> str:
    """The engine's primary test metric (engine registry)."""
    return engines.get(engine).metric or "macro_f1"


def read_optional(path: str | Path) -> dict[str, Any] | None:
    p = Path(path)
    return _read_json(p) if p.is_file() else None


def deploy_state(engine: str, root: str | Path = ".") -> dict[str, Any] | None:
    """decision.json plus the candidate's validation.json (offline gate) when it exists."""
    root = Path(root)
    decision = read_optional(root / paths.deploy_decision(engine))
    if decision is None:
        return None
    cid = decision.get("candidate")
    validation = None
    if cid:
        validation = read_optional(root / paths.deploy_candidate(engine, cid) / "validation.json")
    return {"decision": decision, "validation": validation}


def comparison_rows(
    engines: Sequence[str],
    metrics: Mapping[str, Mapping[str, Any] | None],
    deploys: Mapping[str, Mapping[str, Any] | None],
) -> list[dict[str, Any]]:
    """Per engine: primary test metric of untrained base, majority, adapted, candidate, champion."""
    out = []
    for e in engines:
        key = primary_metric(e)
        m = metrics.get(e) or {}
        row: dict[str, Any] = {"engine": e, "metric": key}
        for name, src in (
            ("untrained base", "untrained_base"),
            ("majority baseline", "majority_baseline"),
            ("adapted (training test)", "adapted"),
        ):
            row[name] = (m.get(src) or {}).get(key)
        # the same test split through the telephone channel (audio engines), side by side
        row["adapted (telephone)"] = ((m.get("telephone") or {}).get("adapted") or {}).get(key)
        val = ((deploys.get(e) or {}).get("validation")) or {}
        row["candidate (gate)"] = (val.get("candidate_metrics") or {}).get(key)
        row["champion (gate)"] = (val.get("champion_metrics") or {}).get(key)
        out.append(row)
    return out


SERIES = (
    "untrained base",
    "majority baseline",
    "adapted (training test)",
    "adapted (telephone)",
    "candidate (gate)",
    "champion (gate)",
)


def metrics_html(
    engines: Sequence[str],
    metrics: Mapping[str, Mapping[str, Any] | None],
    deploys: Mapping[str, Mapping[str, Any] | None],
    missing_hint: str,
) -> str:
    rows = comparison_rows(engines, metrics, deploys)
    parts = [
        "<h3>Primary test metric</h3>",
        table(
            ["engine", "metric", *SERIES],
            [[r[k] for k in ("engine", "metric", *SERIES)] for r in rows],
            numeric=frozenset({2, 3, 4, 5, 6}),
        ),
        "<h3>Candidate against champion (offline gate)</h3>",
        table(
            ["engine", "candidate", "champion", "difference", "CI", "checks"],
            [_gate_row(e, deploys.get(e)) for e in engines],
        ),
        "<h3>Training</h3>",
        table(
            ["engine", "train items", "test items", "epochs", "kept epoch", "adapter/base bytes"]
            + ["base"],
            [_training_row(e, metrics.get(e)) for e in engines],
            numeric=frozenset({1, 2, 3, 4, 5}),
        ),
    ]
    if any(metrics.get(e) is None for e in engines):
        parts.append(note(missing_hint))
    return page("Models: metrics", *parts)


def _gate_row(e: str, st: Mapping[str, Any] | None) -> tuple:
    """One engine's offline-gate verdict: candidate, champion, difference, its CI, the checks."""
    val = (st or {}).get("validation")
    if not val:
        if e not in paths.DEPLOY_ENGINES:
            reason = "not a deployed engine"
        else:
            reason = "no deploy decision yet" if st is None else "no offline gate ran"
        return (e, "–", "–", "–", "–", reason)
    d = val.get("difference") or {}
    ci = f"[{d['ci_low']:+.4f}, {d['ci_high']:+.4f}]" if d else "–"
    checks = ", ".join(
        f"{c.get('name')}: {'pass' if c.get('passed') else 'FAIL'}" for c in val.get("checks", [])
    )
    return (
        e,
        val.get("candidate"),
        val.get("champion") or "none (first champion)",
        d.get("metric", "–") + (f" {d['point']:+.4f}" if d else ""),
        ci,
        checks,
    )


def _training_row(e: str, m: Mapping[str, Any] | None) -> tuple:
    if m is None:
        return (e, "–", "–", "–", "–", "–", "not built yet")
    t = m.get("training", {})
    return (
        e,
        m.get("train_items"),
        m.get("test_items"),
        t.get("epochs"),
        t.get("best_epoch"),
        m.get("adapter_to_base_bytes"),
        "plumbing check (tiny base)" if m.get("plumbing_check") else m.get("base", {}),
    )


def deploy_html(
    engines: Sequence[str], deploys: Mapping[str, Mapping[str, Any] | None], missing_hint: str
) -> str:
    rows = []
    for e in engines:
        st = deploys.get(e)
        if st is None:
            rows.append((e, Raw('<span class="note">not built yet</span>'), "–", "–", "–", "–"))
            continue
        d = st["decision"]
        verdict = str(d.get("decision"))
        cls = verdict if verdict in ("promote", "rollback") else ""
        prod = d.get("production") or {}
        checks = ", ".join(f"{k}: {v}" for k, v in sorted((d.get("checks") or {}).items()))
        rows.append(
            (
                e,
                Raw(f'<span class="{cls}">{esc(verdict)}</span>'),
                d.get("candidate"),
                f"{prod.get('before') or '–'} → {prod.get('after') or '–'}",
                checks,
                Raw("<br>".join(esc(r) for r in d.get("reasons", []))),
            )
        )
    parts = [
        table(
            ["engine", "decision", "candidate", "production before → after", "checks", "reasons"],
            rows,
        )
    ]
    if any(deploys.get(e) is None for e in engines):
        parts.append(note(missing_hint))
    return page("Deployment decisions", *parts)


# --- screenshots (tests and docs/report.png) -------------------------------------------------

_CLICK_JS = """<script>
(function () {
  var steps = %s;
  function byText(t) {
    var els = document.querySelectorAll("a,button");
    for (var i = 0; i < els.length; i++) if (els[i].textContent.trim() === t) return els[i];
    return null;
  }
  steps.forEach(function (t, n) {
    setTimeout(function () {
      var el = t === "@view" ? document.querySelector('table a[href="#"]') : byText(t);
      if (el) el.click();
    }, 800 * (n + 1));
  });
})();
</script>"""


def screenshot(
    html_path: str | Path,
    png_path: str | Path,
    clicks: Sequence[str] = (),
    size: tuple[int, int] = (1400, 1000),
    chromium: str = "chromium",
    timeout: float = 120.0,
) -> None:
    """Render the (JavaScript) Snakemake report in headless Chromium and save a PNG.

    ``clicks``: link texts to click in order (menu categories, subcategories); ``"@view"`` opens
    the first result shown. Clicking needs a copy of the page with a small script added.
    """
    import subprocess
    import tempfile

    src = Path(html_path).resolve()
    with tempfile.TemporaryDirectory(prefix="foundry-shot-") as tmp:
        page_path = src
        if clicks:
            text = src.read_text(encoding="utf-8")
            cut = text.rfind("</body>")
            script = _CLICK_JS % json.dumps(list(clicks))
            page_path = Path(tmp) / src.name
            page_path.write_text(text[:cut] + script + text[cut:], encoding="utf-8")
        out = Path(tmp) / "shot.png"
        cmd = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={tmp}/profile",
            f"--screenshot={out}",
            f"--window-size={size[0]},{size[1]}",
            f"--virtual-time-budget={2000 + 800 * len(clicks) + 4000}",
            page_path.as_uri(),
        ]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if run.returncode != 0 or not out.is_file():
            raise RuntimeError(
                f"chromium could not screenshot {src} (exit {run.returncode}): "
                f"{run.stderr[-1500:]}; is Debian's `chromium` installed?"
            )
        from foundry.atomic import write_bytes

        write_bytes(png_path, out.read_bytes())
