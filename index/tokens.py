"""The stored lexical tokens of remarks (schema v3) and the corpus delta the BM25 leg reads.

Tokens are computed once, by the caller, at ingest (index/ knows no tokenizer: it stores plain lists). Each
distinct token gets an id in the append-only ``lexical_terms`` table, and a remark's tokens are stored as an
int32 array of ids, so a reader loads a whole corpus as arrays without building a string per token.
``corpus_delta`` gives a reader everything that changed since the documents (and terms) it knows, in one read
snapshot, so an in-memory BM25 index follows the database without re-reading or re-tokenizing the corpus.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from index.queries import batched

_IDS = np.dtype("<i4")


@dataclass(frozen=True)
class CorpusRow:
    """One remark as the lexical leg needs it; ``term_ids`` is None for a remark stored without tokens
    (an index from before schema v3), and then ``text`` is given so that the caller can backfill them."""

    remark_id: str
    document: str
    topic: str | None
    term_ids: np.ndarray | None
    text: str | None = None


@dataclass(frozen=True)
class CorpusDelta:
    generation: int
    shas: dict[str, str]  # every document now in the index → its sha256
    removed: list[str] = field(default_factory=list)  # documents gone or changed since `known`
    rows: list[CorpusRow] = field(default_factory=list)  # remarks of documents new or changed since `known`
    terms: list[tuple[int, str]] = field(default_factory=list)  # vocabulary entries past `known_term`


def has_tables(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='remark_tokens'").fetchone() is not None


def term_ids(conn: sqlite3.Connection, terms: Iterable[str]) -> dict[str, int]:
    """Ids of ``terms``, adding the new ones (inside the caller's write transaction)."""
    wanted = list(dict.fromkeys(terms))
    found: dict[str, int] = {}
    for batch in batched(wanted):
        marks = ",".join("?" * len(batch))
        found.update(conn.execute(f"SELECT term, term_id FROM lexical_terms WHERE term IN ({marks})", list(batch)))  # noqa: S608
    new = [t for t in wanted if t not in found]
    if new:
        conn.executemany("INSERT INTO lexical_terms(term) VALUES (?)", [(t,) for t in new])
        for batch in batched(new):
            marks = ",".join("?" * len(batch))
            found.update(conn.execute(f"SELECT term, term_id FROM lexical_terms WHERE term IN ({marks})", list(batch)))  # noqa: S608
    return found


def put_tokens(conn: sqlite3.Connection, pairs: Iterable[tuple[str, Sequence[str]]]) -> None:
    """Store (remark_id, tokens) pairs (inside the caller's write transaction)."""
    pairs = list(pairs)
    ids = term_ids(conn, (t for _, toks in pairs for t in toks))
    conn.executemany(
        "INSERT OR REPLACE INTO remark_tokens(remark_id, term_ids) VALUES (?, ?)",
        [(rid, np.array([ids[t] for t in toks], dtype=_IDS).tobytes()) for rid, toks in pairs],
    )


def term_ids_of(conn: sqlite3.Connection, remark_ids: Sequence[str]) -> dict[str, np.ndarray]:
    found: dict[str, np.ndarray] = {}
    if not has_tables(conn):
        return found
    for batch in batched(list(dict.fromkeys(remark_ids))):
        marks = ",".join("?" * len(batch))
        for rid, blob in conn.execute(
            f"SELECT remark_id, term_ids FROM remark_tokens WHERE remark_id IN ({marks})", list(batch)  # noqa: S608
        ):
            found[rid] = np.frombuffer(blob, dtype=_IDS)
    return found


def tokens_of(conn: sqlite3.Connection, remark_ids: Sequence[str]) -> dict[str, list[str]]:
    """The stored tokens of these remarks as strings (remarks stored without tokens are left out)."""
    arrays = term_ids_of(conn, remark_ids)
    distinct = sorted({int(i) for a in arrays.values() for i in a})
    names: dict[int, str] = {}
    for batch in batched(distinct):
        marks = ",".join("?" * len(batch))
        names.update(conn.execute(f"SELECT term_id, term FROM lexical_terms WHERE term_id IN ({marks})", list(batch)))  # noqa: S608
    return {rid: [names[int(i)] for i in a] for rid, a in arrays.items()}


def corpus_delta(conn: sqlite3.Connection, known: Mapping[str, str], known_term: int = 0) -> CorpusDelta:
    """What changed since the documents ``known`` (document → sha256) and the terms up to ``known_term``."""
    conn.execute("BEGIN")
    try:
        generation = int(conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])
        shas = {doc: sha for doc, sha in conn.execute("SELECT document, sha256 FROM documents")}
        removed = [doc for doc, sha in known.items() if shas.get(doc) != sha]
        fresh = [doc for doc, sha in shas.items() if known.get(doc) != sha]
        stored = has_tables(conn)
        terms: list[tuple[int, str]] = []
        if stored:
            terms = list(conn.execute("SELECT term_id, term FROM lexical_terms WHERE term_id > ?", (known_term,)))
        join = "LEFT JOIN remark_tokens t ON t.remark_id = r.remark_id" if stored else ""
        col = "t.term_ids" if stored else "NULL"
        select = (
            f"SELECT r.remark_id, r.document, r.topic, {col}, "  # noqa: S608 (fixed names)
            f"CASE WHEN {col} IS NULL THEN r.text END FROM remarks r {join}"
        )
        rows: list[CorpusRow] = []
        if len(fresh) == len(shas):
            rows = [_row(r) for r in conn.execute(f"{select} ORDER BY r.document, r.ordinal")]
        else:
            for batch in batched(sorted(fresh)):
                marks = ",".join("?" * len(batch))
                query = f"{select} WHERE r.document IN ({marks}) ORDER BY r.document, r.ordinal"
                rows.extend(_row(r) for r in conn.execute(query, list(batch)))
    finally:
        conn.execute("COMMIT")
    return CorpusDelta(generation=generation, shas=shas, removed=removed, rows=rows, terms=terms)


def _row(r: Sequence[object]) -> CorpusRow:
    blob = r[3]
    return CorpusRow(
        remark_id=str(r[0]),
        document=str(r[1]),
        topic=r[2] if isinstance(r[2], str) else None,
        term_ids=np.frombuffer(blob, dtype=_IDS) if isinstance(blob, bytes) else None,
        text=r[4] if isinstance(r[4], str) else None,
    )


def remark_chunk_ids(conn: sqlite3.Connection, remark_ids: Sequence[str]) -> dict[str, list[int]]:
    """remark id → its chunk ids (ascending)."""
    out: dict[str, list[int]] = {}
    for batch in batched(list(dict.fromkeys(remark_ids))):
        marks = ",".join("?" * len(batch))
        for cid, rid in conn.execute(
            f"SELECT chunk_id, remark_id FROM chunks WHERE remark_id IN ({marks}) ORDER BY chunk_id",  # noqa: S608
            list(batch),
        ):
            out.setdefault(rid, []).append(int(cid))
    return out
