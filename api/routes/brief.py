"""POST /brief: questions in, an evidence pack out as a Markdown, Word or JSON file."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool

from api.deps import ReadyService, get_settings, require_read_key
from api.errors import VALIDATION_ERROR, ApiError
from api.schemas import QUESTION_MAX_CHARS, FiltersIn, error_responses
from rag.brief import MAX_QUESTIONS, MEDIA_TYPES, build_pack, render
from rag.context import MAX_CONTEXT
from rag.settings import Settings

router = APIRouter(tags=["brief"], dependencies=[Depends(require_read_key)])

MAX_BRIEF_K = 20


class BriefRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    questions: list[Annotated[str, Field(max_length=QUESTION_MAX_CHARS)]] = Field(
        min_length=1,
        max_length=MAX_QUESTIONS,
        description=f"1..{MAX_QUESTIONS} questions, Japanese or English.",
    )
    lang: Literal["ja", "en"] = Field(
        default="ja", description="Language of the labels; quotes stay as spoken."
    )
    format: Literal["md", "docx", "json"] = Field(default="md", description="md | docx | json")
    k: int = Field(default=5, ge=1, le=MAX_BRIEF_K, description="Most remarks per question.")
    filters: FiltersIn | None = None
    min_confidence: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Drop hits below this (default: the answerable threshold)."
    )
    context: int = Field(
        default=0, ge=0, le=MAX_CONTEXT, description="Also quote N neighbouring remarks of each quote, as context."
    )

    @field_validator("questions")
    @classmethod
    def _no_blank(cls, questions: list[str]) -> list[str]:
        cleaned = [q.strip() for q in questions]
        blank = [str(i) for i, q in enumerate(cleaned, 1) if not q]
        if blank:
            raise ValueError(f"question(s) {', '.join(blank)} are empty: remove them or type a question")
        return cleaned


_EXAMPLES = {
    "ja": {
        "summary": "日本語・Markdown",
        "value": {
            "questions": ["スタートアップの資金調達の課題は？", "研究開発投資をどう進めるべきか"],
            "lang": "ja",
            "format": "md",
            "k": 5,
        },
    },
    "en": {
        "summary": "English labels, Word file",
        "value": {"questions": ["What was said about think tanks?"], "lang": "en", "format": "docx", "k": 3},
    },
}


@router.post(
    "/brief",
    summary="Evidence pack for a briefing / 根拠資料の作成",
    description=(
        "Searches every question and returns a file: per question, the supporting remarks quoted in full, "
        "grouped by meeting and topic, with highlighted sentences, confidence and citations, then a source "
        "list. A remark serving several questions is quoted once and referenced; questions without good "
        "evidence are listed as such."
    ),
    response_class=Response,
    responses={
        200: {
            "description": "The brief as a file (attachment).",
            "content": {media: {} for media in MEDIA_TYPES.values()},
        },
        **error_responses(401, 422, 503),
    },
)
async def brief(
    body: Annotated[BriefRequest, Body(openapi_examples=_EXAMPLES)],  # type: ignore[arg-type]
    service: ReadyService,
    settings: Annotated[Settings, Depends(get_settings)],
) -> Response:
    too_long = [str(i) for i, q in enumerate(body.questions, 1) if len(q) > settings.max_question_chars]
    if too_long:
        raise ApiError(
            422,
            VALIDATION_ERROR,
            f"question(s) {', '.join(too_long)} are longer than {settings.max_question_chars} characters; shorten them.",
        )
    if body.k > settings.max_k:
        raise ApiError(422, VALIDATION_ERROR, f"k must be between 1 and {settings.max_k}; got {body.k}.")
    pack = await run_in_threadpool(
        build_pack,
        service,
        body.questions,
        k=body.k,
        lang=body.lang,
        filters=body.filters.to_filters() if body.filters else None,
        min_confidence=body.min_confidence,
        context=body.context,
    )
    content = await run_in_threadpool(render, pack, body.format)
    return Response(
        content=content,
        media_type=MEDIA_TYPES[body.format],
        headers={"Content-Disposition": f'attachment; filename="brief-{body.lang}.{body.format}"'},
    )
