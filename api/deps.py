"""FastAPI dependencies: the service and settings held by the app, readiness and API-key checks."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Annotated

import anyio
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.errors import NOT_READY, UNAUTHORIZED, WRITES_DISABLED, ApiError
from rag.service import RagService
from rag.settings import Settings


@dataclass
class AppState:
    """What the lifespan sets up once and every request reads."""

    settings: Settings
    service: RagService
    loaded: bool = False  # model + index loaded and start-up ingest done
    load_error: str | None = None
    write_lock: anyio.Lock = field(default_factory=anyio.Lock)  # one ingest/delete at a time


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.rag
    return state


def get_settings(state: Annotated[AppState, Depends(get_state)]) -> Settings:
    return state.settings


def get_service(state: Annotated[AppState, Depends(get_state)]) -> RagService:
    return state.service


def require_ready(state: Annotated[AppState, Depends(get_state)]) -> RagService:
    """The service, or 503 while the model and index are still loading (or failed to load)."""
    if not state.loaded:
        if state.load_error:
            raise ApiError(503, NOT_READY, f"The service failed to start: {state.load_error}")
        raise ApiError(503, NOT_READY, "The model and index are still loading; retry in a few seconds (see /ready).")
    return state.service


_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Settings.api_key (RAG_API_KEY)")
_bearer = HTTPBearer(auto_error=False, description="Same key as X-API-Key, as 'Authorization: Bearer <key>'")


def _check_key(settings: Settings, header_key: str | None, bearer: HTTPAuthorizationCredentials | None) -> None:
    expected = settings.api_key
    if not expected:
        raise ApiError(
            503,
            WRITES_DISABLED,
            "This server has no API key configured, so uploads and deletes are disabled: "
            "start it with RAG_API_KEY set.",
        )
    given = header_key or (bearer.credentials if bearer else None)
    if not given:
        raise ApiError(
            401,
            UNAUTHORIZED,
            "An API key is required: send it as 'X-API-Key: <key>' or 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise ApiError(401, UNAUTHORIZED, "The API key is wrong.", headers={"WWW-Authenticate": "Bearer"})


def require_write_key(
    settings: Annotated[Settings, Depends(get_settings)],
    header_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Write endpoints (upload, delete): 401 without the right key, 503 when no key is configured."""
    _check_key(settings, header_key, bearer)


def require_read_key(
    settings: Annotated[Settings, Depends(get_settings)],
    header_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Read endpoints: open unless Settings.read_requires_key."""
    if settings.read_requires_key:
        _check_key(settings, header_key, bearer)


ReadyService = Annotated[RagService, Depends(require_ready)]
