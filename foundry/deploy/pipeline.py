"""One engine's deployment: register -> verify -> offline gate -> shadow -> promote or roll back.

The decision is written to ``deploy/<engine>/candidates/<id>/decision.json`` and copied to
``deploy/<engine>/decision.json`` (the workflow marker). Promotion is the atomic swap of
``production.json``; a rollback leaves production untouched and marks the candidate rejected.
"""

from __future__ import annotations

import contextlib
import json
import logging
from pathlib import Path
from typing import Any

from foundry import atomic, integrity, paths, phone_channel
from foundry.deploy import gate, models, registry, shadow
from foundry.deploy.limits import Limits
from foundry.deploy.serve import Running, Service
from foundry.gold import splits
from foundry.settings import Deploy

log = logging.getLogger("foundry.deploy")


def _cdir(root: Path, engine: str, cid: str) -> Path:
    return root / paths.deploy_candidate(engine, cid)


def _finish(
    root: Path,
    engine: str,
    cand: registry.Candidate | None,
    decision: str,
    reasons: list[str],
    checks: dict[str, Any],
    before: str | None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if decision == "rollback" and cand is not None:
        registry.reject(root, engine, cand.id, reasons)
    after = registry.production(root, engine)
    record = {
        "engine": engine,
        "candidate": cand.id if cand else None,
        "sha256": cand.sha256 if cand else None,
        "decision": decision,
        "reasons": reasons,
        "checks": checks,
        "production": {"before": before, "after": after["candidate"] if after else None},
        **(extra or {}),
    }
    if cand is not None:
        atomic.write_json(_cdir(root, engine, cand.id) / "decision.json", record)
    atomic.write_json(root / paths.deploy_decision(engine), record)
    log.info("%s: %s %s (%s)", engine, decision, record["candidate"], "; ".join(reasons))
    return record


def check_inputs(
    root: str | Path,
    engine: str,
    metrics: dict[str, Any],
    adapter_dir: str | Path,
    base_dir: str | Path,
    split_files: list[str | Path],
) -> None:
    """Deploy's inputs are the bytes training and allocate wrote, or the job stops here (before
    anything is registered, so production stays where it is)."""
    splits.verify(engine, root, sorted({Path(f).name for f in split_files}))
    recorded_in = paths.metrics(engine)
    fix = integrity.rebuild(recorded_in, "retrain it", "deploy")
    artifacts = integrity.require_record(metrics.get("artifacts"), recorded_in, "adapter", fix)
    for what, folder, rel in (
        ("adapter", adapter_dir, paths.adapter_dir(engine)),
        ("base", base_dir, paths.base_model_dir(engine)),
    ):
        recorded = artifacts.get(what) or {}
        integrity.require_tree(Path(root) / folder, rel, recorded, recorded_in, fix)


def deploy_engine(
    root: str | Path,
    engine: str,
    opts: Deploy,
    adapter_dir: str | Path,
    test_path: str | Path,
    replay_path: str | Path,
    metrics: dict[str, Any] | None = None,
    labels: list[str] | None = None,
    base_dir: str | Path | None = None,
    train_predictions: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run the whole decision for one engine and return decision.json's content.

    ``train_predictions`` (id -> prediction, from models/<engine>/test_predictions.json) are what
    the in-memory model answered at training time; the registered copy must reproduce them, which
    catches an adapter that was altered between training and registration.
    """
    root = Path(root)
    prod = registry.production(root, engine)
    before = prod["candidate"] if prod else None
    extra = {"traffic_percentage": opts.traffic_percentage}
    cand: registry.Candidate | None = None
    try:
        cand = registry.register(root, engine, adapter_dir, metrics, base_dir)
        registry.verify(root, cand)
    except registry.TamperError as exc:
        return _finish(root, engine, cand, "rollback", [str(exc)], {"integrity": False}, before)
    if before == cand.id:
        registry.reconcile_history(root, engine)  # a promote killed before its history line
        reasons = [f"candidate {cand.id} is already production; nothing to change"]
        return _finish(root, engine, cand, "promote", reasons, {"integrity": True}, before, extra)
    champion = _verified_champion(root, engine)
    judged = _offline_gate(root, engine, opts, cand, champion, test_path, labels, train_predictions)
    if isinstance(judged, str):  # the registered copy does not answer like training's model
        return _finish(
            root, engine, cand, "rollback", [judged], {"integrity": False}, before, extra
        )
    validation, expected = judged
    checks: dict[str, Any] = {"integrity": True, "offline_gate": validation["passed"]}
    if not validation["passed"]:
        reasons = ["offline gate failed: " + r for r in validation["reasons"]]
        return _finish(root, engine, cand, "rollback", reasons, checks, before, extra)
    if champion is None:
        registry.promote(root, cand, ["first champion: offline gate passed"], cand.metrics)
        reasons = ["no champion yet and the offline gate passed: first champion"]
        return _finish(root, engine, cand, "promote", reasons, checks, before, extra)
    report = run_shadow(root, engine, cand, opts, replay_path, expected)
    checks["shadow"] = report["passed"]
    if not report["passed"]:
        reasons = ["shadow guardrail failed: " + r for r in report["reasons"]]
        return _finish(root, engine, cand, "rollback", reasons, checks, before, extra)
    registry.verify(root, cand)  # bytes unchanged since they were tested
    reasons = _passed(validation["difference"], report)
    registry.promote(root, cand, reasons, {"validation": validation["candidate_metrics"]})
    return _finish(root, engine, cand, "promote", reasons, checks, before, extra)


def _passed(d: dict[str, Any], report: dict[str, Any]) -> list[str]:
    """Why a candidate was promoted over its champion, in words."""
    return [
        f"offline gate passed ({d['metric']} {d['point']:+.4f}, CI [{d['ci_low']:+.4f}, "
        f"{d['ci_high']:+.4f}])",
        f"shadow passed ({report['samples']} mirrored requests, agreement "
        f"{report['agreement']:.3f}, candidate errors {report['candidate_errors']})",
    ]


def _verified_champion(root: Path, engine: str) -> registry.Candidate | None:
    """The production candidate, its bytes checked: a damaged champion stops the deploy."""
    champion = registry.production_candidate(root, engine)
    if champion is not None:
        try:
            registry.verify(root, champion)
        except registry.TamperError as exc:
            raise registry.RegistryError(
                f"{exc}. The CURRENT production adapter is affected: run "
                f"`foundry rollback {engine}` to restore the previous champion"
            ) from None
    return champion


def _offline_gate(
    root: Path,
    engine: str,
    opts: Deploy,
    cand: registry.Candidate,
    champion: registry.Candidate | None,
    test_path: str | Path,
    labels: list[str] | None,
    train_predictions: dict[str, str] | None,
) -> tuple[dict[str, Any], float | None] | str:
    """validation.json (both models on the test split, on the telephone channel where set) and
    the agreement the shadow should expect; or why the candidate does not reproduce training."""
    ids, inputs, refs = models.read_items(test_path, engine)
    bs = int(opts.batch_size)
    cand_pred = models.load(engine, root / cand.adapter, registry.base_path(root, cand))
    cand_hyps = models.predict_all(cand_pred, inputs, bs)
    if train_predictions:
        problem = reproduces(ids, cand_hyps, train_predictions, opts.max_prediction_mismatch)
        if problem:
            return f"{engine}: candidate {cand.id} {problem}"
    champ_pred, champ_hyps = None, None
    if champion is not None:
        champ_pred = models.load(
            engine, root / champion.adapter, registry.base_path(root, champion)
        )
        champ_hyps = models.predict_all(champ_pred, inputs, bs)
    clean = gate.evaluate(engine, refs, cand_hyps, champ_hyps, opts, labels)
    validation = clean
    if opts.gate_channel == "telephone":
        # judged on the call the IVR hears: both models on the same degraded test audio
        channel = phone_channel.ChannelSettings.from_config(opts.channel, "deploy.channel")
        phone = [
            {"audio": phone_channel.channel_wav(x["audio"], i, channel)}
            for i, x in zip(ids, inputs, strict=True)
        ]
        cand_phone = models.predict_all(cand_pred, phone, bs)
        champ_phone = models.predict_all(champ_pred, phone, bs) if champ_pred else None
        validation = gate.evaluate(engine, refs, cand_phone, champ_phone, opts, labels)
        validation["clean"] = {
            k: clean[k] for k in ("candidate_metrics", "champion_metrics", "difference", "passed")
        }
    validation["channel"] = opts.gate_channel
    validation.update({"candidate": cand.id, "champion": champion.id if champion else None})
    atomic.write_json(_cdir(root, engine, cand.id) / "validation.json", validation)
    expected = shadow.agreement(engine, champ_hyps, cand_hyps) if champ_hyps is not None else None
    return validation, expected


def run_shadow(
    root: Path,
    engine: str,
    cand: registry.Candidate,
    opts: Deploy,
    replay_path: str | Path,
    expected_agreement: float | None = None,
) -> dict[str, Any]:
    """Serve champion + shadowed candidate on a free loopback port, replay, judge the log."""

    sopts = opts.shadow
    cdir = _cdir(root, engine, cand.id)
    log_rel = f"{paths.deploy_candidate(engine, cand.id)}/shadow.jsonl"
    spec = {
        "engine": engine,
        "candidate": cand.id,
        "sha256": cand.sha256,
        "traffic_percentage": opts.traffic_percentage,
        "log": log_rel,
        **{k: sopts[k] for k in sorted(sopts)},
    }
    atomic.write_json(cdir / "shadow.json", spec)
    with contextlib.suppress(FileNotFoundError):
        (root / log_rel).unlink()
    ids, inputs, refs = models.read_items(replay_path, engine)
    plan = shadow.plan_requests(
        ids, opts.traffic_percentage, int(sopts["min_samples"]), int(sopts["max_requests"])
    )
    service = Service(
        root,
        [engine],
        poll_s=3600,
        queue_size=int(sopts["queue_size"]),
        limits=Limits.from_config(opts.request_limits),
    )
    atomic.write_json(root / paths.deploy_shadow_active(engine), spec)
    try:
        with Running(service) as srv:
            slot = service.slots[engine]
            if slot.shadow is None or slot.champion is None:
                raise registry.RegistryError(
                    f"{engine}: the shadow service could not load its models: "
                    + "; ".join(slot.errors)
                )
            caller = shadow.replay(srv.url, engine, inputs, plan)
            drained = slot.drain(timeout=float(sopts["timeout_s"]))
            caller["drained"] = drained
    finally:
        with contextlib.suppress(FileNotFoundError):
            (root / paths.deploy_shadow_active(engine)).unlink()
    records = shadow.read_log(root / log_rel)
    refs_by_id = dict(zip(ids, refs, strict=True))
    report = shadow.analyse(engine, records, sopts, refs_by_id, caller, expected_agreement)
    report.update({"candidate": cand.id, "traffic_percentage": opts.traffic_percentage})
    atomic.write_json(cdir / "shadow_report.json", report)
    return report


def reproduces(
    ids: list[str], hyps: list[str], expected: dict[str, str], tolerance: float
) -> str | None:
    """None if the loaded adapter answers like training did; else a readable complaint."""
    pairs = [(i, h, expected[i]) for i, h in zip(ids, hyps, strict=True) if i in expected]
    if not pairs:
        return None
    bad = [(i, h, e) for i, h, e in pairs if h != e]
    if len(bad) / len(pairs) <= tolerance:
        return None
    i, h, e = bad[0]
    return (
        f"does not reproduce the predictions training recorded: {len(bad)} of {len(pairs)} "
        f"test items differ (e.g. {i}: training {e!r}, now {h!r}); the adapter files changed "
        "after training, so retrain the engine instead of deploying these files"
    )


def read_predictions(path: str | Path) -> dict[str, str] | None:
    p = Path(path)
    if not p.exists():
        return None
    items = json.loads(p.read_text(encoding="utf-8")).get("items", [])
    return {it["id"]: it["prediction"] for it in items} or None


def labels_of(path: str | Path) -> list[str] | None:
    p = Path(path)
    if not p.exists():
        return None
    return list(json.loads(p.read_text(encoding="utf-8")).get("labels", [])) or None
