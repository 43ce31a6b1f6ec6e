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
- Every request is bounded (``foundry.deploy.limits``, ``.body``, ``.request_audio``): body
  bytes are counted before anything is parsed, text and audio are checked like the pipeline
  checks them, and every input problem is one 4xx sentence with a reason name. Errors are
  answered, never raised to the server, so the keep-alive connection survives them; a 5xx means
  the model (or the service) failed.
- ``GET /metrics`` is Prometheus text from this service's own registry
  (``foundry.deploy.monitoring``): every answer, swap, load error and mirrored request is counted
  where it happens; shadow agreement is measured on the shadow thread, off the request path.
"""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from foundry import atomic, paths
from foundry.deploy import body as request_body
from foundry.deploy import callio, memory, models, monitoring, registry, request_audio
from foundry.deploy.batching import Batcher, BatchSettings
from foundry.deploy.guard import ConnectionGuard
from foundry.deploy.limits import DEFAULT_LIMITS, ClientError, Limits, sanitize
from foundry.deploy.stream import StreamSettings

log = logging.getLogger("foundry.deploy.serve")

# Bodies at least this large hand their freed buffers back to the OS when answered.
TRIM_AFTER_BYTES = 256 * 1024


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
    batcher: Batcher | None = None

    def predict_many(self, items: list[dict]) -> list[str]:
        with self.lock:
            return [str(x) for x in self.predictor.predict(items)]

    def predict(self, item: dict) -> str:
        if self.batcher is not None:  # gathered with concurrent requests (deploy/batching.py)
            return self.batcher.submit(item)
        return self.predict_many([item])[0]

    def close(self) -> None:
        if self.batcher is not None:
            self.batcher.close()

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


def parse_input(
    engine: str, body: dict[str, Any], limits: Limits = DEFAULT_LIMITS
) -> dict[str, Any]:
    """JSON body -> predictor input: {"text": str} or {"audio": base64 audio} (any rate/channels).

    Raises ClientError for anything the models must not see (the pipeline's reject reasons for
    audio), so a bad input is a 4xx and never reaches a predictor.
    """
    if models.is_audio(engine):
        request_body.check_fields(engine, body, "audio")
        data = request_body.audio_bytes(engine, body)
        enc, rate = request_audio.audio_format(None, body.get("encoding"), body.get("sample_rate"))
        return {"audio": request_audio.telephone_wav(data, enc, rate, limits)}
    request_body.check_fields(engine, body, "text")
    return {"text": request_body.text_input(engine, body, limits)}


class NoModel(LookupError):
    """The engine has no loaded champion (503 until production.json loads)."""


class EngineSlot:
    """One engine's champion, its shadow candidate and the shadow queue."""

    def __init__(
        self,
        root: Path,
        engine: str,
        base_dir: str | None,
        queue_size: int = 256,
        metrics: monitoring.Metrics | None = None,
        batch: BatchSettings | None = None,
        backend: str = "torch",
    ):
        self.root, self.engine, self.base_dir = root, engine, base_dir
        self.backend = backend  # serve.stt_backend for stt: torch or ctranslate2
        self.batch = batch or BatchSettings()
        self.metrics = metrics or monitoring.Metrics([engine])
        self.champion: Loaded | None = None
        self.shadow: Shadow | None = None
        self.errors: dict[str, str] = {}  # what is wrong now, by source; cleared when fixed
        self.queue_size = queue_size
        self._sigs: dict[str, bytes | None] = {"production": None, "shadow": None}
        self._pending = 0
        self._cv = threading.Condition()
        self._log_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"shadow-{engine}")

    # --- model (re)loading, on the watcher thread ---------------------------------------
    def _load(self, record: dict[str, Any], batched: bool = False) -> Loaded:
        cand = registry.load_candidate(self.root, self.engine, record["candidate"])
        registry.verify(self.root, cand)
        base = registry.base_path(self.root, cand) or self.base_dir
        pred = models.load_serving(self.engine, self.root / cand.adapter, base, self.backend)
        loaded = Loaded(cand.id, cand.sha256, pred)
        if batched and self.batch.max_size > 1:
            loaded.batcher = Batcher(
                loaded.predict_many,
                self.batch,
                f"batch-{self.engine}",
                lambda n: self.metrics.batch(self.engine, cand.id, n),
            )
        return loaded

    def refresh(self) -> None:
        """Pick up changed production.json / shadow.json; on failure keep serving the old one."""
        prod_path = self.root / paths.deploy_production(self.engine)
        sig = _file_sig(prod_path)
        if sig is not None and sig != self._sigs["production"]:
            self._sigs["production"] = sig
            try:
                record = json.loads(sig)
                old = self.champion
                if old is None or old.sha256 != record["sha256"]:
                    new = self._load(record, batched=True)
                    self.champion = new  # the atomic swap
                    if old is not None:
                        old.close()  # its batch thread ends; late requests run alone
                    log.info("%s: now serving %s", self.engine, new.candidate)
                    if old is not None:  # the first load is not a swap
                        self.metrics.swap(self.engine, record.get("event"))
                self._clear("production")
            except Exception as exc:
                self.metrics.load_error(self.engine, "production")
                self._error(
                    "production",
                    f"{prod_path} not loaded, still serving the previous champion: {exc}",
                )
        shadow_path = self.root / paths.deploy_shadow_active(self.engine)
        sig = _file_sig(shadow_path)
        if sig != self._sigs["shadow"]:
            self._sigs["shadow"] = sig
            if sig is None:
                self.shadow = None
                self._clear("shadow")
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
                self._clear("shadow")
            except Exception as exc:
                self.shadow = None
                self.metrics.load_error(self.engine, "shadow")
                self._error("shadow", f"{shadow_path} not loaded, no shadow traffic: {exc}")

    def _error(self, source: str, msg: str) -> None:
        """Record what is wrong now (the log keeps the history; /v1/models shows the present)."""
        log.error("%s: %s", self.engine, msg)
        self.errors = {**self.errors, source: sanitize(msg, 500)}

    def _clear(self, source: str) -> None:
        if source in self.errors:
            self.errors = {k: v for k, v in self.errors.items() if k != source}

    # --- requests -----------------------------------------------------------------------
    def handle(
        self, request_id: str, item: dict[str, Any], trace: monitoring.Trace | None = None
    ) -> dict[str, Any]:
        """The champion's answer; mirrors the request to the shadow when the split says so."""
        champ = self.champion  # captured once: this request finishes on this model
        if champ is None:
            raise NoModel(
                f"no production model for engine '{self.engine}' "
                f"({paths.deploy_production(self.engine)} missing or unloadable); "
                "run `snakemake deploy` first"
            )
        if trace is not None:
            trace.model = champ.candidate
        t0 = time.perf_counter()
        output = champ.predict(item)
        seconds = time.perf_counter() - t0
        latency = 1000 * seconds
        self.metrics.model_call(self.engine, champ.candidate, "production", seconds)
        shadow = self.shadow
        if shadow is not None:
            try:
                if mirrored(request_id, shadow.spec["traffic_percentage"]):
                    self.metrics.shadow_mirrored(self.engine, shadow.model.candidate)
                    self._mirror(shadow, request_id, item, champ, output, latency)
            except Exception as exc:  # the shadow can never cost the caller its answer
                self._error("shadow_log", f"shadow mirroring failed: {exc}")
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
                self.metrics.shadow_dropped(self.engine, shadow.model.candidate)
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
            cand_s = time.perf_counter() - t0
            cand_lat = 1000 * cand_s
            self._observe_shadow(shadow, champ, out, cand_out, cand_s)
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
            self._error("shadow_log", f"shadow logging failed: {exc}")
        finally:
            self._done()

    def _observe_shadow(
        self, shadow: Shadow, champ: Loaded, out: str, cand_out: str | None, seconds: float
    ) -> None:
        """Shadow metrics, on the shadow thread; a metrics fault never costs the log line."""
        cand = shadow.model.candidate
        try:
            if cand_out is None:
                self.metrics.shadow_failed(self.engine, cand)
                return
            self.metrics.model_call(self.engine, cand, "shadow", seconds)
            self.metrics.shadow_compare(self.engine, champ.candidate, cand, out, cand_out)
        except Exception:  # pragma: no cover - defensive
            log.exception("%s: shadow metrics failed", self.engine)

    def serving(self) -> monitoring.Serving:
        """The models now in place, for the scrape (two reference reads, no lock, no model)."""
        champ, shadow = self.champion, self.shadow
        return monitoring.Serving(
            self.engine,
            (champ.candidate, champ.sha256) if champ else None,
            (shadow.model.candidate, shadow.model.sha256) if shadow else None,
            self._pending,
        )

    def _done(self) -> None:
        with self._cv:
            self._pending -= 1
            self._cv.notify_all()

    def _write(self, shadow: Shadow, record: dict[str, Any]) -> None:
        """One whole line per record (atomic.append_line): lines never interleave."""
        line = (json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
        with self._log_lock:
            atomic.append_line(shadow.log_path, line)
        self._clear("shadow_log")

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
            "errors": list(self.errors.values()),
        }

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=False)
        if self.champion is not None:
            self.champion.close()


class Service:
    """All engine slots plus the watcher thread that polls the registry files."""

    def __init__(
        self,
        root: str | Path = ".",
        engines: list[str] | tuple[str, ...] = paths.DEPLOY_ENGINES,
        base_dir: str | None = None,
        poll_s: float = 0.5,
        queue_size: int = 256,
        limits: Limits | None = None,
        batch: BatchSettings | None = None,
        stt_backend: str = "torch",
        stream: StreamSettings | None = None,
    ):
        self.root = Path(root)
        self.metrics = monitoring.Metrics(engines, self._serving)
        self.batch = batch or BatchSettings()
        self.slots = {
            e: EngineSlot(self.root, e, base_dir, queue_size, self.metrics, self.batch, stt_backend)
            for e in engines
        }
        self.poll_s = poll_s
        self.limits = limits or DEFAULT_LIMITS
        self.hub = callio.StreamHub(self, stream)  # live calls (foundry.deploy.callio)
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def _serving(self) -> list[monitoring.Serving]:
        return [slot.serving() for _, slot in sorted(self.slots.items())]

    def refresh(self) -> None:
        for slot in self.slots.values():
            slot.refresh()

    def start(self) -> None:
        memory.hand_back_large_buffers()
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

    def answer(
        self,
        engine: str,
        raw: bytes,
        header_id: str | None,
        trace: monitoring.Trace | None = None,
        content_type: str | None = None,
        query: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """One request body -> the answer; ClientError for the caller's mistakes (blocking).

        Audio engines also take a raw audio body (what telephony platforms post): a WAV with
        mu-law/A-law/PCM at any rate, or headerless G.711/L16 with ``?encoding=&sample_rate=``
        (or an audio/basic, audio/PCMU, audio/PCMA, audio/L16;rate= Content-Type).
        """
        slot = self.slots[engine]
        query = query or {}
        try:
            if models.is_audio(engine) and request_audio.is_raw_audio(content_type):
                enc, rate = request_audio.audio_format(
                    content_type, query.get("encoding"), query.get("sample_rate")
                )
                rid = request_body.request_id(query.get("id"), header_id, self.limits)
                item = {"audio": request_audio.telephone_wav(raw, enc, rate, self.limits)}
            else:
                body = request_body.parse_json(raw, self.limits)
                rid = request_body.request_id(body.get("id"), header_id, self.limits)
                item = parse_input(engine, body, self.limits)
            if trace is not None and "audio" in item:
                trace.audio_seconds = monitoring.wav_seconds(item["audio"])
        except ClientError:
            raise
        except Exception as exc:  # a fault in input handling is still not the model's
            log.exception("%s: reading a request failed", engine)
            raise ClientError(
                400, "bad_request", f"the request could not be read ({type(exc).__name__})."
            ) from None
        return slot.handle(rid or str(uuid.uuid4()), item, trace)


def _error(status: int, reason: str, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail, "reason": reason}, status_code=status)


_STATUS_REASONS = {
    400: ("bad_request", "the request is malformed."),
    404: ("not_found", "no such path; use POST /v1/<engine>, GET /v1/models or GET /healthz."),
    405: ("method_not_allowed", "this method is not allowed on this path."),
}


class LastResort:
    """Innermost safety net: an unexpected exception becomes a short 500 *answer*.

    Starlette's own handler re-raises after answering, and uvicorn then drops the keep-alive
    connection; this one answers and returns, and logs the traceback instead.
    """

    def __init__(self, app: Any, on_error: Callable[[dict], None] | None = None) -> None:
        self.app = app
        self.on_error = on_error  # counts the 500 it answers (metrics)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("unhandled error answering %s %s", scope.get("method"), scope["path"])
            if not started:
                response = _error(500, "internal", "internal error in the service; it is logged.")
                await response(scope, receive, send)
                if self.on_error is not None:
                    try:
                        self.on_error(scope)
                    except Exception:  # pragma: no cover - counting must not break answering
                        log.exception("counting an internal error failed")


def _path_engine(path: str, served: dict[str, Any]) -> str | None:
    """The engine a /v1/<engine> path names, only if this service runs it (labels stay bounded)."""
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "v1" and parts[1] in served:
        return parts[1]
    return None


def create_app(service: Service) -> Any:
    """The FastAPI app: POST /v1/<engine>, GET /v1/models, GET /healthz, GET /metrics."""
    app = FastAPI(title="Malayalam IVR foundry service")
    app.state.service = service
    _error_answers(app, service)
    _info_routes(app, service)
    _stream_routes(app, service)
    _predict_route(app, service)
    return app


def _error_answers(app: Any, service: Service) -> None:
    """Every framework error as a counted one-sentence answer; the last resort for the rest."""
    metrics = service.metrics

    def internal_error(scope: dict) -> None:
        engine = _path_engine(str(scope.get("path", "")), service.slots)
        metrics.request(engine, 500, reason="internal")

    app.add_middleware(LastResort, on_error=internal_error)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        reason, detail = _STATUS_REASONS.get(exc.status_code, ("error", "the request failed."))
        engine = _path_engine(request.url.path, service.slots)
        metrics.request(engine, exc.status_code, reason=reason)
        return _error(exc.status_code, reason, detail)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = (exc.errors() or [{}])[0]
        where = ".".join(str(p) for p in first.get("loc", ()) if isinstance(p, str | int))
        msg = sanitize(str(first.get("msg", "invalid")), 120)
        engine = _path_engine(request.url.path, service.slots)
        metrics.request(engine, 422, reason="invalid_request")
        return _error(422, "invalid_request", f"{where or 'the request'}: {msg}.")


def _info_routes(app: Any, service: Service) -> None:
    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True}

    @app.get("/v1/models")
    def list_models() -> dict[str, Any]:
        return {e: s.status() for e, s in sorted(service.slots.items())}

    @app.get("/metrics", include_in_schema=False)
    def scrape(request: Request) -> Response:
        """Prometheus exposition of this service's registry: counters only, no model call."""
        body, content_type = service.metrics.exposition(request.headers.get("accept"))
        return Response(body, media_type=content_type)


def _stream_routes(app: Any, service: Service) -> None:
    @app.websocket("/v1/stream/twilio")
    async def twilio(websocket: WebSocket) -> None:
        await callio.twilio_stream(service.hub, websocket)

    @app.websocket("/v1/stream/fork")
    async def audio_fork(websocket: WebSocket) -> None:
        await callio.fork_stream(service.hub, websocket)

    @app.websocket("/v1/stream/calls/{call}")
    async def call_events(websocket: WebSocket, call: str) -> None:
        await callio.call_events(service.hub, websocket, call[:64])


def _predict_route(app: Any, service: Service) -> None:
    metrics = service.metrics

    @app.post("/v1/{engine}")
    async def predict(engine: str, request: Request) -> JSONResponse:
        if engine not in service.slots:
            served = ", ".join(sorted(service.slots))
            metrics.request(None, 404, reason="unknown_engine")
            return _error(404, "unknown_engine", f"unknown engine; this service runs {served}.")
        received = 0

        async def chunks() -> AsyncIterator[bytes]:
            nonlocal received
            async for chunk in request.stream():
                received += len(chunk)
                yield chunk

        t0 = time.perf_counter()
        trace = monitoring.Trace()
        response, reason = await _outcome(service, engine, request, chunks(), trace)
        metrics.request(
            engine,
            response.status_code,
            model=trace.model,
            reason=reason,
            seconds=time.perf_counter() - t0,
            audio_seconds=trace.audio_seconds,
        )
        if received >= TRIM_AFTER_BYTES:  # the body and its decoded audio are garbage by now
            await run_in_threadpool(memory.give_back_memory)
        return response


async def _outcome(
    service: Service,
    engine: str,
    request: Request,
    chunks: AsyncIterator[bytes],
    trace: monitoring.Trace,
) -> tuple[JSONResponse, str | None]:
    """Every outcome as an answer (and its reason): 4xx for the caller, 503/500 for us."""
    limits = service.limits
    try:
        request_body.check_headers(request.headers, models.is_audio(engine))
        raw = await request_body.read_body(
            chunks,
            request.headers.get("content-length"),
            limits.body_cap(models.is_audio(engine)),
            limits.body_timeout_s,
        )
        answer = await run_in_threadpool(
            service.answer,
            engine,
            raw,
            request.headers.get("x-request-id"),
            trace,
            request.headers.get("content-type"),
            dict(request.query_params),
        )
        return JSONResponse(answer), None
    except ClientError as exc:
        return JSONResponse(exc.payload(), status_code=exc.status), exc.reason
    except ClientDisconnect:
        reason = "client_disconnected"
        return _error(400, reason, "the client left before the body arrived."), reason
    except NoModel as exc:
        return _error(503, "no_model", sanitize(str(exc)).rstrip(".") + "."), "no_model"
    except Exception as exc:
        log.exception("%s: the model failed on a request", engine)
        name = type(exc).__name__
        detail = f"engine '{engine}' failed on this request ({name}); it is logged."
        return _error(500, "model_error", detail), "model_error"


def connection_guard(limits: Limits) -> ConnectionGuard:
    """The slow-client guard for one server (foundry.deploy.guard)."""
    return ConnectionGuard(limits.header_timeout_s, limits.max_connections_per_ip)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class Running:
    """A uvicorn server on a background thread (used by the shadow step and the tests)."""

    def __init__(
        self,
        service: Service,
        host: str = "127.0.0.1",
        port: int | None = None,
        audiosocket_port: int | None = None,
    ):
        import uvicorn

        self.service = service
        self.host, self.port = host, port or free_port(host)
        self.audiosocket = (
            callio.AudioSocketServer(service.hub, host, audiosocket_port)
            if audiosocket_port is not None
            else None
        )
        self.guard = connection_guard(service.limits)
        config = uvicorn.Config(
            create_app(service),
            host=self.host,
            port=self.port,
            log_level="warning",
            access_log=False,
            http=self.guard.protocol(),
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> Running:
        self.service.start()
        if self.audiosocket is not None:
            self.audiosocket.start()
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
        if self.audiosocket is not None:
            self.audiosocket.stop()
        self.service.stop()


def serve(
    root: str = ".",
    host: str = "127.0.0.1",
    port: int = 8000,
    engines: list[str] | None = None,
    base_dir: str | None = None,
    poll_s: float = 1.0,
    limits: Limits | None = None,
    batch: BatchSettings | None = None,
    stt_backend: str = "torch",
    stream: StreamSettings | None = None,
    audiosocket_port: int | None = None,
) -> None:
    """Run the service in the foreground until interrupted (``foundry serve``)."""
    import uvicorn

    service = Service(
        root,
        engines or list(paths.DEPLOY_ENGINES),
        base_dir,
        poll_s,
        limits=limits,
        batch=batch,
        stt_backend=stt_backend,
        stream=stream,
    )
    service.start()
    guard = connection_guard(service.limits)
    audiosocket = None
    if audiosocket_port is not None:
        audiosocket = callio.AudioSocketServer(service.hub, host, audiosocket_port)
        audiosocket.start()
    try:
        uvicorn.run(
            create_app(service), host=host, port=port, log_level="info", http=guard.protocol()
        )
    finally:
        if audiosocket is not None:
            audiosocket.stop()
        service.stop()
