"""The `foundry` command and the workflow's steps answer expected situations in one sentence."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from foundry import __version__, cli, runner
from foundry.deploy import registry
from foundry.errors import UserError
from foundry.ingest import refresh
from foundry.report.pages import ReportError
from foundry.train.common import TrainError
from foundry.whisper_package import PackageError


def test_version_exits_zero(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out == f"foundry {__version__}\n"


def test_rollback_without_an_earlier_champion_is_one_sentence(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "foundry.cli", "rollback", "intent", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.startswith("ERROR [rollback] intent: no previous champion")
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("content", ["seed: abc\n", None])
def test_validate_with_a_bad_or_missing_config_is_one_error_line(tmp_path, content):
    cfg = tmp_path / "bad.yaml"
    if content is not None:
        cfg.write_text(content, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "foundry.cli", "validate", "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1 and run.stdout == "", run.stdout
    assert run.stderr.startswith("ERROR [validate] "), run.stderr
    assert "Traceback" not in run.stderr
    assert ("does not exist" if content is None else "'seed'") in run.stderr


@pytest.mark.parametrize("error", [registry.RegistryError, TrainError, PackageError, ReportError])
def test_expected_errors_of_a_step_are_logged_without_a_traceback(tmp_path, error):
    """The Snakemake rollback rule (and train, report) say the sentence, not 'unexpected'."""
    assert issubclass(error, UserError)
    log = tmp_path / "step.log"
    smk = SimpleNamespace(log=[str(log)], params=SimpleNamespace(settings="{}"))
    with pytest.raises(SystemExit) as stop, runner.step("rollback", smk):
        raise error("intent: no previous champion; promote a candidate first")
    text = log.read_text(encoding="utf-8")
    assert stop.value.code == 1
    assert text == (
        "ERROR foundry.rollback: ERROR [rollback] intent: no previous champion; "
        "promote a candidate first\n"
    )


@pytest.mark.parametrize(
    ("existed", "changes", "pinned", "line"),
    [
        (False, 0, 0, "lock.json: created (no Hub datasets in the config)"),
        (False, 2, 2, "lock.json: created (2 Hub dataset(s) pinned)"),
        (True, 1, 3, "lock.json: 1 of 3 Hub dataset(s) moved, lock file rewritten"),
        (True, 0, 3, "lock.json: up to date (3 Hub dataset(s) pinned, none moved; file unchanged)"),
    ],
)
def test_refresh_says_what_it_did_to_the_lock_file(tmp_path, existed, changes, pinned, line):
    lock = tmp_path / "lock.json"
    pin = {"repo": "o/r", "requested": "main", "sha": "a" * 40}
    entries = {f"d{i}": pin for i in range(pinned)}
    refresh.write_text(lock, refresh.dumps_json({"datasets": entries}))
    moved = [refresh.Change(f"d{i}", None, "a" * 40) for i in range(changes)]
    assert refresh.summary(lock, moved, created=not existed) == str(tmp_path / line)


def test_refresh_of_a_config_without_hub_datasets_says_it_created_the_lock(tmp_path, capsys):
    cfg = Path(__file__).resolve().parents[1] / "config/config.yaml"
    lock = tmp_path / "hub.lock.json"
    assert cli.main(["refresh", "--config", str(cfg), "--lockfile", str(lock)]) == 0
    assert capsys.readouterr().out == f"{lock}: created (no Hub datasets in the config)\n"
    assert json.loads(lock.read_text(encoding="utf-8")) == {"datasets": {}}


def test_a_side_job_runs_at_its_nice_resource_and_others_keep_theirs(tmp_path):
    code = (
        "import os; from types import SimpleNamespace as N; from foundry import runner;"
        "print(os.nice(0), runner.yield_cpu(N(nice={})), runner.yield_cpu(None))"
    )
    for nice in (0, 7):
        out = subprocess.run(
            [sys.executable, "-c", code.format(nice)], capture_output=True, text=True, check=True
        ).stdout.split()
        start = int(out[0])
        assert [int(x) for x in out] == [start, start + nice, start + nice]
