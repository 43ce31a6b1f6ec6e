"""One reject-reason registry (foundry/reasons.py): every reason the code writes or answers with
is registered with the status it is served with, and the docs and metrics read the registry."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from foundry import audio, reasons, telephony, text
from foundry.deploy import monitoring
from foundry.errors import Reject
from foundry.silver import quality, shards

ROOT = Path(__file__).resolve().parent.parent


def _literal(node: ast.AST | None) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def _name(value: object) -> bool:
    """A reason name (snake case), not a sentence (a WebSocket close may carry one)."""
    return isinstance(value, str) and re.fullmatch(r"[a-z][a-z_0-9]*", value) is not None


ANSWERS = ("ClientError", "_error", "_refuse", "_answer")  # (status, [phrase,] reason, detail)


def reason_literals(source: str) -> list[tuple[int, str, int | None]]:
    """(line, reason, HTTP status or None) for every reason name written as a literal: answers
    ``f(status, "reason", …)``, the service's ``_reject("reason", detail[, status])``,
    ``{"reason": "…"}`` rows and ``reason="…"`` keywords."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            args = [_literal(a) for a in node.args]
            name = ast.unparse(node.func).rsplit(".", 1)[-1]
            strs = [a for a in args if isinstance(a, str)]
            if name in ANSWERS and args and isinstance(args[0], int):
                # ClientError(400, "bad_json", …); _refuse(408, "Request Timeout", "header_timeout")
                reason = next((a for a in strs if _name(a)), None)
                if reason is not None:  # None: the reason is a variable
                    found.append((node.lineno, reason, args[0]))
            elif name == "_reject" and isinstance(args[0] if args else None, str):
                status = args[2] if len(args) > 2 else 400
                found.append((node.lineno, args[0], status))
            elif name == "reject_row" and len(args) > 2 and isinstance(args[2], str):  # silver
                found.append((node.lineno, args[2], None))
            for kw in node.keywords:
                if kw.arg == "reason" and _name(_literal(kw.value)):
                    found.append((node.lineno, kw.value.value, None))
        elif isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=True):
                if _literal(k) == "reason" and _name(_literal(v)):
                    found.append((node.lineno, v.value, None))
    return found


def test_reason_literals_are_found():
    src = (
        'raise ClientError(413, "body_too_large", "x")\n'
        'g._refuse(429, "Too Many Requests", "too_many_connections", d)\n'
        '_reject("too_many_samples", "d", 413)\n'
        'stages.reject_row(settings, it, "filtered", why)\n'
        'row = {"reason": "speaking_rate"}\n'
        'm.request(e, 500, reason="internal")\n'
    )
    assert reason_literals(src) == [
        (1, "body_too_large", 413),
        (2, "too_many_connections", 429),
        (3, "too_many_samples", 413),
        (4, "filtered", None),
        (5, "speaking_rate", None),
        (6, "internal", None),
    ]


def test_every_reason_in_the_code_is_registered_with_its_status():
    wrong = []
    for path in sorted((ROOT / "foundry").rglob("*.py")):
        if path.name == "reasons.py":
            continue
        for line, name, status in reason_literals(path.read_text(encoding="utf-8")):
            where = f"{path.relative_to(ROOT)}:{line}"
            known = reasons.REGISTRY.get(name)
            if known is None:
                wrong.append(f"{where}: {name!r} is not in foundry/reasons.py")
            elif status is not None and known.status != status:
                wrong.append(f"{where}: {name!r} answered {status}, registered {known.status}")
    assert wrong == []


def test_the_modules_lists_and_the_metrics_labels_are_the_registry():
    assert audio.AUDIO_REJECT_REASONS == reasons.names("audio")
    assert text.TEXT_REJECT_REASONS == reasons.meanings("text")
    assert quality.QUALITY_REJECT_REASONS == reasons.meanings("quality")
    assert set(telephony.TELEPHONY_ERROR_REASONS) <= reasons.SERVED
    assert set(shards.MERGE_REJECT_REASONS) == {"duplicate_audio", "wrong_language"}
    assert monitoring.REASONS == reasons.SERVED
    for cls in Reject.__subclasses__():
        assert set(cls.REASONS) <= set(reasons.REGISTRY), cls
        assert all(reasons.REGISTRY[n].status == 400 for n in telephony.TELEPHONY_ERROR_REASONS)


def test_every_served_status_is_an_error_status_and_every_meaning_one_sentence():
    for r in reasons.REGISTRY.values():
        assert r.status is None or 400 <= r.status < 600, r
        assert r.meaning and "\n" not in r.meaning and not r.meaning.endswith("."), r
    with pytest.raises(KeyError, match="no reject reasons from 'nowhere'"):
        reasons.names("nowhere")


def test_docs_table_is_generated_from_the_registry():
    assert (ROOT / "docs/reasons.md").read_text(encoding="utf-8") == reasons.table()


def test_the_hostile_docs_statuses_agree_with_the_registry():
    rows = re.findall(r"^\| (\d{3}) \| ((?:`[a-z_]+`(?:, )?)+) \|", _read("docs/hostile.md"), re.M)
    assert len(rows) > 10
    for status, names in rows:
        for name in re.findall(r"`([a-z_]+)`", names):
            assert reasons.REGISTRY[name].status == int(status), (name, status)


def _read(rel: str) -> str:
    return (ROOT / rel).read_text(encoding="utf-8")
