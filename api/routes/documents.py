"""Documents: upload (multipart), list, show, delete. Writes need the API key and run one at a time."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import AppState, ReadyService, get_state, require_read_key, require_write_key
from api.errors import (
    FILE_TOO_LARGE,
    RANGE_NOT_SATISFIABLE,
    UNPARSEABLE_FILE,
    UNSUPPORTED_FILE_TYPE,
    UPLOAD_FAILED,
    VALIDATION_ERROR,
    ApiError,
)
from api.ranges import RangeNotSatisfiable, byte_range
from api.schemas import (
    DeleteResponse,
    DocumentSummary,
    DocumentTextOut,
    FileResult,
    FileStatus,
    UploadResponse,
    error_responses,
)
from rag.context import document_text_to_json
from rag.errors import NotFoundError, ParseError
from rag.service import SUPPORTED_SUFFIXES, RagService
from rag.types import IngestReport, SearchResult

log = logging.getLogger(__name__)

router = APIRouter(tags=["documents"])

ALLOWED_SUFFIXES = SUPPORTED_SUFFIXES  # the service decides what it parses; one list for both faces
MAX_FILES = 20
_FAILURE_CODES = {413: FILE_TOO_LARGE, 415: UNSUPPORTED_FILE_TYPE, 422: UNPARSEABLE_FILE}

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "One or more minutes files (.pdf, .txt, .md); 議事要旨・議事録のファイル",
                        }
                    },
                },
                "encoding": {"files": {"contentType": "application/pdf, text/plain, text/markdown"}},
            }
        },
    }
}


_UNCHANGED: dict[int | str, dict[str, Any]] = {
    200: {"model": UploadResponse, "description": "Nothing new: every file was already indexed, unchanged"}
}


def _safe_name(raw: str | None) -> str:
    """The upload's base name (no directories, either slash style)."""
    name = PureWindowsPath(PurePosixPath(raw or "").name).name.strip()
    return name.replace("\x00", "")


def _file_reason(result: FileResult) -> str:
    reason = result.reason or "failed"
    return reason if reason.startswith(f"{result.file}: ") else f"{result.file}: {reason}"


async def _read_limited(upload: UploadFile, limit: int) -> bytes | None:
    """The file's bytes, or None when it is larger than ``limit``."""
    data = await upload.read(limit + 1)
    return None if len(data) > limit else data


def _classify(name: str, report: IngestReport) -> FileResult:
    outcomes: tuple[tuple[FileStatus, list[str]], ...] = (
        ("added", report.added),
        ("replaced", report.replaced),
        ("unchanged", report.unchanged),
    )
    for status, ids in outcomes:
        if ids:
            return FileResult(file=name, document=ids[0], status=status, http_status=200 if status == "unchanged" else 201)
    if report.failed:
        return _failed(name, 422, next(iter(report.failed.values())))[0]
    return FileResult(file=name, document=PurePosixPath(name).stem, status="unchanged", http_status=200)


def _failed(name: str, status: int, reason: str) -> tuple[FileResult, IngestReport]:
    result = FileResult(file=name, document=PurePosixPath(name).stem, status="failed", http_status=status, reason=reason)
    return result, IngestReport(failed={name: reason})


async def _ingest_one(state: AppState, upload: UploadFile, limit_bytes: int) -> tuple[FileResult, IngestReport]:
    name = _safe_name(upload.filename)
    if not name:
        return _failed("", 422, "the upload has no file name")
    if not name.lower().endswith(ALLOWED_SUFFIXES):
        suffix = PurePosixPath(name).suffix or name
        reason = f"unsupported file type '{suffix}': upload one of {', '.join(SUPPORTED_SUFFIXES)}"
        return _failed(name, 415, reason)
    data = await _read_limited(upload, limit_bytes)
    if data is None:
        reason = f"larger than the {state.settings.max_upload_mb} MB limit (Settings.max_upload_mb)"
        return _failed(name, 413, reason)
    async with state.write_lock:
        try:
            report = await run_in_threadpool(state.service.ingest_bytes, name, data)
        except ParseError as exc:
            return _failed(name, 422, str(exc))
        result = _classify(name, report)
        await run_in_threadpool(_keep_source, state.service, result, data)
    return result, report


def _keep_source(service: RagService, result: FileResult, data: bytes) -> None:
    """A PDF that is now the indexed rendition is kept for /documents/{id}/source; a text rendition that
    replaced one drops the stale PDF."""
    if result.document is None or result.status == "failed":
        return
    if result.file.lower().endswith(".pdf"):
        if result.status != "unchanged" or not service.has_source(result.document):
            service.store_source(result.document, data)
    elif result.status in ("added", "replaced"):
        service.remove_source(result.document)


@router.post(
    "/documents",
    status_code=201,
    response_model=UploadResponse,
    summary="Upload minutes / 議事録をアップロード",
    description=(
        "Multipart upload of one or many `.pdf`/`.txt`/`.md` files (field `files`); needs `X-API-Key`. "
        "201 when something was added or replaced, 200 when every file was already indexed unchanged; "
        "when every file failed: 415 (type), 413 (size) or 422 (unreadable/encrypted PDF, undecodable text, "
        "not minutes), with the per-file report in `error.details`."
    ),
    responses=_UNCHANGED | error_responses(400, 401, 413, 415, 422, 503),
    openapi_extra=_UPLOAD_BODY,
    dependencies=[Depends(require_write_key)],
)
async def upload_documents(
    request: Request,
    response: Response,
    state: Annotated[AppState, Depends(get_state)],
    _service: ReadyService,
) -> UploadResponse:
    limit_bytes = state.settings.max_upload_mb * 1024 * 1024
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ApiError(415, UNSUPPORTED_FILE_TYPE, "Send multipart/form-data with the files in the 'files' field.")
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit_bytes * MAX_FILES + 1024 * 1024:
        raise ApiError(413, FILE_TOO_LARGE, f"The request is too large: at most {MAX_FILES} files of {state.settings.max_upload_mb} MB each.")
    out = UploadResponse(files=[])
    async with request.form(max_files=MAX_FILES, max_fields=MAX_FILES) as form:
        uploads = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
        if not uploads:
            raise ApiError(422, VALIDATION_ERROR, "No file in the request: send one or more files in the 'files' field.")
        for upload in uploads:
            result, report = await _ingest_one(state, upload, limit_bytes)
            out.files.append(result)
            out.merge(report)
            request.app.state.metrics.ingested.labels(status=result.status).inc()
            log.info("upload %s: %s%s", result.file, result.status, f" ({result.reason})" if result.reason else "")
    statuses = {f.http_status for f in out.files}
    if any(f.status in ("added", "replaced") for f in out.files):
        response.status_code = 201
    elif any(f.status == "unchanged" for f in out.files):
        response.status_code = 200
    else:
        status = next(iter(statuses)) if len(statuses) == 1 else 422
        code = _FAILURE_CODES.get(status, UPLOAD_FAILED) if len(statuses) == 1 else UPLOAD_FAILED
        message = "No file was indexed: " + "; ".join(_file_reason(f) for f in out.files)
        raise ApiError(status, code, message, details=out.model_dump())
    return out


@router.get(
    "/documents",
    response_model=list[DocumentSummary],
    summary="List indexed documents / 登録済みの文書",
    dependencies=[Depends(require_read_key)],
    responses=error_responses(401, 503),
)
async def list_documents(service: ReadyService) -> list[dict[str, Any]]:
    return await run_in_threadpool(service.documents)


def _document_json(doc: Any) -> dict[str, Any]:
    try:
        from rag.parse import to_json
    except ImportError:  # parser without to_json: plain dataclass dump
        return dataclasses.asdict(doc)
    return to_json(doc)


@router.get(
    "/documents/{document}",
    summary="One parsed document / 文書の解析結果",
    description="The parsed record: meeting header, topics and remarks with pages and offsets (`rag.parse.to_json`).",
    dependencies=[Depends(require_read_key)],
    responses=error_responses(401, 404, 503),
)
async def get_document(document: str, service: ReadyService) -> dict[str, Any]:
    doc = await run_in_threadpool(service.document, document)
    return _document_json(doc)


@router.delete(
    "/documents/{document}",
    response_model=DeleteResponse,
    summary="Delete a document / 文書を削除",
    dependencies=[Depends(require_write_key)],
    responses=error_responses(401, 404, 503),
)
async def delete_document(
    document: str, state: Annotated[AppState, Depends(get_state)], service: ReadyService
) -> DeleteResponse:
    async with state.write_lock:
        await run_in_threadpool(service.delete, document)  # its source PDF goes with it
    log.info("deleted %s", document)
    return DeleteResponse(document=document)


# --- whole text and source PDF (issue 15) -----------------------------------------------------------
def source_url(document: str) -> str:
    return f"/documents/{quote(document, safe='')}/source"


def source_urls(service: RagService, result: SearchResult) -> dict[str, str]:
    """document → source URL for the documents of ``result`` that have a stored source PDF."""
    documents = {hit.citation.document for hit in result.hits}
    return {d: source_url(d) for d in sorted(service.sources_stored(documents))}


def text_json(service: RagService, document: str) -> dict[str, Any]:
    doc = service.document_text(document)
    return document_text_to_json(doc, source=source_url(document) if service.has_source(document) else None)


@router.get(
    "/documents/{document}/text",
    response_model=DocumentTextOut,
    summary="Whole cleaned text / 全文",
    description=(
        "The cleaned full text of the minutes with every remark's offsets (`text[start:end]` is the remark), "
        "so a client can render the whole record and scroll to a hit."
    ),
    dependencies=[Depends(require_read_key)],
    responses=error_responses(401, 404, 503),
)
async def get_document_text(document: str, service: ReadyService) -> dict[str, Any]:
    return await run_in_threadpool(text_json, service, document)


def inline_disposition(filename: str) -> str:
    """``Content-Disposition: inline`` naming ``filename`` (RFC 6266 ``filename*`` when it is not ASCII-safe)."""
    quoted = quote(filename)
    return f'inline; filename="{filename}"' if quoted == filename else f"inline; filename*=utf-8''{quoted}"


@router.get(
    "/documents/{document}/source",
    response_class=Response,
    summary="Source PDF / 原本 PDF",
    description=(
        "The PDF that was uploaded for this document, kept by the index: in its folder (`sources/`) for the "
        "embedded index, in Milvus with `RAG_STORE` (so every replica serves it). Only what the index holds is "
        "served: the document must be indexed from that very PDF (same sha256); anything else, links and paths "
        "outside the folder included, is 404. Add `#page=N` to open it at a page. One byte range per request is "
        "served (`Range: bytes=0-1023`, 206; past the end, 416); the ETag is the PDF's sha256 (`If-None-Match`: 304)."
    ),
    responses={200: {"content": {"application/pdf": {}}, "description": "The PDF."},
               206: {"content": {"application/pdf": {}}, "description": "The requested byte range of the PDF."},
               304: {"description": "Unchanged (If-None-Match)."}, **error_responses(401, 404, 416, 503)},
    dependencies=[Depends(require_read_key)],
)
async def get_document_source(document: str, request: Request, service: ReadyService) -> Response:
    found = await run_in_threadpool(service.source, document)
    if found is None:
        raise NotFoundError(f"no stored source PDF for {document!r}: only PDF uploads keep their source")
    data, sha256 = found
    etag = f'"{sha256}"'
    headers = {"Content-Disposition": inline_disposition(f"{document}.pdf"), "Accept-Ranges": "bytes", "ETag": etag}
    if etag in (t.strip() for t in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=304, headers=headers)
    try:
        span = byte_range(request.headers.get("range"), len(data), if_range=request.headers.get("if-range"), etag=etag)
    except RangeNotSatisfiable as exc:
        raise ApiError(416, RANGE_NOT_SATISFIABLE, f"Range not satisfiable ({exc}); the PDF has {len(data)} bytes.",
                       headers={"Content-Range": f"bytes */{len(data)}"}) from exc
    if span is None:
        return Response(data, media_type="application/pdf", headers=headers)
    first, last = span
    headers["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
    return Response(data[first : last + 1], status_code=206, media_type="application/pdf", headers=headers)
