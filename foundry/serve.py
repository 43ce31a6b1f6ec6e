"""HTTP service for the IVR: production adapters per engine, with shadow mirroring.

Why it is built this way:
- Every request captures the engine's current champion reference once, at its start; a new
  ``production.json`` is loaded fully (and its bytes verified) on a watcher thread, then swapped
  in by one reference assignment. In-flight requests finish on the model they started with and no
  request ever waits for a load.
- Shadow traffic (``deploy/<engine>/shadow.json``) is chosen deterministically from the request id
  and run on a separate single-thread queue after the caller's answer is computed: the candidate's
  answer is logged, never returned, and its failures or slowness cannot reach the caller (a full
  queue drops the mirror and logs that).
- Every answer names the model (candidate id + sha256) that produced it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request

from foundry import paths
from foundry.deploy import models, registry

log = logging.getLogger("foundry.serve")


def mirrored(request_id: str, percentage: float) -> bool:
    """Deterministic traffic split: the same request id always lands on the same side."""
    bucket = int(hashlib.sha256(request_id.encode("utf-8")).hexdigest()[:8], 16) % 10000
    return bucket < round(float(percentage) * 100)


@dataclass
class Loaded:
    """One loaded model; the lock serializes calls (tokenizers are not thread-safe)."""

    candidate: str
    sha256: str
    predictor: Any
    lock: threading.Lock = field(default_factory=threading.Lock)

    def predict(self, item: dict) -> str:
        with self.lock:
            return str(self.predictor.predict([item])[0])

    @property
    def ident(self) -> dict[str, str]:
        return {"candidate": self.candidate, "sha256": self.sha256}


@dataclass
class Shadow:
    model: Loaded
    spec: dict[str, Any]
    log_path: Path


def _file_sig(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


class BadRequest(ValueError):
    pass


def parse_input(engine: str, body: dict[str, Any]) -> dict[str, Any]:
    """JSON body -> predictor input: {"text": str} or {"audio": base64 WAV} (any rate/channels)."""
    if models.is_audio(engine):
        b64 = body.get("audio")
        if not isinstance(b64, str) or not b64:
            raise BadRequest(f"{engine} expects JSON {{'audio': <base64 WAV>}}")
        try:
            data = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest(f"{engine}: 'audio' is not valid base64") from None
        return {"audio": to_standard_wav(engine, data)}
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest(f"{engine} expects JSON {{'text': <non-empty string>}}")
    return {"text": text}


def to_standard_wav(engine: str, data: bytes) -> bytes:
    """16 kHz mono PCM16 WAV passes through untouched; anything else is converted."""
    import soundfile as sf

    try:
        info = sf.info(io.BytesIO(data))
    except Exception as exc:
        raise BadRequest(f"{engine}: audio is not decodable ({exc}); send a WAV file") from None
    if info.samplerate == 16000 and info.channels == 1 and info.subtype == "PCM_16":
        return data
    from foundry import audio

    x, sr, _ = audio.decode(data)
    y = audio.resample(audio.to_mono(x), sr)
    return audio.encode_wav(audio.to_pcm16(y))


class EngineSlot:
    """One engine's champion, its shadow candidate and the shadow queue."""

    def __init__(self, root: Path, engine: str, base_dir: str | None, queue_size: int = 256):
        self.root, self.engine, self.base_dir = root, engine, base_dir
        self.champion: Loaded | None = None
        self.shadow: Shadow | None = None
        self.errors: list[str] = []
        self.queue_size = queue_size
        self._sigs: dict[str, bytes | None] = {"production": None, "shadow": None}
        self._pending = 0
        self._cv = threading.Condition()
        self._log_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"shadow-{engine}")

    # --- model (re)loading, on the watcher thread ---------------------------------------
    def _load(self, record: dict[str, Any]) -> Loaded:
        cand = registry.load_candidate(self.root, self.engine, record["candidate"])
        registry.verify(self.root, cand)
        base = registry.base_path(self.root, cand) or self.base_dir
        pred = models.load(self.engine, self.root / cand.adapter, base)
        return Loaded(cand.id, cand.sha256, pred)

    def refresh(self) -> None:
        """Pick up changed production.json / shadow.json; on failure keep serving the old one."""
        prod_path = self.root / paths.deploy_production(self.engine)
        sig = _file_sig(prod_path)
        if sig is not None and sig != self._sigs["production"]:
            self._sigs["production"] = sig
            try:
                record = json.loads(sig)
                if self.champion is None or self.champion.sha256 != record["sha256"]:
                    new = self._load(record)
                    self.champion = new  # the atomic swap
                    log.info("%s: now serving %s", self.engine, new.candidate)
            except Exception as exc:
                self._error(f"{prod_path} not loaded, still serving the previous champion: {exc}")
        shadow_path = self.root / paths.deploy_shadow_active(self.engine)
        sig = _file_sig(shadow_path)
        if sig != self._sigs["shadow"]:
            self._sigs["shadow"] = sig
            if sig is None:
                self.shadow = None
                return
            try:
                spec = json.loads(sig)
                loaded = self._load(spec)
                self.shadow = Shadow(loaded, spec, self.root / spec["log"])
                log.info(
                    "%s: shadowing %s at %s%%",
                    self.engine,
                    loaded.candidate,
                    spec["traffic_percentage"],
                )
            except Exception as exc:
                self.shadow = None
                self._error(f"{shadow_path} not loaded, no shadow traffic: {exc}")

    def _error(self, msg: str) -> None:
        log.error("%s: %s", self.engine, msg)
        self.errors = (self.errors + [msg])[-20:]

    # --- requests -----------------------------------------------------------------------
    def handle(self, request_id: str, item: dict[str, Any]) -> dict[str, Any]:
        champ = self.champion  # captured once: this request finishes on this model
        if champ is None:
            raise LookupError(
                f"no production model for engine '{self.engine}' "
                f"({paths.deploy_production(self.engine)} missing or unloadable); "
                "run `snakemake deploy` first"
            )
        t0 = time.perf_counter()
        output = champ.predict(item)
        latency = 1000 * (time.perf_counter() - t0)
        shadow = self.shadow
        if shadow is not None and mirrored(request_id, shadow.spec["traffic_percentage"]):
            self._mirror(shadow, request_id, item, champ, output, latency)
        return {
            "request_id": request_id,
            "engine": self.engine,
            "output": output,
            "model": champ.ident,
            "latency_ms": round(latency, 3),
        }

    def _mirror(
        self, shadow: Shadow, rid: str, item: dict, champ: Loaded, out: str, lat: float
    ) -> None:
        with self._cv:
            if self._pending >= self.queue_size:
                self._write(shadow, {"request_id": rid, "dropped": True})
                return
            self._pending += 1
        try:
            self._executor.submit(self._run_shadow, shadow, rid, item, champ, out, lat)
        except RuntimeError:  # executor shut down
            self._done()

    def _run_shadow(
        self, shadow: Shadow, rid: str, item: dict, champ: Loaded, out: str, lat: float
    ):
        try:
            t0 = time.perf_counter()
            error, cand_out = None, None
            try:
                cand_out = shadow.model.predict(item)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
            cand_lat = 1000 * (time.perf_counter() - t0)
            self._write(
                shadow,
                {
                    "request_id": rid,
                    "champion": {**champ.ident, "output": out, "latency_ms": round(lat, 3)},
                    "candidate": {
                        **shadow.model.ident,
                        "output": cand_out,
                        "latency_ms": round(cand_lat, 3),
                        "error": error,
                    },
                },
            )
        except Exception as exc:  # never let the shadow thread die silently
            self._error(f"shadow logging failed: {exc}")
        finally:
            self._done()

    def _done(self) -> None:
        with self._cv:
            self._pending -= 1
            self._cv.notify_all()

    def _write(self, shadow: Shadow, record: dict[str, Any]) -> None:
        """One whole line per os.write on an O_APPEND descriptor: lines never interleave."""
        line = (json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
        with self._log_lock:
            shadow.log_path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(shadow.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait until every mirrored request has been answered and logged."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while self._pending > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(left)
        return True

    def status(self) -> dict[str, Any]:
        champ, shadow = self.champion, self.shadow
        return {
            "champion": champ.ident if champ else None,
            "shadow": (
                {**shadow.model.ident, "traffic_percentage": shadow.spec["traffic_percentage"]}
                if shadow
                else None
            ),
            "pending_shadow": self._pending,
            "errors": list(self.errors),
        }

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=False)


class Service:
    """All engine slots plus the watcher thread that polls the registry files."""

    def __init__(
        self,
        root: str | Path = ".",
        engines: list[str] | tuple[str, ...] = paths.DEPLOY_ENGINES,
        base_dir: str | None = None,
        poll_s: float = 0.5,
        queue_size: int = 256,
    ):
        self.root = Path(root)
        self.slots = {e: EngineSlot(self.root, e, base_dir, queue_size) for e in engines}
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def refresh(self) -> None:
        for slot in self.slots.values():
            slot.refresh()

    def start(self) -> None:
        self.refresh()
        self._watcher = threading.Thread(target=self._watch, name="registry-watch", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.refresh()
            except Exception:  # pragma: no cover - refresh already reports per engine
                log.exception("registry watch failed")

    def stop(self) -> None:
        self._stop.set()
        if self._watcher:
            self._watcher.join(timeout=10)
        for slot in self.slots.values():
            slot.close()


def create_app(service: Service) -> Any:
    """The FastAPI app: POST /v1/<engine>, GET /v1/models, GET /healthz."""
    app = FastAPI(title="Malayalam IVR foundry service")
    app.state.service = service

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True}

    @app.get("/v1/models")
    def list_models() -> dict[str, Any]:
        return {e: s.status() for e, s in sorted(service.slots.items())}

    @app.post("/v1/{engine}")
    def predict(engine: str, body: dict[str, Any], request: Request) -> dict[str, Any]:
        slot = service.slots.get(engine)
        if slot is None:
            raise HTTPException(
                404, f"unknown engine '{engine}'; served: {', '.join(sorted(service.slots))}"
            )
        rid = str(body.get("id") or request.headers.get("x-request-id") or uuid.uuid4())
        try:
            item = parse_input(engine, body)
            return slot.handle(rid, item)
        except BadRequest as exc:
            raise HTTPException(400, str(exc)) from None
        except LookupError as exc:
            raise HTTPException(503, str(exc)) from None

    return app


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class Running:
    """A uvicorn server on a background thread (used by the shadow step and the tests)."""

    def __init__(self, service: Service, host: str = "127.0.0.1", port: int | None = None):
        import uvicorn

        self.service = service
        self.host, self.port = host, port or free_port(host)
        config = uvicorn.Config(
            create_app(service),
            host=self.host,
            port=self.port,
            log_level="warning",
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> Running:
        self.service.start()
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"service did not start on {self.url}")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.service.stop()


def serve(
    root: str = ".",
    host: str = "127.0.0.1",
    port: int = 8000,
    engines: list[str] | None = None,
    base_dir: str | None = None,
    poll_s: float = 1.0,
) -> None:
    """Run the service in the foreground until interrupted (``foundry serve``)."""
    import uvicorn

    service = Service(root, engines or list(paths.DEPLOY_ENGINES), base_dir, poll_s)
    service.start()
    try:
        uvicorn.run(create_app(service), host=host, port=port, log_level="info")
    finally:
        service.stop()
