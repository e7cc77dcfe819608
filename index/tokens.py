"""The stored lexical tokens of remarks (schema v3 ``remark_tokens``) and the corpus delta the BM25 leg reads.

Tokens are computed once, by the caller, at ingest (index/ knows no tokenizer: it stores plain lists) and
joined by U+001F. ``corpus_delta`` gives a reader everything that changed since the documents it knows, in one
read snapshot, so an in-memory BM25 index can follow the database without re-reading (or re-tokenizing) the
corpus.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from index.queries import batched

SEP = "\x1f"


@dataclass(frozen=True)
class CorpusRow:
    """One remark as the lexical leg needs it; ``tokens`` is None for a remark stored without tokens
    (an index from before schema v3), and then ``text`` is given so that the caller can backfill them."""

    remark_id: str
    document: str
    topic: str | None
    tokens: list[str] | None
    text: str | None = None


@dataclass(frozen=True)
class CorpusDelta:
    generation: int
    shas: dict[str, str]  # every document now in the index → its sha256
    removed: list[str] = field(default_factory=list)  # documents gone or changed since `known`
    rows: list[CorpusRow] = field(default_factory=list)  # remarks of documents new or changed since `known`


def join(tokens: Sequence[str]) -> str:
    return SEP.join(tokens)


def split(value: str) -> list[str]:
    return value.split(SEP) if value else []


def has_table(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='remark_tokens'").fetchone() is not None


def put_tokens(conn: sqlite3.Connection, pairs: Iterable[tuple[str, Sequence[str]]]) -> None:
    """Store (remark_id, tokens) pairs (inside the caller's transaction)."""
    conn.executemany(
        "INSERT OR REPLACE INTO remark_tokens(remark_id, tokens) VALUES (?, ?)",
        [(rid, join(tokens)) for rid, tokens in pairs],
    )


def tokens_of(conn: sqlite3.Connection, remark_ids: Sequence[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    if not has_table(conn):
        return found
    for batch in batched(list(dict.fromkeys(remark_ids))):
        marks = ",".join("?" * len(batch))
        for rid, value in conn.execute(
            f"SELECT remark_id, tokens FROM remark_tokens WHERE remark_id IN ({marks})", list(batch)  # noqa: S608
        ):
            found[rid] = split(value)
    return found


def corpus_delta(conn: sqlite3.Connection, known: Mapping[str, str]) -> CorpusDelta:
    """What changed since the documents ``known`` (document → sha256), read in one snapshot."""
    conn.execute("BEGIN")
    try:
        generation = int(conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])
        shas = {doc: sha for doc, sha in conn.execute("SELECT document, sha256 FROM documents")}
        removed = [doc for doc, sha in known.items() if shas.get(doc) != sha]
        fresh = [doc for doc, sha in shas.items() if known.get(doc) != sha]
        tokens_join = "LEFT JOIN remark_tokens t ON t.remark_id = r.remark_id" if has_table(conn) else ""
        tokens_col = "t.tokens" if tokens_join else "NULL"
        select = (
            f"SELECT r.remark_id, r.document, r.topic, {tokens_col}, "  # noqa: S608 (fixed names)
            f"CASE WHEN {tokens_col} IS NULL THEN r.text END FROM remarks r {tokens_join}"
        )
        rows: list[CorpusRow] = []
        if len(fresh) == len(shas):
            cursor: Iterable[Sequence[object]] = conn.execute(f"{select} ORDER BY r.document, r.ordinal")
            rows = [_row(r) for r in cursor]
        else:
            for batch in batched(sorted(fresh)):
                marks = ",".join("?" * len(batch))
                cursor = conn.execute(f"{select} WHERE r.document IN ({marks}) ORDER BY r.document, r.ordinal", list(batch))
                rows.extend(_row(r) for r in cursor)
    finally:
        conn.execute("COMMIT")
    return CorpusDelta(generation=generation, shas=shas, removed=removed, rows=rows)


def _row(r: Sequence[object]) -> CorpusRow:
    tokens = r[3]
    return CorpusRow(
        remark_id=str(r[0]),
        document=str(r[1]),
        topic=r[2] if isinstance(r[2], str) else None,
        tokens=split(tokens) if isinstance(tokens, str) else None,
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
