"""The Milvus rows of one document: chunks (with vectors and filter fields), remarks (record, text, tokens),
long values in parts (blobs) and the document row."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from index import milvus_schema as ms
from index.manifest import now_iso
from rag.types import Chunk, ParsedDocument


def long_value(
    owner: str, field: str, value: str, document: str, data: dict[str, Any], blobs: list[dict[str, Any]]
) -> str:
    """``value`` inline when it fits a VARCHAR, else "" with its parts added to ``blobs`` (and counted in
    ``data["parts"]``)."""
    parts = ms.split(value)
    if len(parts) == 1:
        return value
    data.setdefault("parts", {})[field] = len(parts)
    blobs += [
        {"key": f"{owner}|{field}|{i}", "document": document, "data": p, "_v": ms.NO_VECTOR}
        for i, p in enumerate(parts)
    ]
    return ""


def document_rows(
    doc: ParsedDocument, chunks: Sequence[Chunk], matrix: np.ndarray, tokens: Sequence[Sequence[str]] | None
) -> dict[str, list[dict[str, Any]]]:
    """collection kind → the rows of ``doc`` (``tokens``: one list per remark, or None for none)."""
    meeting = doc.meeting
    fields = {r.id: ms.filter_fields(r, meeting) for r in doc.remarks}
    chunk_rows = [
        {
            "remark_id": c.remark_id,
            "document": doc.document,
            "ordinal": c.ordinal,
            "text": c.text,
            "char_start": c.start,
            "char_end": c.end,
            "vector": matrix[i].tolist(),
            **fields[c.remark_id],
        }
        for i, c in enumerate(chunks)
    ]
    blobs: list[dict[str, Any]] = []
    remark_rows = []
    for pos, r in enumerate(doc.remarks):
        data: dict[str, Any] = {
            "topic": r.topic,
            "topic_number": r.topic_number,
            "speaker": r.speaker,
            "role": r.role,
            "pages": list(r.pages),
            "start": r.start,
            "end": r.end,
            "speaker_group": r.speaker_group,
            "position": r.position,
            "url": r.url,
            "directions": list(r.directions),
            "title": meeting.title,
            "body": meeting.body,
            "session": meeting.session,
            "date": meeting.date,
        }
        joined = ms.TOKEN_SEP.join(tokens[pos]) if tokens is not None else ""
        row = {
            "remark_id": r.id,
            "document": doc.document,
            "ordinal": r.ordinal,
            "has_tokens": tokens is not None,
        }
        row["text"] = long_value(r.id, "text", r.text, doc.document, data, blobs)
        row["tokens"] = long_value(r.id, "tokens", joined, doc.document, data, blobs)
        row.update(data=data, _v=ms.NO_VECTOR, **fields[r.id])  # JSON once the chunk ids are known
        remark_rows.append(row)
    doc_data: dict[str, Any] = {
        "source": doc.source,
        "format": doc.format,
        "title": meeting.title,
        "body": meeting.body,
        "session": meeting.session,
        "date": meeting.date,
        "start_time": meeting.start_time,
        "end_time": meeting.end_time,
        "place": meeting.place,
        "attendees": [[a.name, a.affiliation, a.title] for a in meeting.attendees],
        "absentees": [[a.name, a.affiliation, a.title] for a in meeting.absentees],
        "agenda": list(meeting.agenda),
        "topics": [[t.number, t.title, t.kind] for t in doc.topics],
        "ocr_pages": list(doc.ocr_pages),
        "empty_pages": list(doc.empty_pages),
        "ingested_at": now_iso(),
        "remarks": len(doc.remarks),
    }
    parts = ms.split(doc.text)
    doc_data["parts"] = {"text": len(parts)}
    blobs += [
        {"key": f"{doc.document}|text|{i}", "document": doc.document, "data": p, "_v": ms.NO_VECTOR}
        for i, p in enumerate(parts)
    ]
    document_row = {
        "document": doc.document,
        "sha256": doc.sha256,
        "date": meeting.date or "",
        "data": json.dumps(doc_data, ensure_ascii=False),
        "_v": ms.NO_VECTOR,
    }
    return {"chunks": chunk_rows, "remarks": remark_rows, "blobs": blobs, "documents": [document_row]}
