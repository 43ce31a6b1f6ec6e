"""The newcomer check: every README block that needs no network or cluster runs, in order, on a
fresh copy of the project, and exits 0 (the build is shared with the training tests; slow)."""

from __future__ import annotations

import json
import re

import pytest
from readme import SKIP_REASONS, Block, blocks, runnable, shell_script
from workflow import ROOT

from foundry import paths

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_blocks_are_found_with_their_skip_reason():
    text = "a\n<!-- readme-test: skip: cluster -->\n```bash\nsbatch x\n```\n```yaml\nk: 1\n```\n"
    assert blocks(text) == [Block(3, "bash", "sbatch x", "cluster"), Block(6, "yaml", "k: 1", None)]
    assert not any(map(runnable, blocks(text)))


def test_shell_script_substitutions_are_the_stated_ones():
    code = (
        "./setup.sh && snakemake --cores 8 gold/   # build\n"
        "./setup.sh && python3 -m pytest -q\n"
        "foundry serve --port 8000 --config c.yaml   # serve\n"
        "curl -s localhost:8000/metrics\n"
    )
    body = shell_script(code, 4321).split("\n", 2)[2]
    assert body == (
        "snakemake --cores 8 gold/   # build\n"
        "foundry serve --port 4321 --config c.yaml    >serve.log 2>&1 & echo $! >serve.pid\n"
        "curl -s localhost:4321/metrics\n"
    )
    prompt = '$ jq . d.json\n{\n  "a": 1\n}'
    assert shell_script(prompt, 1).endswith("\njq . d.json\n")


def test_every_skipped_block_says_a_known_reason():
    found = blocks(README)
    skipped = [b for b in found if b.skip]
    assert {b.skip for b in skipped} <= set(SKIP_REASONS), [b.line for b in skipped]
    for b in skipped:  # only the commands that truly need the outside world are skipped
        assert re.search(r"production\.yaml|HF_TOKEN|profiles/slurm|s3://", b.code), b.line
    ran = "\n".join(b.code for b in filter(runnable, found))
    for command in ("snakemake --cores 8 gold/", "snakemake --report report.html", "validate"):
        assert command in ran
    assert "foundry serve" in ran and "/v1/intent" in ran and "/metrics" in ran


@pytest.mark.slow
def test_every_runnable_block_exits_zero(readme_build):
    expected = [b.line for b in blocks(README) if runnable(b)]
    failed = [r for r in readme_build.results if r.returncode != 0]
    assert not failed, "\n\n".join(
        f"README.md:{r.block.line} exited {r.returncode}:\n{r.block.code}\n---\n{r.output[-3000:]}"
        for r in failed
    )
    assert [r.block.line for r in readme_build.results] == expected


@pytest.mark.slow
def test_the_blocks_built_and_served_what_the_readme_says(readme_build):
    proj = readme_build.project
    for engine in ("stt", "dialect", "intent", "sentiment", "text"):
        assert (proj / paths.metrics(engine)).is_file(), engine
    assert (proj / "report.html").stat().st_size > 100_000
    validate = json.loads((proj / "reports/validate.json").read_text(encoding="utf-8"))
    assert validate["ok"] is True
    out = {r.block.line: r.output for r in readme_build.results}
    serving = next(o for o in out.values() if '"engine": "intent"' in o or '"engine":"intent"' in o)
    by_engine = {a["engine"]: a["output"] for a in json_objects(serving)}
    assert set(by_engine) == {"stt", "dialect", "intent", "sentiment"}
    assert re.search(r"[\u0d00-\u0d7f]", by_engine["stt"])  # Malayalam heard on the phone line
    labels = json.loads((proj / paths.split_labels("dialect")).read_text(encoding="utf-8"))
    assert by_engine["dialect"] in labels["labels"]
    metrics = [line for o in out.values() for line in o.splitlines()]
    assert any(line.startswith('foundry_requests_total{engine="intent"') for line in metrics)


def json_objects(text: str) -> list[dict]:
    """The JSON objects curl printed one after another (curl adds no newline after a body)."""
    decoder, found, i = json.JSONDecoder(), [], text.find("{")
    while i != -1:
        try:
            obj, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            i = text.find("{", i + 1)
            continue
        found.append(obj)
        i = text.find("{", end)
    return found
