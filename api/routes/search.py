"""POST /search: a question in, ranked cited remarks out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request
from starlette.concurrency import run_in_threadpool

from api.deps import ReadyService, get_settings, require_read_key
from api.errors import VALIDATION_ERROR, ApiError
from api.schemas import SearchRequest, SearchResponse, error_responses
from rag.settings import Settings

router = APIRouter(tags=["search"], dependencies=[Depends(require_read_key)])

_EXAMPLES = {
    "ja": {
        "summary": "日本語の質問",
        "value": {"question": "スタートアップの資金調達の課題は？", "k": 5},
    },
    "en": {
        "summary": "English question",
        "value": {"question": "What did members say about funding for startups?", "k": 5, "mode": "hybrid"},
    },
    "filtered": {
        "summary": "フィルタ付き / with filters",
        "value": {
            "question": "研究開発投資をどう進めるべきか",
            "k": 3,
            "filters": {"meeting": "検討会合", "date_from": "2021-01-01", "date_to": "2021-12-31", "topic": "1"},
            "rerank": True,
        },
    },
}


@router.post(
    "/search",
    response_model=SearchResponse,
    summary="Search the minutes / 議事録を検索",
    description=(
        "Ranked remarks with citations (meeting, 第N回, date, topic, speaker, pages), the sentences that "
        "answer best highlighted, and `answerable: false` when no remark is good evidence."
    ),
    responses=error_responses(401, 422, 503),
)
async def search(
    request: Request,
    body: Annotated[SearchRequest, Body(openapi_examples=_EXAMPLES)],
    service: ReadyService,
    settings: Annotated[Settings, Depends(get_settings)],
) -> SearchResponse:
    if len(body.question) > settings.max_question_chars:
        raise ApiError(
            422,
            VALIDATION_ERROR,
            f"question is {len(body.question)} characters; shorten it to at most {settings.max_question_chars}.",
        )
    if body.k is not None and body.k > settings.max_k:
        raise ApiError(422, VALIDATION_ERROR, f"k must be between 1 and {settings.max_k}; got {body.k}.")
    result = await run_in_threadpool(
        service.search,
        body.question,
        k=body.k,
        filters=body.filters.to_filters() if body.filters else None,
        mode=body.mode,
        rerank=body.rerank,
    )
    request.app.state.metrics.observe_search(result.timings_ms, result.answerable)
    from api.routes.documents import source_urls

    return SearchResponse.from_result(result, await run_in_threadpool(source_urls, service, result))
