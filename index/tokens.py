"""The stored lexical tokens of remarks (schema v3) and the corpus delta the BM25 leg reads.

Tokens are computed once, by the caller, at ingest (index/ knows no tokenizer: it stores plain lists). Each
distinct token gets an id in the append-only ``lexical_terms`` table, and a remark's tokens are stored as an
int32 array of ids, so a reader loads a whole corpus as arrays without building a string per token.
``corpus_delta`` gives a reader everything that changed since the documents (and terms) it knows, in one read
snapshot, so an in-memory BM25 index follows the database without re-reading or re-tokenizing the corpus.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
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


class CorpusRows(Sequence[CorpusRow]):
    """Rows of a corpus delta as columns, as read from SQLite (no object per remark): ``terms`` is every row's
    term ids end to end and ``lengths`` their counts (-1 for a row stored without tokens); indexing still
    gives a ``CorpusRow``."""

    def __init__(self, records: Sequence[Sequence[object]]) -> None:
        cols = list(zip(*records, strict=True)) if records else [(), (), (), (), ()]
        self.remark_ids: list[str] = list(cols[0])  # type: ignore[arg-type]
        self.documents: list[str] = list(cols[1])  # type: ignore[arg-type]
        self.topics: list[str | None] = [t if isinstance(t, str) else None for t in cols[2]]
        blobs = cols[3]
        self.lengths = np.fromiter((len(b) // 4 if isinstance(b, bytes) else -1 for b in blobs), np.int64, len(blobs))
        self.terms = np.frombuffer(b"".join(b for b in blobs if isinstance(b, bytes)), dtype=_IDS)
        self._texts = {i: t for i, t in enumerate(cols[4]) if isinstance(t, str)}
        self._starts = np.concatenate([[0], np.cumsum(np.maximum(self.lengths, 0))])

    def __len__(self) -> int:
        return len(self.remark_ids)

    def __getitem__(self, i: int) -> CorpusRow:  # type: ignore[override]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        ids = self.terms[self._starts[i] : self._starts[i + 1]] if self.lengths[i] >= 0 else None
        return CorpusRow(self.remark_ids[i], self.documents[i], self.topics[i], ids, self._texts.get(i))

    def __iter__(self) -> Iterator[CorpusRow]:
        return (self[i] for i in range(len(self)))

    def missing(self) -> list[CorpusRow]:
        """The rows stored without tokens."""
        return [self[int(i)] for i in np.flatnonzero(self.lengths < 0)]


@dataclass(frozen=True)
class CorpusDelta:
    generation: int
    shas: dict[str, str]  # every document now in the index → its sha256
    removed: list[str] = field(default_factory=list)  # documents gone or changed since `known`
    rows: Sequence[CorpusRow] = field(default_factory=list)  # remarks of documents new or changed since `known`
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
        records: list[Sequence[object]] = []
        if len(fresh) == len(shas):
            records = conn.execute(f"{select} ORDER BY r.document, r.ordinal").fetchall()
        else:
            for batch in batched(sorted(fresh)):
                marks = ",".join("?" * len(batch))
                query = f"{select} WHERE r.document IN ({marks}) ORDER BY r.document, r.ordinal"
                records.extend(conn.execute(query, list(batch)).fetchall())
    finally:
        conn.execute("COMMIT")
    return CorpusDelta(generation=generation, shas=shas, removed=removed, rows=CorpusRows(records), terms=terms)


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
