"""Object storage (docs/s3.md): the demo through `snakemake --profile profiles/s3 gold/`, every
file in a bucket of a real S3 API server on 127.0.0.1 (moto's server mode, tests/s3server.py).

One build, then: the published gold (and raw manifests, silver, splits) byte-identical to a plain
local run (the session's ``demo_gold``); a second run, here and from a fresh checkout, has nothing
to do; a job started from a fresh checkout reads its inputs from the bucket; one changed dataset
reruns only its own jobs and its engine, and gold/ is replaced as a whole; the planted AWS keys
sign the requests but appear in no file, object or log; request counts per object.

Needs moto[server], boto3 and snakemake-storage-plugin-s3 (pyproject's dev extra, installed by
setup.sh): skipped without them, except in CI (CI=true or FOUNDRY_REQUIRE_S3=1), where a missing
one fails.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from workflow import ROOT, copy_project, job_counts, tree_bytes

BUCKET = "foundry-s3-test"
PREFIX = "demo/build"  # key prefix: objects are s3://BUCKET/PREFIX/<project path>
ACCESS_KEY = "AKIAPLANTED7Q3XZK2M9V"  # planted: may sign requests, must be written nowhere
SECRET_KEY = "pLaNtEd/SeCrEt+Key0123456789abcdefGHIJKLmn"
SESSION_TOKEN = "PlantedSessionToken/0123456789+abcdefghijklmnopqrstuvwxyz=="
ENGINES = ["dialect", "intent", "sentiment", "stt", "text"]
DEPS = ("moto", "flask", "flask_cors", "boto3", "snakemake_storage_plugin_s3")
RUN_TIMEOUT_S = 600


def _missing_deps() -> list[str]:
    return [m for m in DEPS if importlib.util.find_spec(m) is None]


def _require_deps() -> None:
    missing = _missing_deps()
    if not missing:
        return
    why = f"object storage test needs {', '.join(missing)}: pip install -e '.[dev]'"
    if os.environ.get("CI") == "true" or os.environ.get("FOUNDRY_REQUIRE_S3") == "1":
        pytest.fail(f"required here (CI=true or FOUNDRY_REQUIRE_S3=1) but {why}")
    pytest.skip(why)


# --- running Snakemake against the bucket ------------------------------------------------------


@dataclass
class Build:
    s3: object  # s3server.S3Server
    proj: Path
    home: Path
    env: dict[str, str]
    consoles: list[str] = field(default_factory=list)  # every run's stdout + stderr
    first: tuple[int, int] = (0, 0)  # request-log range of the first build
    first_jobs: int = 0
    first_objects: dict[str, bytes] = field(default_factory=dict)  # the bucket after it
    seconds: dict[str, float] = field(default_factory=dict)
    workdirs: set[Path] = field(default_factory=set)  # every folder Snakemake ran in

    def run(self, *args: str, cwd: Path | None = None, check: bool = True, name: str = "", s3=True):
        t = time.monotonic()
        self.workdirs.add(cwd or self.proj)
        profile = ["--profile", "profiles/s3"] if s3 else []
        run = subprocess.run(
            [sys.executable, "-m", "snakemake", *profile, *args],
            cwd=cwd or self.proj,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
        )
        self.seconds[name or " ".join(args)] = round(time.monotonic() - t, 1)
        self.consoles.append(run.stdout + run.stderr)
        if check and run.returncode != 0:
            raise AssertionError(
                f"snakemake {' '.join(args)} failed:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
            )
        return run

    def bucket(self, under: str = "") -> dict[str, bytes]:
        """{project path: bytes} of the objects under PREFIX/<under>."""
        objs = self.s3.objects(BUCKET, f"{PREFIX}/{under}")
        return {k[len(PREFIX) + 1 :]: v for k, v in objs.items()}


def child_env(s3, home: Path) -> dict[str, str]:
    """This environment without any S3/AWS settings of the developer's, plus the test server's."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "SNAKEMAKE_STORAGE_", "FOUNDRY_S3_"))
    }
    env.update(s3.env(ACCESS_KEY, SECRET_KEY))
    env["AWS_SESSION_TOKEN"] = SESSION_TOKEN
    env["FOUNDRY_S3_PREFIX"] = f"s3://{BUCKET}/{PREFIX}"
    env["HOME"] = str(home)  # anything written under ~ is scanned for the keys too
    return env


@pytest.fixture(scope="module")
def s3() -> Iterator[object]:
    _require_deps()
    from s3server import S3Server

    with S3Server() as server:
        server.create_bucket(BUCKET)
        yield server


@pytest.fixture(scope="module")
def build(s3, tmp_path_factory) -> Build:
    """The demo built once to gold/ with every file in the bucket."""
    proj = copy_project(tmp_path_factory.mktemp("s3-demo"))
    home = tmp_path_factory.mktemp("s3-home")
    b = Build(s3, proj, home, child_env(s3, home))
    start = s3.mark()
    run = b.run("--cores", "2", "gold/", name="first build")
    b.first = (start, s3.mark())
    b.first_jobs = sum(job_counts(run.stdout + run.stderr).values())
    b.first_objects = b.bucket()
    return b


# --- the tests ---------------------------------------------------------------------------------


def test_profile_takes_nothing_secret_from_files():
    """profiles/s3 names the provider and where the prefix comes from; no credential settings."""
    profile = yaml.safe_load((ROOT / "profiles/s3/config.yaml").read_text("utf-8"))
    assert profile["default-storage-provider"] == "s3"
    assert profile["default-storage-prefix"] == "$FOUNDRY_S3_PREFIX"
    secret = re.compile(r"key|secret|token|password|credential", re.I)
    assert [k for k in profile if secret.search(k)] == []


@pytest.mark.slow
def test_every_output_is_in_the_bucket_and_gold_matches_a_local_run(build, demo_gold):
    objs = build.first_objects
    # gold/ as published by the atomic swap, byte for byte what a plain local run publishes
    local_gold = tree_bytes(demo_gold, "gold/*/*")
    remote_gold = {k: v for k, v in objs.items() if re.fullmatch(r"gold/[^/]+/[^/]+", k)}
    assert sorted({k.split("/")[1] for k in remote_gold}) == ENGINES
    assert remote_gold.keys() == local_gold.keys()
    assert [k for k in local_gold if local_gold[k] != remote_gold[k]] == []
    # ... and so is everything upstream of it
    patterns = ("raw/*/manifest.json", "silver/*/shards/*.tar", "silver/*/*.parquet", "splits/*/*")
    local = tree_bytes(demo_gold, *patterns)
    assert len(local) > 40
    assert [k for k in local if objs.get(k) != local[k]] == []
    # every declared output is an object: the raw snapshot too (plan and standardize read it),
    # every job's log and benchmark
    cfg = yaml.safe_load((build.proj / "config/config.yaml").read_text("utf-8"))
    for ds in cfg["datasets"]:
        manifest = json.loads(objs[f"raw/{ds}/manifest.json"])
        for f in manifest["files"]:
            assert objs.get(f"raw/{ds}/files/{f['path']}") is not None, (ds, f)
    logs = [k for k in objs if k.startswith("logs/")]
    assert build.first_jobs > 40 and len(logs) == build.first_jobs  # one per job
    assert "logs/gold/publish.log" in objs
    # the working tree was only a cache: no data file stayed behind
    left = [
        p.relative_to(build.proj).as_posix()
        for d in ("raw", "silver", "splits", "gold")
        for p in (build.proj / d).rglob("*")
        if p.is_file()
    ]
    assert left == []


@pytest.mark.slow
def test_a_copy_of_the_bucket_passes_validate(build, tmp_path):
    """validate reads local files: a plain copy of the prefix (what `aws s3 sync` makes) is a
    complete, verifiable build, raw snapshot included."""
    synced = copy_project(tmp_path / "synced")
    for path, data in build.first_objects.items():
        (synced / path).parent.mkdir(parents=True, exist_ok=True)
        (synced / path).write_bytes(data)
    build.run("--cores", "1", "validate", cwd=synced, s3=False, name="validate a synced copy")
    report = json.loads((synced / "reports/validate.json").read_text("utf-8"))
    assert report["ok"] is True and report["problems"] == []
    assert len(report["checked"]["datasets"]) == 8


@pytest.mark.slow
def test_second_run_has_nothing_to_do_here_or_on_a_fresh_checkout(build, tmp_path):
    s3 = build.s3
    mark = s3.mark()
    run = build.run("-n", "--cores", "1", "gold/", name="second run (dry)")
    assert job_counts(run.stdout + run.stderr) == {}
    reads = s3.count(mark, ACCESS_KEY)
    print(f"no-op dry run: {dict(reads)}")
    assert reads and not {"PutObject", "DeleteObject", "DeleteObjects"} & set(reads), reads
    # A second machine: a fresh copy of the project (file times kept) and the same prefix.
    fresh = copy_project(tmp_path / "fresh")
    run = build.run("-n", "--cores", "1", "gold/", cwd=fresh, name="fresh checkout (dry)")
    assert job_counts(run.stdout + run.stderr) == {}
    # It can run any step: publishing again reads every splits/ file from the bucket.
    before = build.bucket("gold/")
    mark = s3.mark()
    build.run("--cores", "1", "--forcerun", "gold", "--", "gold/", cwd=fresh, name="forced gold")
    gets = [r.key for r in s3.log(mark, ACCESS_KEY) if r.op == "GetObject"]
    print(f"publish from a fresh checkout: {dict(s3.count(mark, ACCESS_KEY))}")
    splits = {f"{PREFIX}/splits/{e}/{f}" for e in ENGINES for f in SPLIT_FILES}
    assert sorted(gets) == sorted(splits)  # each input retrieved exactly once
    assert build.bucket("gold/") == before
    # With object storage the deployment decision stays a local file, beside the registry.
    run = build.run("-n", "--target-jobs", "deploy_engine:engine=intent", name="deploy plan")
    out = run.stdout + run.stderr
    assert "output: deploy/intent/decision.json\n" in out
    assert f"s3://{BUCKET}/{PREFIX}/models/intent/metrics.json" in out
    assert f"s3://{BUCKET}/{PREFIX}/logs/tensorboard/intent (send to storage)" in out


SPLIT_FILES = ("train.parquet", "dev.parquet", "test.parquet", "labels.json", "stats.json")
SPLIT_FILES += ("README.md", "checksums.json")  # publish checks the splits against it


@pytest.mark.slow
def test_one_changed_dataset_reruns_only_its_jobs_and_replaces_gold(build):
    s3, proj = build.s3, build.proj
    before = build.bucket("gold/")
    # a stale object under gold/ (an engine since removed from the config): gold/ is one output,
    # so publishing again must leave nothing of the old one behind
    s3.client().put_object(Bucket=BUCKET, Key=f"{PREFIX}/gold/retired/train.parquet", Body=b"x")
    f = next((proj / "demo/hub/datasets/foundry-demo/rasa-ml/data").glob("*.parquet"))
    t = pq.read_table(f)
    pq.write_table(t.slice(0, t.num_rows - 1), f)  # upstream dropped one row
    run = build.run("-n", "--cores", "1", "gold/", name="changed dataset (dry)")
    out = run.stdout + run.stderr
    assert job_counts(out) == {
        "ingest": 1,
        "plan": 1,
        "standardize": 1,
        "merge_silver": 1,
        "allocate": 1,
        "card": 1,
        "gold": 1,
    }
    assert "demo_rasa" in out and "demo_sentiment" not in out
    assert "engine=text" in out and "engine=stt" not in out
    mark = s3.mark()
    build.run("--cores", "2", "gold/", name="changed dataset")
    after = build.bucket("gold/")
    assert not [k for k in after if k.startswith("gold/retired/")]
    changed = sorted(k for k in after if before.get(k) != after[k])
    assert changed and all(k.startswith("gold/text/") for k in changed), changed
    # the published checksums describe the published objects
    for engine in ENGINES:
        record = json.loads(after[f"gold/{engine}/checksums.json"])
        for name, entry in record["files"].items():
            data = after[f"gold/{engine}/{name}"]
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], (engine, name)
    print(f"one changed dataset: {dict(s3.count(mark, ACCESS_KEY))}")
    writes = Counter(r.key.split("/")[2] for r in s3.log(mark, ACCESS_KEY) if r.op == "PutObject")
    assert writes["silver"] == 7  # plan, 4 shard outputs, manifest, rejects of demo_rasa only


@pytest.mark.slow
def test_request_counts_per_object(build):
    """What the first build asked of the bucket (docs/s3.md, "Requests and costs")."""
    s3 = build.s3
    log = s3.log(build.first[0], ACCESS_KEY)[: build.first[1] - build.first[0]]
    ops = Counter(r.op for r in log)
    puts = Counter(r.key for r in log if r.op == "PutObject")
    objects = build.first_objects
    # every object is uploaded once; single machine: local copies are reused, nothing is fetched
    assert {k[len(PREFIX) + 1 :] for k in puts} == objects.keys()
    assert set(puts.values()) == {1}
    assert ops["GetObject"] == 0 and ops["DeleteObject"] == 0
    shards = sorted(k for k in puts if k.endswith(".tar"))
    assert len(shards) == 10
    per_shard = {}
    for tar in shards:
        ds, n = re.search(r"silver/([^/]+)/shards/shard-(\d+)\.tar", tar).groups()
        own = (
            tar,
            f"{PREFIX}/silver/{ds}/parts/shard-{n}.parquet",
            f"{PREFIX}/silver/{ds}/parts/rejects-{n}.parquet",
            f"{PREFIX}/silver/{ds}/parts/hashes-{n}.parquet",
            f"{PREFIX}/logs/standardize/{ds}-{n}.log",
            f"{PREFIX}/benchmarks/standardize/{ds}-{n}.tsv",
        )
        per_shard[f"{ds}-{n}"] = dict(Counter(r.op for r in log if r.key in own))
    summary = {
        "jobs": build.first_jobs,
        "requests": dict(ops),
        "objects": len(objects),
        "bytes": sum(map(len, objects.values())),
        "per_shard": per_shard,
        "seconds": build.seconds,
    }
    print(json.dumps(summary, indent=1, sort_keys=True))
    for counts in per_shard.values():
        assert counts["PutObject"] == 6  # tar, kept rows, rejects, hashes, log, benchmark
        assert counts.get("GetObject", 0) == 0
    # The rest are Snakemake's existence and time checks (HeadObject, ListObjects, HeadBucket):
    # about 110 per job measured, their spread over objects depends on the order jobs finish in.
    # This catches a request storm.
    assert sum(ops.values()) < 250 * build.first_jobs


@pytest.mark.slow
def test_planted_keys_sign_requests_but_are_written_nowhere(build):
    s3 = build.s3
    # the environment's keys were really used (so this is not vacuous) ...
    assert len(s3.log(0, ACCESS_KEY)) > 100
    assert not [r for r in s3.log(0) if r.access_key not in (ACCESS_KEY, "test-harness")]
    # ... yet no file in any project folder Snakemake ran in (.snakemake included) or under
    # $HOME, no object in the bucket and no console output holds any of them
    planted = [ACCESS_KEY.encode(), SECRET_KEY.encode(), SESSION_TOKEN.encode()]
    roots = sorted(build.workdirs | {build.home})
    files = [p for root in roots for p in root.rglob("*") if p.is_file()]
    assert len(files) > 20
    leaks = [
        str(p) for p in files if not p.is_symlink() and any(k in p.read_bytes() for k in planted)
    ]
    leaks += [k for k, v in build.bucket().items() if any(s in v for s in planted)]
    leaks += [
        f"console of run {i}"
        for i, c in enumerate(build.consoles)
        if any(k.decode() in c for k in planted)
    ]
    assert leaks == []
