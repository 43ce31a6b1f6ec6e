"""House conventions that CI enforces: ruff, snakefmt, snakemake --lint, no remote code."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)


def test_ruff_clean():
    r = run(sys.executable, "-m", "ruff", "check", ".")
    assert r.returncode == 0, r.stdout + r.stderr
    r = run(sys.executable, "-m", "ruff", "format", "--check", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_snakefmt_clean():
    smk = ["Snakefile", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "rules").glob("*.smk"))]
    r = run("snakefmt", "--check", *smk)
    assert r.returncode == 0, r.stdout + r.stderr


def test_snakemake_lint_clean():
    r = run(sys.executable, "-m", "snakemake", "--lint")
    out = r.stdout + r.stderr
    assert r.returncode == 0 and "Congratulations" in out, out[-3000:]


def test_every_rule_declares_log_threads_resources_and_conda():
    text = "\n".join(p.read_text() for p in sorted((ROOT / "rules").glob("*.smk")))
    blocks = [b for b in text.split("\nrule ")[1:]]
    assert blocks
    for block in blocks:
        name = block.split(":", 1)[0]
        if not any(d in block for d in ("script:", "shell:", "run:", "notebook:")):
            continue  # a pure target rule (e.g. `all`) only collects inputs
        for directive in ("log:", "threads:", "resources:", "conda:"):
            assert directive in block, f"rule {name} lacks {directive}"


def test_params_carrying_config_text_are_functions():
    """Snakemake formats a plain-string param with the job's wildcards: a config value holding
    braces (production.yaml's ``data/{train,validation,test}-*``) stopped the DAG with a
    WildcardError. A function's result is passed as it is."""
    import re

    offenders = []
    for path in sorted((ROOT / "rules").glob("*.smk")):
        in_params = False
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            stripped = line.strip()
            if stripped == "params:":
                in_params, indent = True, len(line) - len(line.lstrip())
                continue
            if in_params and stripped and len(line) - len(line.lstrip()) <= indent:
                in_params = False
            m = re.match(r"\s*\w+=(.*)", line) if in_params else None
            if m and re.search(r"\b(steps|CFG|config|VIEW)\b", m.group(1)):
                if not m.group(1).lstrip().startswith("lambda"):
                    offenders.append(f"{path.name}:{n}: {stripped}")
    assert offenders == []


PHASES = ["shared", "ingest", "silver", "gold", "train", "deploy", "report", "top"]


def _phase(module: str) -> str:
    parts = module.split(".")
    if len(parts) < 2:
        return "shared"
    if parts[1] in PHASES:
        return parts[1]
    return "top" if parts[1] in ("validate", "cli") else "shared"


def test_imports_point_downstream_to_shared_never_back_up():
    """raw → silver → gold → train → deploy → report: a phase imports shared modules and earlier
    phases only; shared modules import no phase (validate and cli sit on top of everything)."""
    import ast

    back = []
    for f in sorted((ROOT / "foundry").rglob("*.py")):
        module = ".".join(f.relative_to(ROOT).with_suffix("").parts).replace(".__init__", "")
        mine = PHASES.index(_phase(module))
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("foundry"):
                base = node.module or ""
                names = [f"{base}.{a.name}" for a in node.names] if base == "foundry" else [base]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("foundry")]
            back += [f"{module} -> {n}" for n in names if PHASES.index(_phase(n)) > mine]
    assert back == []


def test_schema_engine_names_are_the_registry():
    import json

    from foundry import engines

    schema = json.loads((ROOT / "config/schema.json").read_text(encoding="utf-8"))
    dataset_engines = schema["$defs"]["dataset"]["properties"]["engines"]["items"]["enum"]
    assert dataset_engines == list(engines.NAMES)
    assert schema["properties"]["engines"]["propertyNames"]["enum"] == list(engines.NAMES)
    assert schema["properties"]["models"]["propertyNames"]["enum"] == list(engines.TRAINED)
    deploy = schema["properties"]["deploy"]["properties"]["engines"]["propertyNames"]["enum"]
    assert deploy == list(engines.DEPLOYABLE)
    assert schema["properties"]["engine"]["enum"] == list(engines.DEPLOYABLE)
    balance = schema["properties"]["balance"]["properties"]["engines"]
    assert balance["items"]["enum"] == list(engines.CLASSIFIERS)
    assert balance["default"] == list(engines.BALANCED)


def engine_name_comparisons(source: str) -> list[str]:
    """Comparisons of a value with an engine's name (``engine == "stt"``, ``e in ("intent", …)``).

    Engine facts belong in foundry/engines.py; elsewhere code asks the registry. Names that are
    also column roles ("text", "dialect", "translation") count only when compared with an engine.
    """
    import ast

    from foundry import engines
    from foundry.ingest.sources import ROLES

    def names(node: ast.AST) -> set[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return set().union(*map(names, node.elts)) if node.elts else set()
        return set()

    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        named = set().union(*map(names, sides)) & set(engines.NAMES)
        about_engine = any("engine" in ast.unparse(s) or "kind" in ast.unparse(s) for s in sides)
        if named - set(ROLES) or (named and about_engine):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_engine_names_are_compared_only_in_the_registry():
    assert engine_name_comparisons('if engine == "stt": pass') == ["1: engine == 'stt'"]
    assert engine_name_comparisons('x = [e for e in ("intent", "sentiment")]') == []
    assert engine_name_comparisons('ok = e in ("intent", "sentiment")') == [
        "1: e in ('intent', 'sentiment')"
    ]
    assert engine_name_comparisons('ok = "dialect" in mapped') == []  # the district column
    assert engine_name_comparisons('ok = self.engine != "dialect"') != []
    found = {}
    for path in sorted([*(ROOT / "foundry").rglob("*.py"), *(ROOT / "scripts").glob("*.py")]):
        if path.name != "engines.py":
            hits = engine_name_comparisons(path.read_text(encoding="utf-8"))
            if hits:
                found[str(path.relative_to(ROOT))] = hits
    assert found == {}


def test_every_third_party_import_is_declared():
    """A fresh machine installs only pyproject.toml: an import that arrives as someone else's
    dependency breaks when that dependency drops it."""
    import ast
    import importlib.metadata as md
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = project["dependencies"] + [
        d for ds in project["optional-dependencies"].values() for d in ds
    ]
    declared = {re.split(r"[\[=<>~ ]", s, maxsplit=1)[0].lower().replace("_", "-") for s in specs}
    local = {p.stem for p in (ROOT / "tests").rglob("*.py")} | {"foundry", "bench", "builders"}
    dists = md.packages_distributions()
    missing = set()
    for folder in ("foundry", "tests", "bench", "scripts", "demo"):
        for path in (ROOT / folder).rglob("*.py"):
            if "data" in path.relative_to(ROOT).parts[1:2]:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    tops = [a.name.split(".")[0] for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    tops = [node.module.split(".")[0]]
                else:
                    continue
                for top in tops:
                    if top in sys.stdlib_module_names or top in local:
                        continue
                    names = {d.lower().replace("_", "-") for d in dists.get(top, [top])}
                    if not names & declared:
                        missing.add(f"{top} ({path.relative_to(ROOT)})")
    assert sorted(missing) == []


def test_no_function_in_the_package_is_over_60_lines():
    """One job per function: a longer one is a pipeline of named steps waiting to be split."""
    import ast

    long = []
    for path in sorted((ROOT / "foundry").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > 60:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines})")
    assert long == []


# ``.get(key, fallback)`` calls on a name the schema gives a default that are not config reads
# (file, key): why each one stays.
NOT_CONFIG_DEFAULTS = {
    ("foundry/train/base.py", "revision"): "models.<engine>.revision is required; a missing one "
    "is refused by name just below",
    ("foundry/train/base.py", "window_seconds"): "a packaged Whisper base's own 30 s window",
    ("foundry/train/infer.py", "seed"): "foundry.json of a saved model, not the config",
}


def config_defaults_repeated(source: str, keys: set[str]) -> list[tuple[int, str, str]]:
    """``x.get("<key>", <fallback>)`` where the schema gives ``key`` a default: the fallback
    repeats (or contradicts) the schema. An empty container or None says 'absent', not a value."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "get" or len(node.args) != 2:
            continue
        key, fallback = node.args
        if not (isinstance(key, ast.Constant) and key.value in keys):
            continue
        empty = isinstance(fallback, (ast.Dict, ast.List, ast.Tuple)) and not any(
            getattr(fallback, f, None) for f in ("keys", "elts")
        )
        if empty or (isinstance(fallback, ast.Constant) and fallback.value is None):
            continue
        found.append((node.lineno, key.value, ast.unparse(node)))
    return found


def test_defaults_live_only_in_the_schema():
    """A default written twice drifts: the code reads the validated config (schema defaults
    filled in), and dataclass fields that mirror a config key take config.defaults()."""
    import json

    def walk(node, out):
        if isinstance(node, dict):
            for k, v in (node.get("properties") or {}).items():
                if isinstance(v, dict) and "default" in v:
                    out.add(k)
            for v in node.values():
                walk(v, out)
        elif isinstance(node, list):
            for v in node:
                walk(v, out)
        return out

    keys = walk(json.loads((ROOT / "config/schema.json").read_text(encoding="utf-8")), set())
    assert {"epochs", "max_retries", "min_duration", "max_text_chars", "seed"} <= keys
    probe = 'a = s.get("epochs", 10)\nb = s.get("lora", {})\nc = s.get("seed")\nd = s.get("x", 1)'
    assert config_defaults_repeated(probe, keys) == [(1, "epochs", "s.get('epochs', 10)")]
    found = []
    for path in sorted([*(ROOT / "foundry").rglob("*.py"), *(ROOT / "scripts").glob("*.py")]):
        rel = str(path.relative_to(ROOT))
        for line, key, call in config_defaults_repeated(path.read_text(encoding="utf-8"), keys):
            if (rel, key) not in NOT_CONFIG_DEFAULTS:
                found.append(f"{rel}:{line} {call}")
    assert found == []


def test_dataclass_defaults_are_the_schema_defaults():
    """The settings classes a caller may build without a config start from the schema."""
    from foundry import config
    from foundry.deploy.batching import BatchSettings
    from foundry.deploy.limits import Limits
    from foundry.deploy.stream import StreamSettings
    from foundry.phone_channel import ChannelSettings
    from foundry.settings import AudioChecks

    def same(obj, section):
        return {k: getattr(obj, k) for k in section} == section

    assert same(AudioChecks(), config.defaults("audio"))
    assert same(Limits(), config.defaults("serve", "limits"))
    assert same(StreamSettings(), config.defaults("serve", "stream"))
    assert same(BatchSettings(), config.defaults("serve", "batch"))
    assert same(ChannelSettings(), config.defaults("deploy", "channel"))
