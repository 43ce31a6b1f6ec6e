"""Report figures (matplotlib, Agg): byte-identical SVG for identical inputs.

Why so careful: the report is rebuilt on every run and figures are compared between runs, so a
figure must not embed a date, a random id or a machine-dependent font. Fixed size, fixed salt for
SVG element ids, no metadata, sorted categories, text drawn as paths.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from foundry.atomic import write_bytes  # noqa: E402

SIZE = (8.0, 4.5)  # inches
DPI = 100
STYLE = {
    "svg.hashsalt": "malayalam-data-foundry",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "path.simplify": False,
}
# Colour-blind safe (Okabe-Ito), assigned in sorted order so a class keeps its colour.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def save_svg(fig: Figure, path: str | Path) -> None:
    """Write ``fig`` as deterministic SVG (atomic) and close it."""
    buf = io.BytesIO()
    with plt.rc_context(STYLE):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    write_bytes(path, buf.getvalue())


def new_figure(ncols: int = 1) -> tuple[Figure, list[Any]]:
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, ncols, figsize=SIZE, dpi=DPI, squeeze=False)
    return fig, list(axes[0])


def message_figure(title: str, message: str) -> Figure:
    """A placeholder that says what is missing and how to build it (never a blank image)."""
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=SIZE, dpi=DPI)
        fig.text(0.5, 0.62, title, ha="center", va="center", fontsize=14, weight="bold")
        fig.text(0.5, 0.42, message, ha="center", va="center", fontsize=11, wrap=True)
    return fig


def durations(per_dataset: Mapping[str, Sequence[float]], title: str) -> Figure:
    """Step histograms of kept-item durations, one line per audio dataset, shared bins."""
    names = sorted(d for d, v in per_dataset.items() if len(v))
    if not names:
        return message_figure(title, "no audio datasets are configured")
    top = max(max(per_dataset[d]) for d in names)
    step = 0.5 if top <= 20 else max(1.0, round(top / 40))
    low = min(min(per_dataset[d]) for d in names)
    edges = [i * step for i in range(int(low / step), int(top / step) + 2)]
    with plt.rc_context(STYLE):
        fig, (ax,) = new_figure()
        for i, ds in enumerate(names):
            vals = sorted(per_dataset[ds])
            ax.hist(
                vals,
                bins=edges,
                histtype="step",
                linewidth=1.8,
                color=colour(i),
                label=f"{ds} (n={len(vals)}, {sum(vals) / 3600:.3f} h)",
            )
        ax.set_xlabel("duration (s), kept items")
        ax.set_ylabel("items")
        ax.set_title(title)
        ax.legend(fontsize=8, frameon=False)
        fig.tight_layout()
    return fig


def balance(engine: str, stats: Mapping[str, Any], by: str, splits: Sequence[str]) -> Figure:
    """Stacked bars per split: items by class (classifiers) or by dataset (others)."""
    key = "per_class" if by == "class" else "per_dataset"
    groups = sorted({g for s in splits for g in stats[s][key]})
    with plt.rc_context(STYLE):
        fig, (ax,) = new_figure()
        bottoms = [0] * len(splits)
        for i, g in enumerate(groups):
            vals = [int(stats[s][key].get(g, 0)) for s in splits]
            ax.bar(list(splits), vals, bottom=bottoms, color=colour(i), label=g, width=0.6)
            bottoms = [b + v for b, v in zip(bottoms, vals, strict=True)]
        for x, s in enumerate(splits):
            st = stats[s]
            extra = f"\n{st['hours']:.3f} h" if st.get("hours") else ""
            ax.annotate(
                f"{st['items']}{extra}",
                (x, bottoms[x]),
                ha="center",
                va="bottom",
                fontsize=9,
                xytext=(0, 2),
                textcoords="offset points",
            )
        ax.set_ylabel("items")
        ax.set_ylim(0, max(bottoms + [1]) * 1.2)
        ax.set_title(f"{engine}: split sizes by {by}")
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        fig.tight_layout()
    return fig


def training_curves(engine: str, history: Sequence[Mapping[str, float]], best: int) -> Figure:
    """Loss per epoch (train, dev) and the dev score, with the kept (best dev loss) epoch."""
    epochs = [int(h["epoch"]) for h in history]
    scores = sorted({k for h in history for k in h if k.startswith("dev_") and k != "dev_loss"})
    with plt.rc_context(STYLE):
        fig, axes = new_figure(2 if scores else 1)
        ax = axes[0]
        ax.plot(epochs, [h["train_loss"] for h in history], color=colour(0), label="train loss")
        if any("dev_loss" in h for h in history):
            ax.plot(epochs, [h.get("dev_loss") for h in history], color=colour(1), label="dev loss")
        if best > 0:
            ax.axvline(best, color="grey", linestyle="--", linewidth=1, label=f"kept epoch {best}")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.set_title(f"{engine}: loss")
        ax.legend(fontsize=8, frameon=False)
        if scores:
            ax2 = axes[1]
            for i, k in enumerate(scores):
                ax2.plot(
                    epochs,
                    [h.get(k) for h in history],
                    color=colour(i + 2),
                    label=k.removeprefix("dev_"),
                )
            ax2.set_xlabel("epoch")
            ax2.set_title(f"{engine}: dev score")
            ax2.legend(fontsize=8, frameon=False)
        fig.tight_layout()
    return fig


def comparison(rows: Sequence[Mapping[str, Any]], series: Sequence[str]) -> Figure:
    """One panel per engine (own scale): its primary test metric for each model in ``series``.

    ``rows``: {"engine", "metric", <series name>: value or None}; missing values are not drawn.
    Each bar is named in full under it ("adapted (telephone)", not a second "adapted"), and one
    legend maps the colours to the series shown.
    """
    from matplotlib.patches import Patch

    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, max(1, len(rows)), figsize=(10.0, 5.2), dpi=DPI, squeeze=False)
        shown: set[str] = set()
        for ax, r in zip(axes[0], rows, strict=False):
            names = [n for n in series if r.get(n) is not None]
            shown.update(names)
            vals = [float(r[n]) for n in names]
            cols = [colour(series.index(n)) for n in names]
            bars = ax.bar(range(len(names)), vals, color=cols, width=0.7)
            ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
            ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=7)
            better = "lower" if r["metric"] in ("cer", "wer", "mlm_loss") else "higher"
            ax.set_title(f"{r['engine']}\n{r['metric']} ({better} is better)", fontsize=9)
            if not names:
                ax.text(
                    0.5,
                    0.5,
                    "not built yet",
                    ha="center",
                    va="center",
                    transform=ax.transAxes,
                    fontsize=9,
                    color="grey",
                )
                ax.set_yticks([])
            else:
                ax.set_ylim(0, max(vals) * 1.18 or 1)
        handles = [Patch(color=colour(i), label=n) for i, n in enumerate(series) if n in shown]
        if handles:
            fig.legend(
                handles=handles,
                loc="lower center",
                ncol=min(len(handles), 3),
                fontsize=8,
                frameon=False,
            )
        fig.tight_layout(rect=(0, 0.12 if handles else 0, 1, 1))
    return fig
