"""Records shared by every layer: parse → chunk → embed → index → retrieve → serve.

Plain dataclasses, so that `rag/parse` stays free of pydantic and the records serialize with
`dataclasses.asdict`. The API mirrors them with pydantic schemas in `api/schemas.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Attendee:
    name: str
    affiliation: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Meeting:
    title: str  # full heading, e.g. 官民技術協力に関する検討会合（第１回）議事要旨
    body: str | None = None  # e.g. 官民技術協力に関する検討会合
    session: int | None = None  # 第１回 → 1
    date: str | None = None  # ISO 8601, 2021-12-09
    start_time: str | None = None  # 24h "17:15"
    end_time: str | None = None
    place: str | None = None
    attendees: tuple[Attendee, ...] = ()
    absentees: tuple[Attendee, ...] = ()  # 欠席者
    agenda: tuple[str, ...] = ()  # 議事次第 / 議題 items


@dataclass(frozen=True)
class Topic:
    number: int | None  # 《論点① …》 → 1; section headings （２）… → 2
    title: str
    kind: str = "issue"  # "issue" for 《論点…》, "section" for （１）事務局説明等


@dataclass(frozen=True)
class Remark:
    id: str  # f"{document}#{ordinal}", stable across re-ingestion of the same file name
    ordinal: int  # 1-based position in the document
    text: str  # cleaned text (display form: original widths kept)
    topic: str | None = None  # title of the enclosing 《論点》 (or section) heading
    topic_number: int | None = None
    speaker: str | None = None  # 青木, 大島理森 …; None for anonymous ○ remarks
    role: str | None = None  # 委員, 議長, 委員長, 事務局 …
    pages: tuple[int, ...] = ()  # 1-based pages the remark spans
    start: int = 0  # character offsets into ParsedDocument.text
    end: int = 0
    directions: tuple[str, ...] = ()  # stage directions taken out of the text: 拍手, 「異議なし」と呼ぶ者あり …
    speaker_group: str | None = None  # 会派 (the Diet's speakerGroup)
    position: str | None = None  # the Diet's speakerPosition, e.g. 内閣総理大臣
    url: str | None = None  # the Diet's speechURL


@dataclass(frozen=True)
class ParsedDocument:
    document: str  # document id: the file name without extension, e.g. 000_1e1e3ba0d71176a4
    source: str  # path or upload name it came from
    sha256: str  # hash of the raw file bytes (re-ingesting the same bytes is a no-op)
    meeting: Meeting
    topics: tuple[Topic, ...]
    remarks: tuple[Remark, ...]
    text: str  # cleaned document text that Remark.start/end point into
    format: str = "text"  # "text", "pdf", "kokkai", "docx" or "html"
    ocr_pages: tuple[int, ...] = ()  # 1-based pages whose text came from OCR
    empty_pages: tuple[int, ...] = ()  # 1-based pages that gave no text


@dataclass(frozen=True)
class Chunk:
    remark_id: str
    ordinal: int  # 0-based chunk position inside the remark
    text: str
    start: int  # offsets into the remark text
    end: int


@dataclass(frozen=True)
class Citation:
    document: str
    title: str
    session: int | None
    date: str | None
    topic: str | None
    speaker: str | None
    pages: tuple[int, ...]
    speaker_group: str | None = None  # 会派
    url: str | None = None  # e.g. the Diet's speechURL
    role: str | None = None


@dataclass(frozen=True)
class Highlight:
    text: str
    start: int  # offsets into Hit.text
    end: int


@dataclass(frozen=True)
class Filters:
    meeting: str | None = None  # substring of meeting title or body
    date_from: str | None = None  # ISO dates, inclusive
    date_to: str | None = None
    topic: str | None = None  # substring of the topic title, or its number as text
    speaker: str | None = None  # substring of the speaker name or role
    document: str | None = None  # exact document id
    speaker_group: str | None = None  # substring of the 会派 (speaker_group)


@dataclass(frozen=True)
class Hit:
    remark_id: str
    text: str
    score: float
    confidence: float
    citation: Citation
    highlights: tuple[Highlight, ...] = ()


@dataclass
class SearchResult:
    question: str
    answerable: bool
    hits: list[Hit]
    model: str
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # source → one-line reason
    skipped: dict[str, str] = field(default_factory=dict)  # source → why (e.g. the PDF twin of a text file)
    remarks: int = 0
    topics: int = 0


@dataclass(frozen=True)
class StoredRemark:
    """A remark as the index returns it: the remark plus its meeting's citation fields."""

    remark_id: str
    document: str
    ordinal: int
    text: str
    topic: str | None
    topic_number: int | None
    speaker: str | None
    role: str | None
    pages: tuple[int, ...]
    title: str  # meeting title
    body: str | None
    session: int | None
    date: str | None
    speaker_group: str | None = None
    position: str | None = None
    url: str | None = None
    directions: tuple[str, ...] = ()

    def citation(self) -> Citation:
        return Citation(
            document=self.document,
            title=self.title,
            session=self.session,
            date=self.date,
            topic=self.topic,
            speaker=self.speaker,
            pages=self.pages,
            speaker_group=self.speaker_group,
            url=self.url,
            role=self.role,
        )


@dataclass(frozen=True)
class StoredChunk:
    chunk_id: int  # the stable int64 FAISS id
    remark_id: str
    ordinal: int
    text: str
    start: int  # offsets into the remark text
    end: int
