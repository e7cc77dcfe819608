"""A remark inside its minutes: its neighbours, where its agenda item starts, the whole cleaned record.

Pure functions over a ``ParsedDocument`` (the service fetches it from the index). Neighbours never cross the
document: at the first or last remark only what exists is returned. ``context_to_json`` and
``document_text_to_json`` are the one JSON shape the API and ``rag show --json`` both print.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rag.errors import InputError, NotFoundError
from rag.types import Citation, ParsedDocument, Remark

MAX_CONTEXT = 20  # most remarks on either side


@dataclass(frozen=True)
class RemarkContext:
    """The remark ``ordinal`` of ``doc`` with up to ``before``/``after`` neighbours, in document order."""

    doc: ParsedDocument
    ordinal: int
    remarks: tuple[Remark, ...]  # neighbours and the remark itself, in document order
    topic_start: int  # ordinal of the first remark of the remark's agenda item
    before: int
    after: int

    @property
    def remark(self) -> Remark:
        return next(r for r in self.remarks if r.ordinal == self.ordinal)


def parse_remark_id(remark_id: str) -> tuple[str, int]:
    """``DOC#N`` (or ``DOC:N``, for clients where ``#`` is awkward) → (document, ordinal); InputError otherwise."""
    raw = remark_id.strip()
    for sep in ("#", ":"):
        document, found, tail = raw.rpartition(sep)
        if found and document and tail.isdigit() and int(tail) >= 1:
            return document, int(tail)
    raise InputError(
        f"{remark_id!r} is not a remark id: write it as DOCUMENT#N (URL-encode # as %23) or DOCUMENT:N."
    )


def check_window(before: int, after: int) -> None:
    for name, value in (("before", before), ("after", after)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CONTEXT:
            raise InputError(f"{name} must be a whole number from 0 to {MAX_CONTEXT}; got {value!r}.")


def find_remark(doc: ParsedDocument, ordinal: int) -> Remark:
    for remark in doc.remarks:
        if remark.ordinal == ordinal:
            return remark
    raise NotFoundError(
        f"no remark {doc.document}#{ordinal}: the document has remarks 1 to {len(doc.remarks)}"
        if doc.remarks
        else f"no remark {doc.document}#{ordinal}: the document has no remarks"
    )


def _ordered(doc: ParsedDocument) -> list[Remark]:
    return sorted(doc.remarks, key=lambda r: r.ordinal)


def neighbours(doc: ParsedDocument, ordinal: int, before: int, after: int) -> tuple[Remark, ...]:
    """The remark and up to ``before`` remarks before it and ``after`` after it, all of ``doc``, in order."""
    check_window(before, after)
    find_remark(doc, ordinal)
    ordered = _ordered(doc)
    i = next(n for n, r in enumerate(ordered) if r.ordinal == ordinal)
    return tuple(ordered[max(0, i - before) : i + after + 1])


def _same_item(a: Remark, b: Remark) -> bool:
    return (a.topic, a.topic_number) == (b.topic, b.topic_number)


def topic_start(doc: ParsedDocument, ordinal: int) -> int:
    """Ordinal of the first remark of the agenda item (the run of remarks under the same topic heading)."""
    ordered = _ordered(doc)
    i = next((n for n, r in enumerate(ordered) if r.ordinal == ordinal), None)
    if i is None:
        raise NotFoundError(f"no remark {doc.document}#{ordinal}")
    while i > 0 and _same_item(ordered[i - 1], ordered[i]):
        i -= 1
    return ordered[i].ordinal


def remark_context(doc: ParsedDocument, ordinal: int, before: int = 2, after: int = 2) -> RemarkContext:
    return RemarkContext(
        doc=doc,
        ordinal=ordinal,
        remarks=neighbours(doc, ordinal, before, after),
        topic_start=topic_start(doc, ordinal),
        before=before,
        after=after,
    )


def answering_remark(doc: ParsedDocument, ordinal: int) -> Remark | None:
    """The remark that answers ``ordinal``: the next one by another (named) speaker under the same agenda item."""
    ordered = _ordered(doc)
    i = next((n for n, r in enumerate(ordered) if r.ordinal == ordinal), None)
    if i is None:
        return None
    asked = ordered[i]
    for other in ordered[i + 1 :]:
        if not _same_item(asked, other):
            return None
        if other.speaker != asked.speaker or (other.speaker is None and other.role != asked.role):
            return other
    return None


def citation(doc: ParsedDocument, remark: Remark) -> Citation:
    m = doc.meeting
    return Citation(
        document=doc.document,
        title=m.title,
        session=m.session,
        date=m.date,
        topic=remark.topic,
        speaker=remark.speaker,
        pages=remark.pages,
        speaker_group=remark.speaker_group,
        url=remark.url,
        role=remark.role,
    )


_OPTIONAL_CITATION = ("speaker_group", "url", "role")  # left out when empty, as the API's CitationOut does


def _citation_json(c: Citation) -> dict[str, Any]:
    out: dict[str, Any] = {**c.__dict__, "pages": list(c.pages)}
    for key in _OPTIONAL_CITATION:
        if out.get(key) is None:
            out.pop(key, None)
    return out


def source_link(base: str | None, pages: tuple[int, ...]) -> str | None:
    """``…/source#page=N`` at the first cited page (the plain link when the remark has no page)."""
    if base is None:
        return None
    return f"{base}#page={pages[0]}" if pages else base


def _remark_json(doc: ParsedDocument, r: Remark, *, hit: int | None, source: str | None) -> dict[str, Any]:
    c = citation(doc, r)
    out: dict[str, Any] = {
        "remark_id": r.id,
        "ordinal": r.ordinal,
        "text": r.text,
        "speaker": r.speaker,
        "role": r.role,
        "topic": r.topic,
        "topic_number": r.topic_number,
        "pages": list(r.pages),
        "start": r.start,
        "end": r.end,
        "citation": _citation_json(c),
        "source_url": source_link(source, r.pages),
    }
    if hit is not None:
        out["position"] = "hit" if r.ordinal == hit else ("before" if r.ordinal < hit else "after")
        out["is_hit"] = r.ordinal == hit
    return out


def _meeting_json(doc: ParsedDocument) -> dict[str, Any]:
    m = doc.meeting
    return {"title": m.title, "body": m.body, "session": m.session, "date": m.date}


def context_to_json(ctx: RemarkContext, *, source: str | None = None) -> dict[str, Any]:
    """The JSON of ``GET /remarks/{id}`` and ``rag show --json``; ``source`` is the document's source URL."""
    doc = ctx.doc
    start = find_remark(doc, ctx.topic_start)
    remark = ctx.remark
    return {
        "remark_id": remark.id,
        "document": doc.document,
        "meeting": _meeting_json(doc),
        "before": ctx.before,
        "after": ctx.after,
        "total_remarks": len(doc.remarks),
        "topic": remark.topic,
        "topic_number": remark.topic_number,
        "topic_start": {"remark_id": start.id, "ordinal": start.ordinal},
        "source_url": source,
        "remarks": [_remark_json(doc, r, hit=ctx.ordinal, source=source) for r in ctx.remarks],
    }


def document_text_to_json(doc: ParsedDocument, *, source: str | None = None) -> dict[str, Any]:
    """The cleaned full text with every remark's offsets into it (``GET /documents/{id}/text``)."""
    remarks = []
    for r in _ordered(doc):
        item = _remark_json(doc, r, hit=None, source=source)
        del item["text"], item["citation"]
        remarks.append(item)
    return {
        "document": doc.document,
        "meeting": _meeting_json(doc),
        "format": doc.format,
        "source_url": source,
        "text": doc.text,
        "remarks": remarks,
    }
