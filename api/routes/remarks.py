"""GET /remarks/{id}: a remark with its neighbours of the same document, and where its agenda item starts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool

from api.deps import ReadyService, require_read_key
from api.routes.documents import source_url
from api.schemas import RemarkContextOut, error_responses
from rag.context import MAX_CONTEXT, context_to_json
from rag.service import RagService

router = APIRouter(tags=["documents"], dependencies=[Depends(require_read_key)])

Before = Annotated[int, Query(ge=0, le=MAX_CONTEXT, description=f"Remarks before it, 0..{MAX_CONTEXT}.")]
After = Annotated[int, Query(ge=0, le=MAX_CONTEXT, description=f"Remarks after it, 0..{MAX_CONTEXT}.")]


def context_json(service: RagService, remark_id: str, before: int, after: int) -> dict[str, Any]:
    ctx = service.remark_context(remark_id, before, after)
    document = ctx.doc.document
    return context_to_json(ctx, source=source_url(document) if service.has_source(document) else None)


_DESCRIPTION = (
    "The remark and up to `before`/`after` neighbours, in document order, never from another document (at the "
    "first or last remark only those that exist). Each carries speaker, role, topic, pages and citation; "
    "`topic_start` is the first remark of its agenda item. Remark ids look like `DOC#N`: URL-encode `#` as "
    "`%23` (`/remarks/DOC%23N`), or write `DOC:N`, or use `/remarks/{document}/{ordinal}`."
)


@router.get(
    "/remarks/{remark_id}",
    response_model=RemarkContextOut,
    summary="A remark in its context / 前後の発言",
    description=_DESCRIPTION,
    responses=error_responses(401, 404, 422, 503),
)
async def get_remark(
    remark_id: Annotated[
        str, Path(description="`DOC#N` (as `DOC%23N`) or `DOC:N`", examples=["000_1e1e3ba0d71176a4:5"])
    ],
    service: ReadyService,
    before: Before = 2,
    after: After = 2,
) -> dict[str, Any]:
    return await run_in_threadpool(context_json, service, remark_id, before, after)


@router.get(
    "/remarks/{document}/{ordinal}",
    response_model=RemarkContextOut,
    summary="A remark in its context, path form / 前後の発言",
    description=_DESCRIPTION,
    responses=error_responses(401, 404, 422, 503),
)
async def get_remark_by_path(
    document: str,
    ordinal: Annotated[int, Path(ge=1, description="1-based remark number in the document.")],
    service: ReadyService,
    before: Before = 2,
    after: After = 2,
) -> dict[str, Any]:
    return await run_in_threadpool(context_json, service, f"{document}#{ordinal}", before, after)
