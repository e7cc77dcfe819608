"""Liveness (/health), readiness (/ready) and Prometheus metrics (/metrics)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import ReadyService
from api.schemas import HealthResponse, ReadyResponse, error_responses

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthResponse, summary="Liveness: 200 while the process runs")
async def health() -> HealthResponse:
    return HealthResponse()


@router.get(
    "/ready",
    response_model=ReadyResponse,
    summary="Readiness: 200 once the model and index are loaded, else 503",
    responses=error_responses(503),
)
async def ready(service: ReadyService) -> ReadyResponse:
    docs = await run_in_threadpool(service.documents)
    return ReadyResponse(model=service.model_id, documents=len(docs))


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text exposition format"}},
)
async def metrics(request: Request) -> Response:
    body, content_type = await run_in_threadpool(request.app.state.metrics.render)
    return Response(content=body, media_type=content_type)


