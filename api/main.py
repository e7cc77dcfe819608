"""The FastAPI app: ``create_app()`` wires settings, the RagService, routes, errors, metrics and the web page.

The lifespan loads the model and index once, in a worker thread, so ``/health`` answers at once and
``/ready`` turns 200 when loading (and the optional sample ingest) is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import importlib.util
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from api.deps import AppState
from api.errors import install_error_handlers
from api.metrics import Metrics, MetricsMiddleware
from api.preload import Preload
from api.routes import documents, health, meetings, remarks, search
from rag.errors import RagError
from rag.service import RagService
from rag.settings import Settings, get_settings

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
SAMPLES_DIR = Path(__file__).resolve().parents[1] / "rag" / "samples"

DESCRIPTION = """\
Semantic question answering over Japanese government meeting minutes (議事要旨・議事録).
Ask in Japanese or English; answers are ranked remarks with citations (meeting, 第N回, date, topic, speaker, pages).

Writes (`POST /documents`, `DELETE /documents/{id}`) need `X-API-Key` (or `Authorization: Bearer`) equal to
`RAG_API_KEY`. Every error has the shape `{"error": {"code": "...", "message": "..."}}`.
"""


def _service_ready(service: RagService) -> bool:
    try:
        return bool(service.ready)
    except NotImplementedError:
        return False


async def _ingest_samples(state: AppState) -> None:
    """Ingest the bundled sample minutes when the index is empty (so the page has something to show)."""
    samples = sorted(SAMPLES_DIR.glob("*.txt")) if SAMPLES_DIR.is_dir() else []
    if not samples:
        return
    docs = await run_in_threadpool(state.service.documents)
    if docs:
        return
    async with state.write_lock:
        report = await run_in_threadpool(state.service.ingest, samples)
    log.info("ingested %d bundled sample(s): %s", len(samples), report)


async def _start(state: AppState, preload: Preload | None = None) -> None:
    try:
        if preload is not None:
            await run_in_threadpool(preload.wait)
        if not _service_ready(state.service):
            await run_in_threadpool(state.service.load)
        if preload is not None:  # the server process (`rag serve`), not an app built by a test
            # What is loaded now lives as long as the process: keep it out of the collector's full passes.
            gc.collect()
            gc.freeze()
        if state.settings.ingest_samples_on_start:
            await _ingest_samples(state)
    except RagError as exc:
        state.load_error = str(exc)
        log.error("start-up failed: %s", exc)
        return
    except Exception as exc:  # the process stays up (liveness) and /ready reports the failure
        state.load_error = f"{type(exc).__name__}: {exc}"
        log.exception("start-up failed")
        return
    state.loaded = True
    log.info("ready: model %s", state.service.model_id)


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    state: AppState = app.state.rag
    task = asyncio.create_task(_start(state, getattr(app.state, "preload", None)), name="rag-start")
    try:
        yield
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _index_info(service: RagService) -> Any:
    def info() -> Any:
        return service.info() if _service_ready(service) else {}

    return info


def _mount_docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the assets of the `swagger-ui-bundle` package, so it works offline."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from swagger_ui_bundle import swagger_ui_path

    app.mount("/docs-assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="minutes-rag API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="data:,",
        )


def create_app(
    settings: Settings | None = None, service: RagService | None = None, preload: Preload | None = None
) -> FastAPI:
    """Build the app. ``service`` defaults to ``RagService(settings)`` (or the preload's); it is loaded by the
    lifespan, which waits for ``preload`` first."""
    settings = settings or get_settings()
    if service is None and preload is not None:
        service = preload.service
    service = service if service is not None else RagService(settings)
    app = FastAPI(
        title="minutes-rag",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=_lifespan,
        docs_url=None,  # served below from local assets: the default page loads Swagger UI from a CDN
        redoc_url=None,
        openapi_tags=[
            {"name": "search", "description": "Ask a question / 質問する"},
            {"name": "documents", "description": "Indexed minutes / 登録文書"},
            {"name": "meetings", "description": "Meetings and filter values / 会議と絞り込み"},
            {"name": "health", "description": "Liveness, readiness, metrics"},
        ],
    )
    app.state.rag = AppState(settings=settings, service=service)
    app.state.preload = preload if preload is not None and preload.service is service else None
    app.state.metrics = Metrics(_index_info(service))

    install_error_handlers(app)
    for module in (search, documents, remarks, meetings, health):
        app.include_router(module.router)
    if importlib.util.find_spec("api.routes.brief") is not None:
        brief = importlib.import_module("api.routes.brief")
        app.include_router(brief.router)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _mount_docs(app)

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type", "X-API-Key", "Authorization"],
        )
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    return app


def run(host: str, port: int, settings: Settings | None = None, preload: Preload | None = None) -> None:
    """Serve the app with uvicorn (blocking); used by ``rag serve`` (with its ``Preload``) and ``python -m api``."""
    settings = settings or get_settings()
    log.info("serving on http://%s:%d (index %s, model %s)", host, port, settings.index_dir, settings.model)
    uvicorn.run(create_app(settings, preload=preload), host=host, port=port, log_level="info")
