"""Filters (meeting, dates, topic, speaker, 会派, document) as SQL over the index database."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import numpy as np

from index.schema import normalize
from rag.errors import InputError
from rag.types import Filters

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def check_date(name: str, value: str) -> str:
    if not _DATE.match(value):
        raise InputError(f"{name} must be an ISO date (YYYY-MM-DD, YYYY-MM or YYYY), got {value!r}")
    return value


def filter_where(filters: Filters | None) -> tuple[str, list[Any]] | None:
    """A WHERE clause over ``remarks r`` for ``filters``; None when nothing is filtered.

    The document-level conditions (meeting, dates, document) go into one uncorrelated subquery over
    ``documents``, so they are evaluated once per document, not once per remark."""
    if filters is None:
        return None
    doc_clauses: list[str] = []
    doc_params: list[Any] = []
    if filters.meeting:
        doc_clauses.append("(instr(norm(d.title), ?) > 0 OR instr(norm(d.body), ?) > 0)")
        doc_params += [normalize(filters.meeting)] * 2
    if filters.date_from:
        value = check_date("date_from", filters.date_from)
        doc_clauses.append("substr(d.date, 1, ?) >= ?")
        doc_params += [len(value), value]
    if filters.date_to:
        value = check_date("date_to", filters.date_to)
        doc_clauses.append("substr(d.date, 1, ?) <= ?")
        doc_params += [len(value), value]
    if filters.document:
        doc_clauses.append("d.document = ?")
        doc_params.append(filters.document)
    clauses: list[str] = []
    params: list[Any] = []
    if doc_clauses:
        clauses.append(
            "r.document IN (SELECT d.document FROM documents d WHERE " + " AND ".join(doc_clauses) + ")"
        )
        params += doc_params
    if filters.topic:
        topic = normalize(filters.topic).strip()
        if topic.isdigit():
            clauses.append("r.topic_number = ?")
            params.append(int(topic))
        else:
            clauses.append("instr(norm(r.topic), ?) > 0")
            params.append(topic)
    if filters.speaker:
        clauses.append("(instr(norm(r.speaker), ?) > 0 OR instr(norm(r.role), ?) > 0)")
        params += [normalize(filters.speaker)] * 2
    if filters.speaker_group:
        clauses.append("instr(norm(r.speaker_group), ?) > 0")
        params.append(normalize(filters.speaker_group))
    if not clauses:
        return None
    return " AND ".join(clauses), params


def chunk_ids_for(conn: sqlite3.Connection, filters: Filters | None) -> np.ndarray | None:
    where = filter_where(filters)
    if where is None:
        return None
    rows = conn.execute(
        "SELECT c.chunk_id FROM chunks c JOIN remarks r ON c.remark_id = r.remark_id "
        f"WHERE {where[0]} ORDER BY c.chunk_id",  # noqa: S608
        where[1],
    ).fetchall()
    return np.array([row[0] for row in rows], dtype=np.int64)


def remark_ids_for(conn: sqlite3.Connection, filters: Filters | None) -> set[str] | None:
    where = filter_where(filters)
    if where is None:
        return None
    rows = conn.execute(f"SELECT r.remark_id FROM remarks r WHERE {where[0]}", where[1]).fetchall()  # noqa: S608
    return {row[0] for row in rows}
