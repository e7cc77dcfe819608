"""Pydantic request/response models: the API's mirror of ``rag/types.py`` (and the OpenAPI schema)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from rag.types import Filters, IngestReport, SearchResult

Mode = Literal["dense", "lexical", "hybrid"]
QUESTION_MAX_CHARS = 1000  # the schema's bound; Settings.max_question_chars is checked by the route as well


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. validation_error, not_found, unauthorized.")
    message: str = Field(description="What went wrong and what to do.")
    details: Any = None


class ErrorResponse(BaseModel):
    error: ErrorBody


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entry documenting the error shape for the given statuses."""
    descriptions = {
        400: "Bad request",
        401: "Missing or wrong API key (X-API-Key or Authorization: Bearer)",
        404: "Not found",
        413: "File over the size limit",
        415: "Unsupported file type (use .pdf, .txt, .md, .json (the Diet's API), .docx or .html)",
        416: "Range not satisfiable (Content-Range: bytes */size)",
        422: "Invalid request or unreadable file",
        503: "Not ready (model/index loading) or writes disabled",
    }
    return {s: {"model": ErrorResponse, "description": descriptions.get(s, "Error")} for s in statuses}


# --- search ------------------------------------------------------------------------------------
class FiltersIn(BaseModel):
    """Optional restrictions; unknown keys are rejected (422)."""

    model_config = ConfigDict(extra="forbid")

    meeting: str | None = Field(default=None, max_length=200, description="Substring of the meeting title or body.")
    date_from: dt.date | None = Field(default=None, description="ISO date, inclusive.")
    date_to: dt.date | None = Field(default=None, description="ISO date, inclusive.")
    topic: str | None = Field(default=None, max_length=200, description="Substring of the topic, or its number.")
    speaker: str | None = Field(default=None, max_length=100, description="Substring of the speaker name or role.")
    document: str | None = Field(default=None, max_length=200, description="Exact document id.")

    @model_validator(mode="after")
    def _dates_in_order(self) -> FiltersIn:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from must not be after date_to; swap them")
        return self

    def to_filters(self) -> Filters:
        def blank(v: str | None) -> str | None:
            return v.strip() or None if v is not None else None

        return Filters(
            meeting=blank(self.meeting),
            date_from=self.date_from.isoformat() if self.date_from else None,
            date_to=self.date_to.isoformat() if self.date_to else None,
            topic=blank(self.topic),
            speaker=blank(self.speaker),
            document=blank(self.document),
        )


class SearchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": "スタートアップの資金調達の課題は？", "k": 5},
                {"question": "How should investment in advanced technology R&D be promoted?", "k": 5, "mode": "hybrid"},
                {
                    "question": "経済安全保障と研究開発の関係について",
                    "k": 3,
                    "filters": {"date_from": "2021-01-01", "topic": "1"},
                    "rerank": True,
                },
            ]
        },
    )

    question: str = Field(min_length=1, max_length=QUESTION_MAX_CHARS, description="Japanese or English question.")
    k: int | None = Field(default=None, ge=1, description="Number of hits, 1..Settings.max_k (default Settings.default_k).")
    filters: FiltersIn | None = None
    mode: Mode | None = Field(default=None, description="dense | lexical | hybrid (default Settings.mode).")
    rerank: bool | None = Field(default=None, description="Cross-encoder / lexical rerank (default Settings.rerank).")

    @field_validator("question", mode="before")
    @classmethod
    def _not_blank(cls, v: object) -> object:
        if isinstance(v, str):
            v = v.strip()
            if not v:
                raise ValueError("question is empty: type a question in Japanese or English")
        return v


class HighlightOut(BaseModel):
    text: str
    start: int = Field(description="Offset into the hit text.")
    end: int


class CitationOut(BaseModel):
    document: str
    title: str
    session: int | None = None
    date: str | None = None
    topic: str | None = None
    speaker: str | None = None
    pages: list[int] = Field(default_factory=list)
    speaker_group: str | None = Field(default=None, description="会派 (Diet minutes); left out when empty.")
    url: str | None = Field(default=None, description="Link to the speech (the Diet's speechURL); left out when empty.")
    role: str | None = Field(default=None, description="The speaker's role; left out when empty.")

    @model_serializer(mode="wrap")
    def _omit_empty_extras(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for key in ("speaker_group", "url", "role"):
            if data.get(key) is None:
                data.pop(key, None)
        return data


class HitOut(BaseModel):
    remark_id: str
    text: str
    score: float
    confidence: float = Field(ge=0.0, le=1.0)
    highlights: list[HighlightOut] = Field(default_factory=list)
    citation: CitationOut
    source_url: str | None = Field(
        default=None, description="The stored source PDF at the cited page (`/documents/{id}/source#page=N`)."
    )


class SearchResponse(BaseModel):
    question: str
    answerable: bool = Field(description="False when no remark is good enough evidence.")
    hits: list[HitOut]
    timings_ms: dict[str, float] = Field(default_factory=dict)
    model: str

    @classmethod
    def from_result(cls, result: SearchResult, sources: dict[str, str] | None = None) -> SearchResponse:
        """``sources``: document → URL of its stored source PDF (hits link to it at their first page)."""
        out = cls.model_validate(asdict(result))
        for hit in out.hits:
            base = (sources or {}).get(hit.citation.document)
            if base is not None:
                hit.source_url = f"{base}#page={hit.citation.pages[0]}" if hit.citation.pages else base
        return out


# --- documents ---------------------------------------------------------------------------------
class MeetingOut(BaseModel):
    document: str
    title: str | None = None
    body: str | None = None
    session: int | None = None
    date: str | None = None
    remarks: int | None = None


class DocumentSummary(MeetingOut):
    """A meeting as listed under /documents: its file's hash and source too, and any further store fields."""

    model_config = ConfigDict(extra="allow")

    sha256: str | None = None
    source: str | None = None


FileStatus = Literal["added", "unchanged", "replaced", "failed"]


class FileResult(BaseModel):
    file: str = Field(description="Upload file name.")
    document: str | None = Field(default=None, description="Document id (file name without extension).")
    status: FileStatus
    http_status: int = Field(description="What this file alone would have answered: 201, 200, 413, 415, 422.")
    reason: str | None = None


class UploadResponse(BaseModel):
    files: list[FileResult]
    added: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    replaced: list[str] = Field(default_factory=list)
    failed: dict[str, str] = Field(default_factory=dict)
    remarks: int = 0
    topics: int = 0

    def merge(self, report: IngestReport) -> None:
        self.added += report.added
        self.unchanged += report.unchanged
        self.replaced += report.replaced
        self.failed.update(report.failed)
        self.remarks += report.remarks
        self.topics += report.topics


class DeleteResponse(BaseModel):
    document: str
    deleted: bool = True


# --- health ------------------------------------------------------------------------------------
class HealthResponse(BaseModel):
    status: Literal["ok"] = "ok"


class ReadyResponse(BaseModel):
    status: Literal["ready"] = "ready"
    model: str
    documents: int


# --- context: a remark with its neighbours, the whole record, the source PDF (issue 15) -----------
class ContextMeetingOut(BaseModel):
    title: str | None = None
    body: str | None = None
    session: int | None = None
    date: str | None = None


class TopicStartOut(BaseModel):
    remark_id: str = Field(description="First remark of the agenda item (topic) the remark sits under.")
    ordinal: int


class RemarkSpanOut(BaseModel):
    remark_id: str
    ordinal: int = Field(description="1-based position in the document.")
    speaker: str | None = None
    role: str | None = None
    topic: str | None = None
    topic_number: int | None = None
    pages: list[int] = Field(default_factory=list)
    start: int = Field(description="Offset of the remark in the document's cleaned text.")
    end: int
    source_url: str | None = Field(
        default=None, description="The stored source PDF at the remark's first page (`…/source#page=N`)."
    )


class ContextRemarkOut(RemarkSpanOut):
    text: str
    citation: CitationOut
    position: Literal["before", "hit", "after"]
    is_hit: bool


_CONTEXT_EXAMPLE: dict[str, Any] = {
    "remark_id": "000_1e1e3ba0d71176a4#5",
    "document": "000_1e1e3ba0d71176a4",
    "meeting": {"title": "官民技術協力に関する検討会合（第１回）議事要旨", "body": "官民技術協力に関する検討会合",
                "session": 1, "date": "2021-12-09"},
    "before": 1,
    "after": 1,
    "total_remarks": 23,
    "topic": "研究開発投資",
    "topic_number": 1,
    "topic_start": {"remark_id": "000_1e1e3ba0d71176a4#3", "ordinal": 3},
    "source_url": None,
    "remarks": [
        {"remark_id": "000_1e1e3ba0d71176a4#4", "ordinal": 4, "text": "…", "speaker": None, "role": "委員",
         "topic": "研究開発投資", "topic_number": 1, "pages": [2], "start": 812, "end": 901,
         "citation": {"document": "000_1e1e3ba0d71176a4", "title": "官民技術協力に関する検討会合（第１回）議事要旨",
                      "session": 1, "date": "2021-12-09", "topic": "研究開発投資", "speaker": None, "pages": [2]},
         "source_url": None, "position": "before", "is_hit": False},
    ],
}  # fmt: skip


class RemarkContextOut(BaseModel):
    """A remark with its neighbours of the same document, in document order (only those that exist)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CONTEXT_EXAMPLE]})

    remark_id: str = Field(description="The remark asked for (`DOC#N`).")
    document: str
    meeting: ContextMeetingOut
    before: int
    after: int
    total_remarks: int = Field(description="Remarks in the document.")
    topic: str | None = None
    topic_number: int | None = None
    topic_start: TopicStartOut = Field(description="Where the remark's agenda item starts.")
    source_url: str | None = Field(default=None, description="The stored source PDF, when the upload was a PDF.")
    remarks: list[ContextRemarkOut] = Field(description="Neighbours and the remark (`is_hit`), in document order.")


class DocumentTextOut(BaseModel):
    """The cleaned full text that remark offsets point into: ``text[start:end]`` is the remark."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "document": "000_1e1e3ba0d71176a4",
                    "meeting": {"title": "官民技術協力に関する検討会合（第１回）議事要旨", "session": 1, "date": "2021-12-09"},
                    "format": "text",
                    "source_url": None,
                    "text": "官民技術協力に関する検討会合（第１回）議事要旨\n…",
                    "remarks": [{"remark_id": "000_1e1e3ba0d71176a4#1", "ordinal": 1, "speaker": None, "role": "委員",
                                 "topic": None, "topic_number": None, "pages": [1], "start": 420, "end": 512,
                                 "source_url": None}],
                }
            ]
        }
    )  # fmt: skip

    document: str
    meeting: ContextMeetingOut
    format: str = Field(description="text | pdf: what the document was parsed from.")
    source_url: str | None = None
    text: str
    remarks: list[RemarkSpanOut]
