"""The adapter's model card (``models/<engine>/adapter/README.md``), in place of PEFT's template.

Hugging Face Hub metadata a registry or ``huggingface_hub.ModelCard`` reads (base model, library,
license, language, datasets, metrics) and the test figures of ``metrics.json`` in a table, so an
adapter copied out of the project still says what it is, what it was trained on and how good it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from foundry import engines
from foundry.atomic import write_text

METRIC_KEYS = ("cer", "wer", "script_fidelity", "accuracy", "macro_f1", "mlm_loss")


def base_reference(base_meta: dict[str, Any], base_dir: str) -> str:
    """The base as a Hub id when it has one (pretrained), else the local folder it was built in."""
    return str(base_meta.get("repo") or base_dir)


def _rows(metrics: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    rows = [
        ("clean", name, metrics[name])
        for name in ("adapted", "untrained_base", "majority_baseline")
        if isinstance(metrics.get(name), dict)
    ]
    phone = metrics.get("telephone") or {}
    rows += [
        ("telephone", name, phone[name])
        for name in ("adapted", "untrained_base")
        if isinstance(phone.get(name), dict)
    ]
    return rows


def render(
    engine: str, base_meta: dict[str, Any], base_dir: str, datasets: list[str], metrics: dict
) -> str:
    """The card's text: YAML front matter + a short description and the test-split table."""
    spec = engines.get(engine)
    keys = [k for k in METRIC_KEYS if k in (metrics.get("adapted") or {})]
    base = base_reference(base_meta, base_dir)
    sources = ", ".join(sorted(datasets)) or "no dataset"
    front = {
        "base_model": base,
        "library_name": "peft",
        "license": base_meta.get("license") or "other",
        "language": ["ml"],
        "datasets": sorted(datasets),
        "metrics": keys,
        "tags": ["lora", "malayalam", "ivr", f"foundry-{engine}"],
    }
    lines = [
        "---",
        yaml.safe_dump(front, sort_keys=True, allow_unicode=True).strip(),
        "---",
        "",
        f"# Malayalam Data Foundry: {engine} LoRA adapter",
        "",
        f"A LoRA adapter ({spec.task}) on `{base}` for a Malayalam IVR, trained by the Malayalam "
        f"Data Foundry workflow on the gold splits of {sources}.",
        "Load it with plain `peft` on top of its base (see `adapter_config.json`).",
    ]
    if base_meta.get("plumbing_check"):
        lines += [
            "",
            "**Plumbing check**: the base is a tiny random-init model, not a language model.",
        ]
    if keys:
        lines += ["", "| channel | model | " + " | ".join(keys) + " |"]
        lines += ["|---|---|" + "---|" * len(keys)]
        for channel, name, m in _rows(metrics):
            cells = [str(m.get(k, "")) for k in keys]
            lines.append(f"| {channel} | {name} | " + " | ".join(cells) + " |")
        lines += ["", f"Test items: {metrics.get('test_items')}."]
    return "\n".join(lines) + "\n"


def write(
    adapter_dir: str | Path,
    engine: str,
    base_meta: dict[str, Any],
    base_dir: str,
    datasets: list[str],
    metrics: dict[str, Any],
) -> None:
    write_text(
        Path(adapter_dir) / "README.md", render(engine, base_meta, base_dir, datasets, metrics)
    )
