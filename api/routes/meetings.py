"""GET /meetings (one row per indexed meeting) and GET /facets (values for the page's filter selects)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from api.deps import ReadyService, require_read_key
from api.schemas import MeetingOut, error_responses

router = APIRouter(tags=["meetings"], dependencies=[Depends(require_read_key)])

_MEETING_KEYS = ("document", "title", "body", "session", "date", "remarks")


@router.get(
    "/meetings",
    response_model=list[MeetingOut],
    summary="Indexed meetings / 会議の一覧",
    description="One row per indexed minutes document, sorted by date.",
    responses=error_responses(401, 503),
)
async def list_meetings(service: ReadyService) -> list[dict[str, Any]]:
    docs = await run_in_threadpool(service.documents)
    return [{key: doc.get(key) for key in _MEETING_KEYS} for doc in docs]


_FACETS_EXAMPLE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Distinct values, sorted",
        "content": {
            "application/json": {
                "example": {
                    "bodies": ["地域交通の将来像に関する有識者会議"],
                    "meetings": ["地域交通の将来像に関する有識者会議（第２回）議事要旨"],
                    "dates": ["2023-04-12"],
                    "topics": ["地方路線の維持に向けた財源の確保"],
                    "speakers": ["座長", "事務局"],
                    "documents": ["transport_002"],
                }
            }
        },
    }
}


@router.get(
    "/facets",
    summary="Filter values / 絞り込み候補",
    description="Distinct bodies, meetings, dates, topics, speakers and documents in the index.",
    responses=_FACETS_EXAMPLE | error_responses(401, 503),
)
async def facets(service: ReadyService) -> dict[str, list[Any]]:
    return await run_in_threadpool(service.facets)
