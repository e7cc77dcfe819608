"""SQL on the index database: writing a document's rows and turning rows back into records (filters: index/filters.py)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from index.manifest import now_iso
from rag.errors import NotFoundError
from rag.types import (
    Attendee,
    Chunk,
    Meeting,
    ParsedDocument,
    Remark,
    StoredChunk,
    StoredRemark,
    Topic,
)

_BATCH = 900  # stays under SQLite's bound-parameter limit

_REMARK_COLUMNS = (
    "r.remark_id, r.document, r.ordinal, r.text, r.topic, r.topic_number, r.speaker, r.role, r.pages, "
    "d.title, d.body, d.session, d.date, r.speaker_group, r.position, r.url, r.directions"
)

@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction (BEGIN IMMEDIATE … COMMIT), rolled back on any exception or interrupt.

    A block that ends the transaction itself (a ROLLBACK for a no-op write) is left as it is."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        if conn.in_transaction:
            conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise



def batched(values: Sequence[Any], size: int = _BATCH) -> Iterator[Sequence[Any]]:
    for begin in range(0, len(values), size):
        yield values[begin : begin + size]


# --- writes ----------------------------------------------------------------------------------
def insert_document(
    conn: sqlite3.Connection, doc: ParsedDocument, chunks: Sequence[Chunk], vectors: np.ndarray
) -> None:
    """Insert one document, its remarks and its chunks (inside the caller's transaction)."""
    meeting = doc.meeting
    conn.execute(
        "INSERT INTO documents(document, source, sha256, format, title, body, session, date, start_time, "
        "end_time, place, attendees, topics, text, ingested_at, extra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            doc.document,
            doc.source,
            doc.sha256,
            doc.format,
            meeting.title,
            meeting.body,
            meeting.session,
            meeting.date,
            meeting.start_time,
            meeting.end_time,
            meeting.place,
            json.dumps([[a.name, a.affiliation, a.title] for a in meeting.attendees], ensure_ascii=False),
            json.dumps([[t.number, t.title, t.kind] for t in doc.topics], ensure_ascii=False),
            doc.text,
            now_iso(),
            _extra_json(doc),
        ),
    )
    conn.executemany(
        "INSERT INTO remarks(remark_id, document, ordinal, text, topic, topic_number, speaker, role, pages, "
        "char_start, char_end, speaker_group, position, url, directions) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            (
                r.id,
                doc.document,
                r.ordinal,
                r.text,
                r.topic,
                r.topic_number,
                r.speaker,
                r.role,
                json.dumps(list(r.pages)),
                r.start,
                r.end,
                r.speaker_group,
                r.position,
                r.url,
                json.dumps(list(r.directions), ensure_ascii=False) if r.directions else None,
            )
            for r in doc.remarks
        ],
    )
    conn.executemany(
        "INSERT INTO chunks(remark_id, ordinal, text, char_start, char_end, vector) VALUES (?,?,?,?,?,?)",
        [
            (c.remark_id, c.ordinal, c.text, c.start, c.end, vectors[i].tobytes())
            for i, c in enumerate(chunks)
        ],
    )


def _extra_json(doc: ParsedDocument) -> str:
    meeting = doc.meeting
    return json.dumps(
        {
            "absentees": [[a.name, a.affiliation, a.title] for a in meeting.absentees],
            "agenda": list(meeting.agenda),
            "ocr_pages": list(doc.ocr_pages),
            "empty_pages": list(doc.empty_pages),
        },
        ensure_ascii=False,
    )


def delete_document_rows(conn: sqlite3.Connection, document: str) -> None:
    conn.execute(
        "DELETE FROM chunks WHERE remark_id IN (SELECT remark_id FROM remarks WHERE document = ?)",
        (document,),
    )
    conn.execute("DELETE FROM remarks WHERE document = ?", (document,))
    conn.execute("DELETE FROM documents WHERE document = ?", (document,))


def check_upsert(doc: ParsedDocument, chunks: Sequence[Chunk], vectors: np.ndarray, dim: int) -> np.ndarray:
    """The vectors as a C-contiguous float32 matrix, after checking they fit the document and chunks."""
    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    if not chunks and matrix.size == 0:
        matrix = matrix.reshape(0, dim)
    if matrix.ndim != 2 or matrix.shape != (len(chunks), dim):
        raise ValueError(
            f"upsert of {doc.document}: expected vectors of shape ({len(chunks)}, {dim}) "
            f"(one row per chunk), got {tuple(np.shape(vectors))}"
        )
    if not np.isfinite(matrix).all():
        raise ValueError(f"upsert of {doc.document}: vectors contain NaN or inf; check the embedding model")
    remark_ids = [r.id for r in doc.remarks]
    if len(set(remark_ids)) != len(remark_ids):
        raise ValueError(f"upsert of {doc.document}: remark ids are not unique")
    unknown = {c.remark_id for c in chunks} - set(remark_ids)
    if unknown:
        raise ValueError(f"upsert of {doc.document}: chunks refer to unknown remarks {sorted(unknown)[:3]}")
    return matrix


def fetch_vectors(conn: sqlite3.Connection, ids: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids found, their vectors as rows) for sorted chunk ``ids``."""
    if not len(ids):
        return ids, np.empty((0, dim), np.float32)
    if len(ids) > 20_000:  # one range scan beats thousands of IN batches
        wanted = set(ids.tolist())
        rows = [
            r
            for r in conn.execute(
                "SELECT chunk_id, vector FROM chunks WHERE chunk_id BETWEEN ? AND ? ORDER BY chunk_id",
                (int(ids[0]), int(ids[-1])),
            )
            if r[0] in wanted
        ]
    else:
        rows = []
        for batch in batched(ids.tolist()):
            marks = ",".join("?" * len(batch))
            sql = f"SELECT chunk_id, vector FROM chunks WHERE chunk_id IN ({marks})"  # noqa: S608
            rows += conn.execute(sql, list(batch)).fetchall()
        rows.sort()
    found = np.array([r[0] for r in rows], np.int64)
    matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dim)
    return found, matrix


# --- reads -----------------------------------------------------------------------------------
def _stored_remark(row: Sequence[Any]) -> StoredRemark:
    return StoredRemark(
        remark_id=row[0],
        document=row[1],
        ordinal=row[2],
        text=row[3],
        topic=row[4],
        topic_number=row[5],
        speaker=row[6],
        role=row[7],
        pages=tuple(json.loads(row[8])),
        title=row[9],
        body=row[10],
        session=row[11],
        date=row[12],
        speaker_group=row[13],
        position=row[14],
        url=row[15],
        directions=tuple(json.loads(row[16])) if row[16] else (),
    )


def stored_chunks(conn: sqlite3.Connection, chunk_ids: Sequence[int]) -> list[StoredChunk]:
    """Chunks in the order asked for; ids that do not exist (any more) are left out."""
    wanted = [int(i) for i in chunk_ids]
    found: dict[int, StoredChunk] = {}
    for batch in batched(wanted):
        marks = ",".join("?" * len(batch))
        for row in conn.execute(
            f"SELECT chunk_id, remark_id, ordinal, text, char_start, char_end FROM chunks WHERE chunk_id IN ({marks})",  # noqa: S608
            list(batch),
        ):
            found[row[0]] = StoredChunk(*row)
    return [found[i] for i in wanted if i in found]


def stored_remarks(conn: sqlite3.Connection, remark_ids: Sequence[str]) -> dict[str, StoredRemark]:
    found: dict[str, StoredRemark] = {}
    for batch in batched(list(dict.fromkeys(remark_ids))):
        marks = ",".join("?" * len(batch))
        for row in conn.execute(
            f"SELECT {_REMARK_COLUMNS} FROM remarks r JOIN documents d ON r.document = d.document "  # noqa: S608
            f"WHERE r.remark_id IN ({marks})",
            list(batch),
        ):
            found[row[0]] = _stored_remark(row)
    return found


def all_remarks(conn: sqlite3.Connection) -> list[StoredRemark]:
    rows = conn.execute(
        f"SELECT {_REMARK_COLUMNS} FROM remarks r JOIN documents d ON r.document = d.document "  # noqa: S608
        "ORDER BY r.document, r.ordinal"
    ).fetchall()
    return [_stored_remark(row) for row in rows]


def documents(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT d.document, d.source, d.sha256, d.format, d.title, d.body, d.session, d.date, d.place, "
        "(SELECT COUNT(*) FROM remarks r WHERE r.document = d.document), d.ingested_at "
        "FROM documents d ORDER BY d.date IS NULL, d.date, d.document"
    ).fetchall()
    keys = (
        "document",
        "source",
        "sha256",
        "format",
        "title",
        "body",
        "session",
        "date",
        "place",
        "remarks",
        "ingested_at",
    )
    return [dict(zip(keys, row, strict=True)) for row in rows]


def get_document(conn: sqlite3.Connection, document: str) -> ParsedDocument:
    row = conn.execute(
        "SELECT source, sha256, format, title, body, session, date, start_time, end_time, place, attendees, "
        "topics, text, extra FROM documents WHERE document = ?",
        (document,),
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no document {document!r} in the index; list the ids with `rag documents`")
    extra = json.loads(row[13]) if row[13] else {}
    meeting = Meeting(
        title=row[3],
        body=row[4],
        session=row[5],
        date=row[6],
        start_time=row[7],
        end_time=row[8],
        place=row[9],
        attendees=tuple(Attendee(name=a[0], affiliation=a[1], title=a[2]) for a in json.loads(row[10])),
        absentees=tuple(Attendee(name=a[0], affiliation=a[1], title=a[2]) for a in extra.get("absentees", [])),
        agenda=tuple(extra.get("agenda", [])),
    )
    remarks = tuple(
        Remark(
            id=r[0],
            ordinal=r[1],
            text=r[2],
            topic=r[3],
            topic_number=r[4],
            speaker=r[5],
            role=r[6],
            pages=tuple(json.loads(r[7])),
            start=r[8],
            end=r[9],
            directions=tuple(json.loads(r[13])) if r[13] else (),
            speaker_group=r[10],
            position=r[11],
            url=r[12],
        )
        for r in conn.execute(
            "SELECT remark_id, ordinal, text, topic, topic_number, speaker, role, pages, char_start, char_end, "
            "speaker_group, position, url, directions FROM remarks WHERE document = ? ORDER BY ordinal",
            (document,),
        )
    )
    topics = tuple(Topic(number=t[0], title=t[1], kind=t[2]) for t in json.loads(row[11]))
    return ParsedDocument(
        document=document,
        source=row[0],
        sha256=row[1],
        meeting=meeting,
        topics=topics,
        remarks=remarks,
        text=row[12],
        format=row[2],
        ocr_pages=tuple(extra.get("ocr_pages", [])),
        empty_pages=tuple(extra.get("empty_pages", [])),
    )


def facets(conn: sqlite3.Connection) -> dict[str, list[Any]]:
    def distinct(sql: str) -> list[Any]:
        return [row[0] for row in conn.execute(sql) if row[0] is not None and row[0] != ""]

    return {
        "bodies": distinct("SELECT DISTINCT body FROM documents ORDER BY body"),
        "meetings": distinct("SELECT DISTINCT title FROM documents ORDER BY title"),
        "dates": distinct("SELECT DISTINCT date FROM documents ORDER BY date"),
        "topics": distinct("SELECT DISTINCT topic FROM remarks ORDER BY topic"),
        "speakers": distinct("SELECT DISTINCT speaker FROM remarks ORDER BY speaker"),
        "documents": distinct("SELECT document FROM documents ORDER BY document"),
    }
