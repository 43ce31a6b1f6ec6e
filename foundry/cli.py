"""`foundry` command line: the user-facing tools beside the Snakemake workflow."""

from __future__ import annotations

import argparse
import json
import sys

from foundry import text


def _normalize(args: argparse.Namespace) -> int:
    for line in sys.stdin:
        sys.stdout.write(text.normalize(line.rstrip("\n")) + "\n")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from foundry import config, validate

    cfg = config.load(args.config)
    problems = validate.validate_all(cfg, args.root)
    report = {"ok": not problems, "problems": problems}
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 1 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="foundry", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    n = sub.add_parser("normalize", help="normalize Malayalam text: lines on stdin → stdout")
    n.set_defaults(func=_normalize)
    v = sub.add_parser("validate", help="re-check raw/silver/gold on disk; non-zero on mismatch")
    v.add_argument("--config", default="config/config.yaml")
    v.add_argument("--root", default=".")
    v.set_defaults(func=_validate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
