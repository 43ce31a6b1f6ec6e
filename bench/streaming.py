"""Measure live calls through `foundry serve` (issue 25): simulated Twilio Media Streams replaying
G.711 μ-law at real time, N at once.

Each call is the demo's espeak-ng Malayalam clips at 8 kHz μ-law (three utterances with 1.2 s
pauses), sent as 20 ms `media` messages paced at real time on its own WebSocket. Reported per N:
p50/p95 of the latency from the moment the endpoint was decided (the server's `decided` sample,
sent at a known wall time) to the final answer's arrival, partials per call-second, and the
largest N whose p95 stays below 800 ms; then the service's RSS over 100 sequential calls (sent
as fast as they go). The service runs in its own process. With a built demo tree (``snakemake
--cores 2`` first) it serves the tree's production models (stt: Whisper-base + LoRA); without
one, fake models (tests/fakes.py) measure the streaming stack alone. Run from the project root:

    python bench/streaming.py [--tree <built demo>] [--calls 1 8 32] [--json out.json]
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench/ is then not on the path
from bench.measure import service_child  # noqa: E402

CLIPS = ROOT / "demo/hub/datasets/foundry-demo/indicvoices-ml/Data/Train"
FRAME = 160  # bytes of μ-law per 20 ms


def serve_forever(root: str, tree: str, backend: str = "torch", partial_ms: str = "1000") -> None:
    """Child process: serve the tree's production models (or fakes), print the URL, block."""
    from foundry.deploy import models, registry
    from foundry.deploy.serve import Running, Service
    from foundry.deploy.stream import StreamSettings

    if tree:
        root, engines = tree, ["stt", "dialect", "intent", "sentiment"]
    else:
        sys.path.insert(0, str(ROOT / "tests"))
        import fakes

        models.LOADER = fakes.fake_loader
        engines = ["stt", "intent"]
        for engine in engines:
            src = fakes.make_adapter(
                Path(root) / f"src-{engine}", fakes.items(3), 1.0, echo=engine == "stt"
            )
            registry.promote(root, registry.register(root, engine, src), ["first"])
    stream = StreamSettings(max_streams=64, partial_interval_ms=float(partial_ms))
    backend = backend if tree else "torch"  # fakes have nothing to convert
    service = Service(root, engines, poll_s=3600, stream=stream, stt_backend=backend)
    with Running(service) as srv:
        print(srv.url, flush=True)
        sys.stdin.read()


def call_codes() -> bytes:
    import soundfile as sf
    import soxr

    from foundry import g711

    parts = [np.zeros(4000, np.int16)]
    for name in ("iv_0001.wav", "iv_0002.wav", "iv_0003.wav"):
        x, sr = sf.read(CLIPS / name, dtype="float32")
        y = np.clip(np.round(soxr.resample(x, sr, 8000) * 32767), -32768, 32767)
        parts += [y.astype(np.int16), np.zeros(9600, np.int16)]
    return g711.mulaw_encode(np.concatenate(parts)).tobytes()


def one_call(url: str, codes: bytes, sid: str, paced: bool) -> dict[str, Any]:
    from websockets.sync.client import connect

    sent_at: list[float] = []
    events: list[tuple[float, dict[str, Any]]] = []
    ws_url = f"{url.replace('http', 'ws')}/v1/stream/twilio"
    with connect(ws_url, max_size=None, ping_interval=None) as ws:  # phone platforms do not ping

        def receive() -> None:
            try:
                while True:
                    msg = ws.recv()
                    events.append((time.perf_counter(), json.loads(msg)))
            except Exception:  # noqa: BLE001 - the socket closed
                return

        reader = threading.Thread(target=receive, daemon=True)
        reader.start()
        fmt = {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
        ws.send(json.dumps({"event": "start", "start": {"streamSid": sid, "mediaFormat": fmt}}))
        t0 = time.perf_counter()
        for k in range(0, len(codes), FRAME):
            if paced:
                delay = t0 + (k // FRAME) * 0.02 - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)  # real time, as a phone line delivers it
            payload = base64.b64encode(codes[k : k + FRAME]).decode()
            ws.send(json.dumps({"event": "media", "streamSid": sid, "media": {"payload": payload}}))
            sent_at.append(time.perf_counter())
        ws.send(json.dumps({"event": "stop", "streamSid": sid}))
        reader.join(timeout=900)  # an overloaded service still answers, late
    latencies = []
    for at, e in events:
        if e["event"] == "final" and e["reason"] == "silence":
            frame = min(int(e["decided"] * 8000) // FRAME, len(sent_at) - 1)
            latencies.append(at - sent_at[frame])
    partials = sum(e["event"] == "partial" for _, e in events)
    return {"latencies": latencies, "partials": partials, "seconds": len(codes) / 8000}


def run_calls(url: str, codes: bytes, n: int) -> dict[str, Any]:
    results: list[dict[str, Any]] = [{}] * n

    def go(i: int) -> None:
        results[i] = one_call(url, codes, f"MZ{n:02d}{i:04d}", paced=True)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lat = sorted(x for r in results for x in r["latencies"])
    finals_expected = 3 * n
    return {
        "calls": n,
        "finals": len(lat),
        "finals_expected": finals_expected,
        "p50_ms": round(1000 * statistics.median(lat), 1) if lat else None,
        "p95_ms": round(1000 * lat[int(0.95 * (len(lat) - 1))], 1) if lat else None,
        "partials_per_call_s": round(
            sum(r["partials"] for r in results) / sum(r["seconds"] for r in results), 3
        ),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    import psutil

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tree", default="", help="a built demo project (default: fake models)")
    ap.add_argument("--calls", type=int, nargs="+", default=[1, 8, 32])
    ap.add_argument(
        "--partial-ms", type=float, default=1000, help="serve.stream.partial_interval_ms"
    )
    ap.add_argument("--stt-backend", default="ctranslate2", help="as foundry serve --stt-backend")
    ap.add_argument("--sequential", type=int, default=100, help="calls for the memory check")
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "streaming.json")
    args = ap.parse_args(argv)
    codes = call_codes()
    code = "import sys; from bench.streaming import serve_forever as f; f(*sys.argv[1:5])"
    tree = str(Path(args.tree).resolve()) if args.tree else ""
    with (
        tempfile.TemporaryDirectory() as tmp,
        service_child(["-c", code, tmp, tree, args.stt_backend, str(args.partial_ms)], ROOT) as (
            url,
            pid,
        ),
    ):
        proc = psutil.Process(pid)
        one_call(url, codes, "MZwarm", paced=False)  # load the models once
        phases = [run_calls(url, codes, n) for n in args.calls]
        rss = []
        for i in range(args.sequential):
            one_call(url, codes, f"MZseq{i:04d}", paced=False)
            if i in (9, args.sequential - 1):
                rss.append(round(proc.memory_info().rss / 2**20, 1))
    ok = [p["calls"] for p in phases if p["p95_ms"] is not None and p["p95_ms"] < 800]
    result = {
        "models": f"demo tree production models, stt {args.stt_backend}"
        if args.tree
        else "fake models",
        "partial_interval_ms": args.partial_ms,
        "phases": phases,
        "largest_calls_with_p95_under_800_ms": max(ok) if ok else None,
        "rss_mb_after_10_and_after_all_sequential_calls": rss,
    }
    print(json.dumps(result, indent=2))
    args.json.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
