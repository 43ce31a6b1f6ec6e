"""Shadow stage: replay held-out traffic through the running service and judge the mirror log.

Why replay through HTTP (not a function call): the point is to exercise exactly what production
runs — request parsing, the champion on the request path, the deterministic traffic split and the
off-path candidate queue — on a real loopback socket.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from foundry import atomic, engines
from foundry.deploy import gate, models
from foundry.deploy.serve import mirrored
from foundry.train import metrics


def plan_requests(
    ids: list[str], percentage: float, min_samples: int, max_requests: int
) -> list[tuple[str, int]]:
    """(request id, item index) pairs, cycling the replay set until enough would be mirrored.

    The server decides what to mirror (``deploy.serve.mirrored``); the client only uses the same
    public rule to know when to stop, so the replay is deterministic and as short as possible.
    """

    if not ids or percentage <= 0:
        return []
    out: list[tuple[str, int]] = []
    hits, rnd = 0, 0
    while len(out) < max_requests:
        for i, item_id in enumerate(ids):
            rid = f"{item_id}#{rnd}"
            out.append((rid, i))
            hits += mirrored(rid, percentage)
            if hits >= min_samples or len(out) >= max_requests:
                return out
        rnd += 1
    return out


def replay(
    url: str, engine: str, inputs: list[dict], plan: list[tuple[str, int]], timeout: float = 120.0
) -> dict[str, Any]:
    """Send the planned requests; what callers saw (status codes, serving model ids)."""
    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request is noise
    codes: dict[str, int] = {}
    served: dict[str, int] = {}
    failures: list[str] = []
    bodies = [models.to_request(engine, x) for x in inputs]
    with httpx.Client(base_url=url, timeout=timeout) as client:
        for rid, i in plan:
            try:
                r = client.post(f"/v1/{engine}", json={**bodies[i], "id": rid})
                codes[str(r.status_code)] = codes.get(str(r.status_code), 0) + 1
                if r.status_code == 200:
                    sha = r.json()["model"]["candidate"]
                    served[sha] = served.get(sha, 0) + 1
                elif len(failures) < 5:
                    failures.append(f"{rid}: HTTP {r.status_code} {r.text[:200]}")
            except httpx.HTTPError as exc:
                codes["transport_error"] = codes.get("transport_error", 0) + 1
                if len(failures) < 5:
                    failures.append(f"{rid}: {exc}")
    return {"requests": len(plan), "status_codes": codes, "served_by": served, "failures": failures}


def read_log(path: str | Path) -> list[dict[str, Any]]:
    """The shadow log's records (a torn last line is left out, every other line must parse)."""
    return [json.loads(line.decode("utf-8")) for line in atomic.read_lines(path)]


def agreement(engine: str, a: list[str], b: list[str]) -> float | None:
    """Mean agreement of two models' answers (exact for labels, 1 - normalized edits for text)."""
    vals = [_agreement(engine, x, y) for x, y in zip(a, b, strict=True)]
    return float(np.mean(vals)) if vals else None


def _agreement(engine: str, a: str, b: str) -> float:
    if engines.get(engine).transcribes:
        return 1.0 - min(1.0, metrics.edit_distance(a, b) / max(len(a), 1))
    return float(a == b)


def _p95(values: list[float]) -> float | None:
    return float(np.percentile(values, 95)) if values else None


def analyse(
    engine: str,
    records: list[dict[str, Any]],
    spec: dict[str, Any],
    refs: dict[str, str] | None = None,
    caller: dict[str, Any] | None = None,
    expected_agreement: float | None = None,
) -> dict[str, Any]:
    """Guardrails on the paired log: sample count, candidate error rate, agreement, p95 latency.

    Agreement is judged against what the offline test predicted (``expected_agreement``): a
    better candidate is *supposed* to disagree with a weak champion, but live traffic that makes
    the two disagree far more than the test set did means the test set did not represent it.
    """
    done = sorted((r for r in records if not r.get("dropped")), key=lambda r: r["request_id"])
    dropped = sum(1 for r in records if r.get("dropped"))
    n = len(done)
    errors = [r for r in done if r["candidate"]["error"]]
    ok = [r for r in done if not r["candidate"]["error"]]
    agree = agreement(
        engine, [r["champion"]["output"] for r in ok], [r["candidate"]["output"] for r in ok]
    )
    latency, p95 = _latency_check(done, ok, spec)
    error_rate = len(errors) / n if n else None
    checks = [
        gate._check(
            "shadow_min_samples",
            n >= spec["min_samples"],
            f"{n} mirrored requests answered ({dropped} dropped), need {spec['min_samples']}",
        ),
        gate._check(
            "shadow_error_rate",
            error_rate is not None and error_rate <= spec["max_error_rate"],
            f"candidate errors {len(errors)}/{n}, max rate {spec['max_error_rate']}",
        ),
        _agreement_check(agree, expected_agreement, spec),
        latency,
    ]
    if caller is not None:
        checks.append(_caller_check(caller))
    report: dict[str, Any] = {
        "engine": engine,
        "samples": n,
        "dropped": dropped,
        "candidate_errors": len(errors),
        "error_rate": error_rate,
        "agreement": agree,
        "expected_agreement": expected_agreement,
        "p95_latency_ms": p95,
        "first_errors": [r["candidate"]["error"] for r in errors[:5]],
        "caller": caller or {},
        "checks": checks,
    }
    labelled = _labelled(engine, ok, refs or {})
    if labelled is not None:
        report["labelled"] = labelled
    report["passed"] = all(c["passed"] for c in checks)
    report["reasons"] = [f"{c['name']}: {c['detail']}" for c in checks if not c["passed"]]
    return report


def _latency_check(
    done: list[dict[str, Any]], ok: list[dict[str, Any]], spec: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, float | None]]:
    """The candidate's p95 latency within ratio x the champion's + slack; the three figures."""
    p95_champ = _p95([r["champion"]["latency_ms"] for r in done])
    p95_cand = _p95([r["candidate"]["latency_ms"] for r in ok])
    limit = (
        p95_champ * spec["p95_latency_ratio"] + spec["p95_latency_slack_ms"]
        if p95_champ is not None
        else None
    )
    check = gate._check(
        "shadow_p95_latency",
        p95_cand is not None and limit is not None and p95_cand <= limit,
        f"candidate p95 {p95_cand and round(p95_cand, 1)} ms vs champion p95 "
        f"{p95_champ and round(p95_champ, 1)} ms; limit {limit and round(limit, 1)} ms "
        f"({spec['p95_latency_ratio']}x + {spec['p95_latency_slack_ms']} ms)",
    )
    return check, {"champion": p95_champ, "candidate": p95_cand, "limit": limit}


def _agreement_check(
    agree: float | None, expected: float | None, spec: dict[str, Any]
) -> dict[str, Any]:
    """Agreement with the champion, no lower than the offline test's minus the allowed shift."""
    need = float(spec["min_agreement"])
    if expected is not None:
        need = max(need, expected - float(spec["max_agreement_shift"]))
    return gate._check(
        "shadow_agreement",
        agree is not None and agree >= need,
        f"agreement with champion {agree if agree is None else round(agree, 4)}"
        f", need >= {round(need, 4)} (offline agreement "
        f"{expected if expected is None else round(expected, 4)}"
        f" - {spec['max_agreement_shift']}, floor {spec['min_agreement']})",
    )


def _caller_check(caller: dict[str, Any]) -> dict[str, Any]:
    """Every replayed request answered 200, and the shadow queue drained."""
    bad = caller["requests"] - caller["status_codes"].get("200", 0)
    return gate._check(
        "replay_requests_ok",
        bad == 0 and caller.get("drained", True),
        f"{bad} of {caller['requests']} replayed requests failed for the caller"
        + (f" (first: {caller['failures'][0]})" if caller["failures"] else "")
        + ("" if caller.get("drained", True) else "; shadow queue did not drain in time"),
    )


def _labelled(engine: str, ok: list[dict[str, Any]], refs: dict[str, str]) -> dict[str, Any] | None:
    """Both models against the references of the replayed items that have one."""
    labelled = [r for r in ok if r["request_id"].rsplit("#", 1)[0] in refs]
    if not labelled:
        return None
    ref = [refs[r["request_id"].rsplit("#", 1)[0]] for r in labelled]
    champ = [r["champion"]["output"] for r in labelled]
    cand = [r["candidate"]["output"] for r in labelled]
    if engines.get(engine).transcribes:
        return {
            "champion": metrics.stt_metrics(ref, champ),
            "candidate": metrics.stt_metrics(ref, cand),
        }

    def accuracy(hyps: list[str]) -> float:
        return float(np.mean([a == b for a, b in zip(ref, hyps, strict=True)]))

    return {
        "champion_accuracy": accuracy(champ),
        "candidate_accuracy": accuracy(cand),
        "n": len(ref),
    }
