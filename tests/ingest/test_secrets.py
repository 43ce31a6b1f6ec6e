"""Secrets and safety: a planted HF_TOKEN appears in no output or log; tar members cannot escape;
no remote code is ever trusted; checkpoints are never unpickled."""

from __future__ import annotations

import io
import re
import tarfile
from pathlib import Path

import pytest
from factory import text_rows
from faultproxy import Fault, FaultProxy
from hubserver import hub_project, parquet_bytes, run_snakemake

from foundry.silver import shards

ROOT = Path(__file__).resolve().parents[2]
CODE = [p for d in ("foundry", "scripts", "rules") for p in sorted((ROOT / d).rglob("*"))]
CODE = [p for p in CODE if p.suffix in (".py", ".smk")] + [ROOT / "Snakefile"]
TOKEN = "hf_PlantedSecretTokenValue0123456789"
INTENT = {
    "columns": {"text": "text", "label": "intent"},
    "engines": ["intent"],
    "license": "cc0-1.0",
}


@pytest.mark.slow
def test_planted_token_never_reaches_outputs_or_logs(hub_server, tmp_path):
    hub_server.add_dataset("sec/open", {"data/train-00000.parquet": parquet_bytes(text_rows(12))})
    hub_server.add_dataset("sec/gated", {"data/train-00000.parquet": parquet_bytes(text_rows(9))})
    project = hub_project(
        tmp_path / "p",
        {"open": {"hub": "sec/open", **INTENT}, "gated": {"hub": "sec/gated", **INTENT}},
    )
    hf_home = tmp_path / "hf"
    with FaultProxy(hub_server.olah_url) as proxy:
        # Errors are where tokens leak (echoed headers, URLs): make one dataset fail.
        proxy.add(Fault("sec/gated", "status", 100, 403, headers={"X-Error-Code": "GatedRepo"}))
        proxy.add(Fault("sec/open/revision", "status", 1, 503))
        env = hub_server.env(hf_home, endpoint=proxy.url, HF_TOKEN=TOKEN)
        run = run_snakemake(
            project,
            "--keep-going",
            "-p",
            "--verbose",
            "silver/open/manifest.parquet",
            "silver/gated/manifest.parquet",
            env=env,
            check=False,
        )
        # The client did send it (so the test is not vacuous) ...
        assert f"Bearer {TOKEN}" in proxy.authorizations
    assert run.returncode != 0 and (project / "silver/open/manifest.parquet").is_file()
    assert "refused" in (project / "logs/ingest/gated.log").read_text()
    # ... but it is in no file under the project or the HF cache, and not in the console output.
    leaks = [
        p
        for root in (project, hf_home)
        for p in root.rglob("*")
        if p.is_file() and TOKEN.encode() in p.read_bytes()
    ]
    assert leaks == []
    assert TOKEN not in run.stdout + run.stderr


def _tar(members: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for info, data in members:
            info.size = len(data) if info.isfile() else 0
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return buf.getvalue()


@pytest.mark.parametrize(
    "name,kind",
    [
        ("../escape.json", tarfile.REGTYPE),
        ("/etc/cron.d/x.json", tarfile.REGTYPE),
        ("sub/dir.json", tarfile.REGTYPE),
        ("a/../../b.wav", tarfile.REGTYPE),
        ("link.wav", tarfile.SYMTYPE),
        ("hard.wav", tarfile.LNKTYPE),
        ("dev.wav", tarfile.CHRTYPE),
    ],
)
def test_malicious_shard_tar_is_refused(tmp_path, name, kind):
    info = tarfile.TarInfo(name)
    info.type = kind
    if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
        info.linkname = "/etc/passwd"
    ok = tarfile.TarInfo("good-000001.json")
    path = tmp_path / "work" / "shard-00000.tar"
    path.parent.mkdir()
    path.write_bytes(_tar([(ok, b"{}"), (info, b"x")]))
    before = sorted(p for p in tmp_path.rglob("*"))
    with pytest.raises(ValueError, match="unsafe tar member|not a regular file"):
        shards.read_shard(path)
    assert sorted(p for p in tmp_path.rglob("*")) == before  # nothing extracted anywhere
    assert not Path("/etc/cron.d/x.json").exists()


def test_shard_writer_refuses_unsafe_ids(tmp_path):
    for bad in ("../x", "/abs", "a/b", ""):
        with pytest.raises(ValueError, match="unsafe tar member"):
            shards._write_tar(tmp_path / "s.tar", [(bad, b"", b"{}")])
    assert not (tmp_path / "s.tar").exists()
    assert not list(tmp_path.iterdir())  # no partial file left behind either


def _code_text() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in CODE if p.is_file()}


def test_no_remote_code_is_ever_trusted():
    hits = [
        f"{p.relative_to(ROOT)}: {m.group(0)}"
        for p, text in _code_text().items()
        for m in re.finditer(r"trust_remote_code\s*[=:]\s*(?!False\b)[^\s,)]+", text)
    ]
    assert hits == []
    # Nor passed through a dict of kwargs.
    assert not [
        p for p, t in _code_text().items() if re.search(r"""["']trust_remote_code["']""", t)
    ]


def test_checkpoints_are_never_unpickled():
    bad = []
    for p, text in _code_text().items():
        rel = p.relative_to(ROOT)
        for m in re.finditer(r"torch\.load\(", text):
            call = text[m.start() : text.find(")", m.start()) + 1]
            if "weights_only=True" not in call:
                bad.append(f"{rel}: {call}")
        for pat in (
            r"\bpickle\.loads?\(",
            r"\bjoblib\.load\(",
            r"allow_pickle\s*=\s*True",
            r"use_safetensors\s*=\s*False",
            r"weights_only\s*=\s*False",
        ):
            bad += [f"{rel}: {m.group(0)}" for m in re.finditer(pat, text)]
    assert bad == []
