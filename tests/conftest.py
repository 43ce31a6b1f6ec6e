"""Shared pytest fixtures. Keep this generic: helpers live in their own test modules."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hubserver import HubServer, running  # noqa: E402


@pytest.fixture(scope="session")
def hub_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    """A real Hub API (olah over local git repos) on 127.0.0.1 for the whole session.

    Tests add their own repos with ``hub_server.add_dataset("org/name", {...})`` (use unique
    names per test) and run ingestion in a child process with ``env=hub_server.env(hf_home)``.
    """
    with running(tmp_path_factory.mktemp("hubserver")) as server:
        yield server


@pytest.fixture(scope="session")
def demo_gold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded demo built once through `snakemake gold/` (about a minute on 2 cores).

    Shared and read-only: copy it (``shutil.copytree(demo_gold, dest, symlinks=True)`` keeps
    mtimes, so Snakemake sees it up to date) before running further targets in it.
    """
    from workflow import copy_project, snakemake

    proj = copy_project(tmp_path_factory.mktemp("demo-gold"))
    snakemake(proj, "--cores", "2", "gold/")
    return proj


@pytest.fixture(scope="session")
def readme_build(tmp_path_factory: pytest.TempPathFactory):
    """Every runnable README block, in order, on a fresh copy (the whole demo: ~6 min on 2 cores).

    Shared with the training tests, which copy it (``shutil.copytree(..., symlinks=True)``)
    rather than build the demo a second time; never change it in place.
    """
    from readme import run_all
    from workflow import ROOT, copy_project

    proj = copy_project(tmp_path_factory.mktemp("readme") / "project")
    return run_all(proj, ROOT / "README.md")
