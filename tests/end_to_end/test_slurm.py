"""profiles/slurm against a real one-node SLURM cluster on localhost (munged, slurmctld, slurmd).

The fixture starts the cluster with scripts/slurm_local_cluster.sh in a fresh folder and always
stops it again. The test runs a small factory project to gold/ through the profile, proves the
remote jobs went through the scheduler (squeue records, the plugin's per-job logs, slurmctld's
log), that local rules and grouping behaved as the profile says, and that gold/ is byte-identical
to a plain local run of the same project.

Skips (saying why) where SLURM cannot run: not root, or slurm-wlm/munge missing. CI sets
FOUNDRY_REQUIRE_SLURM=1 so that there a skip becomes a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from factory import make_project, speech_rows, text_rows, write_dataset

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = ROOT / "scripts" / "slurm_local_cluster.sh"
DAEMONS = ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "srun", "squeue", "sinfo")
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
RUN_TIMEOUT_S = 600

# What the profile must send to SLURM for this project (job comment -> count); everything else
# (ingest, merge_silver, card, gold, all) is a localrule and must not appear in the queue.
EXPECTED_REMOTE = {
    "rule_plan_wildcards_sp": 1,
    "rule_plan_wildcards_it": 1,
    "rule_shards_standardize": 1,  # all 3 shard jobs in one group job (2 if the plans end apart)
    "rule_allocate_wildcards_stt": 1,
    "rule_allocate_wildcards_intent": 1,
}
SHARDS = {"sp": 2, "it": 1}


def _why_no_slurm() -> str | None:
    path = os.environ.get("PATH", "") + ":/usr/sbin"
    missing = [b for b in DAEMONS if shutil.which(b, path=path) is None]
    if missing:
        return f"SLURM test cluster needs {', '.join(missing)}: apt-get install slurm-wlm munge"
    if os.geteuid() != 0:
        return "SLURM test cluster needs root (slurmd starts jobs as the submitting user)"
    if SYSTEM_CONF.exists() and not SYSTEM_CONF.is_symlink():
        return f"{SYSTEM_CONF} exists: this machine has its own SLURM; not starting a test cluster"
    return None


@pytest.fixture(scope="module")
def slurm_cluster() -> Iterator[dict[str, str]]:
    """Environment for SLURM clients of a freshly started one-node cluster (stopped afterwards)."""
    reason = _why_no_slurm()
    if reason:
        if os.environ.get("FOUNDRY_REQUIRE_SLURM") == "1":
            pytest.fail(f"FOUNDRY_REQUIRE_SLURM=1 but {reason}")
        pytest.skip(reason)
    # Short path: the munge socket inside it must stay under the 108-byte UNIX socket limit.
    state = Path(tempfile.mkdtemp(prefix="foundry-slurm-"))
    env = {**os.environ, "PATH": os.environ.get("PATH", "") + ":/usr/sbin"}
    try:
        start = subprocess.run(
            [str(CLUSTER), "start", str(state)],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if start.returncode != 0:
            logs = "\n".join(
                f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}"
                for p in sorted((state / "log").glob("*.log"))
            )
            pytest.fail(f"could not start the SLURM test cluster:\n{start.stderr}\n{logs}")
        yield {**env, "SLURM_CONF": str(state / "slurm.conf"), "FOUNDRY_SLURM_DIR": str(state)}
    finally:
        subprocess.run([str(CLUSTER), "stop", str(state)], env=env, timeout=180, check=False)
        shutil.rmtree(state, ignore_errors=True)


def _project(tmp: Path) -> Path:
    hub = tmp / "hub"
    write_dataset(hub / "speech", speech_rows(n=12, speakers=6))
    write_dataset(hub / "intents", text_rows(n=24))
    return make_project(
        tmp,
        {
            "sp": {
                "path": "hub/speech",
                "columns": {"audio": "audio", "text": "sentence", "speaker": "spk"},
                "engines": ["stt"],
                "shards": SHARDS["sp"],
                "license": "cc0-1.0",
            },
            "it": {
                "path": "hub/intents",
                "columns": {"text": "text", "label": "intent"},
                "engines": ["intent"],
                "shards": SHARDS["it"],
                "license": "cc0-1.0",
            },
        },
    )


def _tree(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


def _squeue(env: dict[str, str], run_id: str) -> list[tuple[str, str, str, int, str]]:
    """(job id, state, comment, cpus, time limit) of this run's jobs (kept for MinJobAge)."""
    out = subprocess.run(
        ["squeue", "--states=all", "--noheader", "--name", run_id, "--format=%i|%T|%k|%C|%l"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    rows = [line.split("|") for line in out.splitlines() if line.strip()]
    return [(r[0], r[1], r[2], int(r[3]), r[4]) for r in rows]


@pytest.mark.slow
def test_slurm_profile_runs_gold_through_the_scheduler(slurm_cluster, tmp_path):
    env = slurm_cluster
    cores = min(8, len(os.sched_getaffinity(0)))

    local = _project(tmp_path / "local")
    plain = subprocess.run(
        ["snakemake", "--cores", "2", "gold"],
        cwd=local,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    assert plain.returncode == 0, (plain.stdout + plain.stderr)[-6000:]

    cluster = _project(tmp_path / "cluster")
    node_mem = subprocess.run(
        ["sinfo", "--noheader", "--Node", "--format=%m"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.split()[0]
    extra = [] if int(node_mem) >= 8000 else ["--set-resources", "allocate:mem_mb=4000"]
    cmd = [
        "snakemake",
        "gold",  # targets first: --set-resources below takes every word after it
        "--profile",
        "profiles/slurm",
        "--cores",
        str(cores),  # the one node's size (the profile's 8 assumes real compute nodes)
        "--slurm-init-seconds-before-status-checks",
        "4",  # then every +10 s until a job ends: 4, 18, 42 s after submission
        "--slurm-no-account",
        *extra,
    ]
    run = subprocess.run(
        cmd, cwd=cluster, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S
    )
    log = run.stdout + run.stderr
    (cluster / "slurm-run.log").write_text(log)  # for a look after a failure
    assert run.returncode == 0, log[-6000:]

    # 1. The remote rules really went through SLURM, as the profile groups them.
    run_id = re.search(r"SLURM run ID: (\S+)", log).group(1)
    jobs = _squeue(env, run_id)
    comments: dict[str, int] = {}
    for _, _, comment, *_ in jobs:
        comments[comment] = comments.get(comment, 0) + 1
    groups = comments.pop("rule_shards_standardize", 0)
    assert groups in (1, 2), jobs  # shards of plans that end in the same status poll share one
    assert comments == {k: v for k, v in EXPECTED_REMOTE.items() if "shards" not in k}, jobs
    assert {state for _, state, *_ in jobs} == {"COMPLETED"}, jobs
    assert all(job[3] <= cores for job in jobs), jobs

    # 2. Each SLURM job left the plugin's log under its job id; the group jobs ran every shard,
    # each asking for what its serial members need: 1 cpu, their runtimes (60 min each) summed.
    slurm_logs = {p.stem: p for p in (cluster / ".snakemake/slurm_logs").rglob("*.log")}
    job_ids = {job_id for job_id, *_ in jobs}
    assert set(slurm_logs) == job_ids
    ran: list[tuple[str, str]] = []
    for job_id, _, comment, cpus, limit in jobs:
        text = slurm_logs[job_id].read_text(errors="replace")
        assert re.search(r"(\d+) of \1 steps \(100%\) done", text), (comment, text[-2000:])
        if comment == "rule_shards_standardize":
            members = sorted(set(re.findall(r"wildcards: ds=(\w+), shard=(\d{5})", text)))
            ran += members
            assert (cpus, limit) == (1, f"{len(members)}:00:00"), (job_id, members, jobs)
    assert sorted(ran) == sorted((ds, f"{k:05d}") for ds, n in SHARDS.items() for k in range(n))

    # 3. slurmctld itself scheduled and completed them (no accounting database involved).
    ctld = (Path(env["FOUNDRY_SLURM_DIR"]) / "log" / "slurmctld.log").read_text(errors="replace")
    for job_id in job_ids:
        # the main scheduler logs "sched: Allocate JobId=N", the backfill one (which takes jobs
        # when the main pass is busy, e.g. on a loaded machine) "backfill: ... Started JobId=N"
        started = (f"sched: Allocate JobId={job_id} ", f"Started JobId={job_id} ")
        assert any(s in ctld for s in started), (job_id, ctld[-3000:])
        assert f"_job_complete: JobId={job_id} done" in ctld

    # 4. Local rules stayed local: their logs exist, but the queue never saw them.
    for ds in SHARDS:
        assert (cluster / f"logs/ingest/{ds}.log").exists()
        assert (cluster / f"logs/merge_silver/{ds}.log").exists()
    assert not any(
        d.name.startswith(("rule_ingest", "rule_merge_silver", "rule_gold"))
        for d in (cluster / ".snakemake/slurm_logs").iterdir()
    )

    # 5. Same data as the local run, byte for byte.
    local_gold, cluster_gold = _tree(local / "gold"), _tree(cluster / "gold")
    assert sorted(cluster_gold) == sorted(local_gold)
    assert any(name.endswith("train.parquet") for name in cluster_gold)
    differing = [name for name in local_gold if local_gold[name] != cluster_gold[name]]
    assert not differing, differing


@pytest.mark.slow
def test_slurm_profile_maps_gpu_resource_to_gpus(slurm_cluster, tmp_path):
    """A rule's `gpu` resource reaches sbatch as --gpus=<n> (no GPUs here: SLURM refuses it)."""
    project = _project(tmp_path)
    run = subprocess.run(
        [
            "snakemake",
            "silver/it/plan.parquet",
            "--profile",
            "profiles/slurm",
            "--cores",
            "1",
            "--slurm-no-account",
            "--retries",
            "0",
            "--set-resources",
            "plan:gpu=2",
        ],
        cwd=project,
        env=slurm_cluster,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    log = run.stdout + run.stderr
    assert run.returncode != 0, log[-3000:]
    calls = [line for line in log.splitlines() if line.strip().startswith("sbatch --parsable")]
    assert calls and all(" --gpus=2 " in call for call in calls), log[-3000:]
    assert (project / "raw/it/manifest.json").exists()  # ingest ran locally before that
