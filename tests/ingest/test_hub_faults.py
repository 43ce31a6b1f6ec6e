"""Network faults between the client and a real Hub API: the workflow still completes with outputs
byte-identical to a clean run; permanent errors fail fast, alone, and rerun alone next time."""

from __future__ import annotations

import pytest
from factory import text_rows
from faultproxy import Fault, FaultProxy
from hubserver import hub_project, parquet_bytes, planned_jobs, run_snakemake, tree_bytes

pytestmark = pytest.mark.slow

INTENT = {
    "columns": {"text": "text", "label": "intent"},
    "engines": ["intent"],
    "license": "cc0-1.0",
}


def _two_file_repo(hub_server, repo: str, offset: int) -> None:
    rows = text_rows(24)[offset : offset + 16]
    hub_server.add_dataset(
        repo,
        {
            "data/train-00000.parquet": parquet_bytes(rows[:8]),
            "data/train-00001.parquet": parquet_bytes(rows[8:]),
        },
    )


def _silver_targets(*datasets: str) -> list[str]:
    return [f"silver/{d}/manifest.parquet" for d in datasets]


def test_transient_faults_leave_no_trace(hub_server, tmp_path):
    _two_file_repo(hub_server, "flt/one", 0)
    _two_file_repo(hub_server, "flt/two", 4)
    datasets = {"one": {"hub": "flt/one", **INTENT}, "two": {"hub": "flt/two", **INTENT}}
    targets = _silver_targets("one", "two")

    clean = hub_project(tmp_path / "clean", datasets)
    run_snakemake(clean, *targets, env=hub_server.env(tmp_path / "hf-clean"))

    faults = [
        Fault(r"/api/datasets/flt/one/revision/", "status", status=503),
        Fault(
            r"/api/datasets/flt/two/revision/", "status", status=429, headers={"Retry-After": "1"}
        ),
        Fault(r"/api/datasets/flt/one/tree/", "status", status=500),
        Fault(r"flt/one/resolve/.*/train-00000\.parquet", "reset", method="GET"),
        Fault(r"flt/one/resolve/.*/train-00001\.parquet", "truncate", method="GET"),
        Fault(r"flt/two/resolve/.*/train-00000\.parquet", "stall", method="GET"),
        Fault(r"flt/two/resolve/.*/train-00001\.parquet", "status", status=500, method="GET"),
    ]
    faulty = hub_project(tmp_path / "faulty", datasets)
    with FaultProxy(hub_server.olah_url, stall_seconds=6) as proxy:
        for f in faults:
            proxy.add(f)
        env = hub_server.env(tmp_path / "hf-faulty", endpoint=proxy.url)
        run_snakemake(faulty, *targets, env=env, timeout=240)
        assert [f.times for f in proxy.faults] == [0] * len(faults), "every fault was injected"
        outcomes = {o for _, _, o in proxy.requests()}
        assert {"reset", "truncate", "stall", 500, 503, 429} <= outcomes

    patterns = ("raw/**/*", "silver/**/*")
    want, got = tree_bytes(clean, *patterns), tree_bytes(faulty, *patterns)
    assert sorted(got) == sorted(want)
    assert got == want
    assert not [p for p in got if "/.tmp-" in p or p.startswith(".tmp-")]


def test_permanent_errors_fail_fast_and_rerun_alone(hub_server, tmp_path):
    _two_file_repo(hub_server, "perm/ok", 0)
    _two_file_repo(hub_server, "perm/gated", 2)
    datasets = {
        "ok": {"hub": "perm/ok", **INTENT},
        "gated": {"hub": "perm/gated", **INTENT},
        "missing": {"hub": "perm/missing", **INTENT},
    }
    targets = _silver_targets("ok", "gated", "missing")
    project = hub_project(tmp_path / "p", datasets)
    with FaultProxy(hub_server.olah_url) as proxy:
        proxy.add(Fault(r"perm/gated", "status", 1000, 403, headers={"X-Error-Code": "GatedRepo"}))
        env = hub_server.env(
            tmp_path / "hf", endpoint=proxy.url, HF_TOKEN="hf_notARealTokenForTests"
        )
        run = run_snakemake(project, "--keep-going", *targets, env=env, check=False)
        assert run.returncode != 0
        assert (project / "silver/ok/manifest.parquet").is_file()
        assert not (project / "raw/gated/manifest.json").exists()
        assert not (project / "raw/missing/manifest.json").exists()
        # No retry storm: one refused request each, no backoff loop, no rule-level retries.
        assert len(proxy.requests("perm/gated")) == 1, proxy.requests("perm/gated")
        assert len(proxy.requests("perm/missing")) == 1, proxy.requests("perm/missing")
        gated_log = (project / "logs/ingest/gated.log").read_text()
        assert "perm/gated is gated and access was refused (HTTP 403)" in gated_log
        assert "export HF_TOKEN" in gated_log
        assert "hf_notARealTokenForTests" not in gated_log
        missing_log = (project / "logs/ingest/missing.log").read_text()
        assert "perm/missing (revision 'main') was not found on the Hub" in missing_log

        # Fix both problems: the next invocation reruns exactly the two failed datasets.
        proxy.clear()
        _two_file_repo(hub_server, "perm/missing", 4)
        jobs = planned_jobs(project, *targets, env=env)
        assert {w.split(",")[0] for _, w in jobs} == {"ds=gated", "ds=missing"}, jobs
        assert sorted({r for r, _ in jobs}) == ["ingest", "merge_silver", "plan", "standardize"]
        run_snakemake(project, *targets, env=env)
        assert not [r for r in proxy.requests() if "perm/ok" in r[1]]
