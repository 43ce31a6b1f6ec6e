"""What speech detection costs: audio-seconds per CPU-second, 16 vs 8 kHz, batched or not.

    python bench/vad_cost.py                 # ~10 min of espeak-ng Malayalam speech, ~1 min
    python bench/vad_cost.py --minutes 2     # quick look

The corpus is deterministic (seed 11): sentences from espeak-ng's Malayalam voice at several
speeds and pitches, joined into 2-15 s clips with short pauses and silent margins, like dataset
items. CPU time is this process's (time.process_time and getrusage agree; onnxruntime runs on
the calling thread). The model is loaded before timing. Also reports how well 8 kHz agrees with
16 kHz on the same clips (docs/quality.md records a run).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from foundry.silver import vad as q  # noqa: E402

SR = 16000
SENTENCES = (
    "നമസ്കാരം, ഇത് ഒരു പരീക്ഷണമാണ്.",
    "കേരളത്തിലെ ഏറ്റവും വലിയ നഗരം കൊച്ചിയാണ്.",
    "ഞാൻ നാളെ രാവിലെ സ്കൂളിൽ പോകും.",
    "മഴ പെയ്യുമ്പോൾ കുട്ടികൾ വീട്ടിൽ ഇരുന്ന് കളിക്കുന്നു.",
    "ഈ പുസ്തകം വളരെ നല്ലതാണ്, നീ വായിക്കണം.",
    "നിങ്ങളുടെ അക്കൗണ്ട് നമ്പർ ദയവായി പറയാമോ?",
    "ബാങ്കിന്റെ ശാഖ ഒൻപത് മണിക്ക് തുറക്കും.",
    "എനിക്ക് ഒരു ടിക്കറ്റ് ബുക്ക് ചെയ്യണം.",
    "ഇന്നലെ വൈകുന്നേരം വലിയ കാറ്റും മഴയും ഉണ്ടായിരുന്നു.",
    "കർഷകർക്ക് ഈ വർഷം നല്ല വിളവ് ലഭിച്ചു.",
    "ആശുപത്രിയിലേക്കുള്ള വഴി പറഞ്ഞു തരാമോ?",
    "വിദ്യാർത്ഥികൾ പരീക്ഷയ്ക്ക് തയ്യാറെടുക്കുകയാണ്.",
)


def synth(text: str, speed: int, pitch: int) -> np.ndarray:
    wav = subprocess.run(
        ["espeak-ng", "-v", "ml", "-s", str(speed), "-p", str(pitch), "--stdout", text],
        capture_output=True,
        check=True,
    ).stdout
    x, sr = sf.read(io.BytesIO(wav), dtype="float32")
    return soxr.resample(x, sr, SR, quality="HQ").astype(np.float32)


def corpus(minutes: float, seed: int = 11) -> list[np.ndarray]:
    """Clips of 1-4 sentences, pauses of 0.1-0.8 s, 0.1-1 s of faint noise at each end."""
    rng = np.random.default_rng(seed)
    cache: dict[tuple[int, int, int], np.ndarray] = {}
    clips: list[np.ndarray] = []
    total = 0.0
    while total < minutes * 60:
        parts = []
        for _ in range(int(rng.integers(1, 5))):
            key = (
                int(rng.integers(len(SENTENCES))),
                int(rng.choice([130, 160, 175, 200, 230])),
                int(rng.choice([35, 50, 70])),
            )
            if key not in cache:
                cache[key] = synth(SENTENCES[key[0]], key[1], key[2])
            parts += [np.zeros(int(rng.uniform(0.1, 0.8) * SR), np.float32), cache[key]]
        parts[0] = np.zeros(int(rng.uniform(0.1, 1.0) * SR), np.float32)
        parts.append(np.zeros(int(rng.uniform(0.1, 1.0) * SR), np.float32))
        clip = np.concatenate(parts)
        clip += (3e-4 * rng.standard_normal(clip.size)).astype(np.float32)
        clips.append(clip)
        total += clip.size / SR
    return clips


def cpu_seconds() -> tuple[float, float]:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return time.process_time(), ru.ru_utime + ru.ru_stime


def measure(fn: Callable[[], object], audio_s: float, repeat: int) -> dict[str, float]:
    fn()  # warm: session created, first-call allocations done
    best = None
    for _ in range(repeat):
        p0, r0 = cpu_seconds()
        w0 = time.perf_counter()
        fn()
        wall = time.perf_counter() - w0
        p1, r1 = cpu_seconds()
        run = {"cpu_s": p1 - p0, "rusage_s": r1 - r0, "wall_s": wall}
        best = run if best is None or run["cpu_s"] < best["cpu_s"] else best
    assert best is not None
    best["audio_s_per_cpu_s"] = audio_s / best["cpu_s"]
    return best


def batches(xs: list[np.ndarray], size: int, by_length: bool) -> list[list[np.ndarray]]:
    order = sorted(xs, key=len) if by_length else xs
    return [order[i : i + size] for i in range(0, len(order), size)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="corpus length (default 10)")
    ap.add_argument("--batch", type=int, default=16, help="items per batched call (default 16)")
    ap.add_argument("--repeat", type=int, default=2, help="timed runs, best kept (default 2)")
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    args = ap.parse_args()

    load_before = Path("/proc/loadavg").read_text().split()[:3]
    t0 = time.perf_counter()
    clips = corpus(args.minutes)
    audio_s = sum(c.size for c in clips) / SR
    print(
        f"corpus: {len(clips)} clips, {audio_s / 60:.1f} min, made in "
        f"{time.perf_counter() - t0:.1f} s; load before: {' '.join(load_before)}"
    )
    d16s = q.SpeechDetector(backend="stream")
    d16 = q.SpeechDetector()  # sequence export
    d8 = q.SpeechDetector(rate_hz=8000)
    b = args.batch
    cases: list[tuple[str, Callable[[], object]]] = [
        ("16 kHz stream, 1 item/call", lambda: [d16s.speech_probs(c, SR) for c in clips]),
        (
            f"16 kHz stream, batch {b} (input order)",
            lambda: [d16s.speech_probs_batch(g, SR) for g in batches(clips, b, False)],
        ),
        (
            f"16 kHz stream, batch {b} (length-sorted)",
            lambda: [d16s.speech_probs_batch(g, SR) for g in batches(clips, b, True)],
        ),
        (
            "16 kHz sequence, 1 item/call (default)",
            lambda: [d16.speech_probs(c, SR) for c in clips],
        ),
        ("8 kHz stream, 1 item/call", lambda: [d8.speech_probs(c, SR) for c in clips]),
        (
            f"8 kHz stream, batch {b} (length-sorted)",
            lambda: [d8.speech_probs_batch(g, SR) for g in batches(clips, b, True)],
        ),
        (
            "  of which soxr 16->8 kHz",
            lambda: [soxr.resample(c, SR, 8000, quality="HQ") for c in clips],
        ),
    ]
    rows = []
    for name, fn in cases:
        m = measure(fn, audio_s, args.repeat)
        rows.append({"case": name, **m})
        print(
            f"  {name:42s} {m['audio_s_per_cpu_s']:8.0f} audio-s/CPU-s  "
            f"(CPU {m['cpu_s']:.2f} s, rusage {m['rusage_s']:.2f} s, wall {m['wall_s']:.2f} s)",
            flush=True,
        )

    # Does 8 kHz decide like 16 kHz on these clips?
    s16 = d16.stats_batch(clips, SR)
    s8 = d8.stats_batch(clips, SR)
    agree = [
        q.speech_agreement(a.segments, c.segments, a.duration) for a, c in zip(s16, s8, strict=True)
    ]
    ratio_diff = [abs(a.speech_ratio - c.speech_ratio) for a, c in zip(s16, s8, strict=True)]
    trim_diff = [
        max(abs(a.trim_start - c.trim_start), abs(a.trim_end - c.trim_end))
        for a, c in zip(s16, s8, strict=True)
    ]

    def gate(s: q.SpeechStats) -> bool:
        try:
            q.check_speech(s)
        except q.QualityReject:
            return False
        return True

    same_gate = sum(gate(a) == gate(c) for a, c in zip(s16, s8, strict=True))
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    summary = {
        "clips": len(clips),
        "audio_minutes": round(audio_s / 60, 2),
        "agreement_mean": round(float(np.mean(agree)), 4),
        "agreement_min": round(float(np.min(agree)), 4),
        "speech_ratio_absdiff_max": round(float(np.max(ratio_diff)), 4),
        "trim_absdiff_max_s": round(float(np.max(trim_diff)), 3),
        "same_no_speech_decision": f"{same_gate}/{len(clips)}",
        "load_before": load_before,
        "load_after": load_after,
    }
    print(
        f"8 vs 16 kHz: time agreement mean {summary['agreement_mean']:.3f}, min "
        f"{summary['agreement_min']:.3f}; |speech_ratio diff| max "
        f"{summary['speech_ratio_absdiff_max']:.3f}; trim diff max "
        f"{summary['trim_absdiff_max_s']:.3f} s; same no_speech decision "
        f"{summary['same_no_speech_decision']}"
    )
    print(f"load after: {' '.join(load_after)}; cpus: {len(os.sched_getaffinity(0))}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, **summary}, indent=2) + "\n")


if __name__ == "__main__":
    main()
