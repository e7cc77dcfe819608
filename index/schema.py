"""The SQLite schema of an index (the source of truth) and its migrations.

``chunks.chunk_id`` is the int64 id FAISS stores; AUTOINCREMENT means an id is never reused, so a
FAISS file that lags behind SQLite can never map an id to the wrong chunk.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from functools import lru_cache
from pathlib import Path

from rag.errors import IndexStoreError
from rag.sqlite_wal import enable_wal

SCHEMA_VERSION = 3

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    document TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    format TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT,
    session INTEGER,
    date TEXT,
    start_time TEXT,
    end_time TEXT,
    place TEXT,
    attendees TEXT NOT NULL,      -- JSON list of {name, affiliation, title}
    topics TEXT NOT NULL,         -- JSON list of {number, title, kind}
    text TEXT NOT NULL,           -- cleaned document text (Remark offsets point into it)
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS remarks (
    remark_id TEXT PRIMARY KEY,
    document TEXT NOT NULL REFERENCES documents(document) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    topic TEXT,
    topic_number INTEGER,
    speaker TEXT,
    role TEXT,
    pages TEXT NOT NULL,          -- JSON list of 1-based pages
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS remarks_by_document ON remarks(document, ordinal);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id INTEGER PRIMARY KEY AUTOINCREMENT,
    remark_id TEXT NOT NULL REFERENCES remarks(remark_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    char_start INTEGER NOT NULL,  -- offsets into the remark text
    char_end INTEGER NOT NULL,
    vector BLOB NOT NULL          -- float32, dim values
);
CREATE INDEX IF NOT EXISTS chunks_by_remark ON chunks(remark_id);
"""

# v3: each remark's lexical tokens, computed once at ingest (the BM25 leg loads them; it never re-tokenizes),
# as int32 ids into an append-only vocabulary, so a reader loads them as arrays.
_SCHEMA_V3 = """
CREATE TABLE IF NOT EXISTS lexical_terms (
    term_id INTEGER PRIMARY KEY,  -- never reused: terms are only added
    term TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS remark_tokens (
    remark_id TEXT PRIMARY KEY REFERENCES remarks(remark_id) ON DELETE CASCADE,
    term_ids BLOB NOT NULL        -- int32 little-endian, one per token, in text order
) WITHOUT ROWID;
"""


# v2: Diet fields (会派, position, speechURL) and stage directions on remarks; absentees, agenda and page
# notes (ocr_pages, empty_pages) of a document as one JSON object.
_MIGRATE_V2 = (
    "ALTER TABLE remarks ADD COLUMN speaker_group TEXT",
    "ALTER TABLE remarks ADD COLUMN position TEXT",
    "ALTER TABLE remarks ADD COLUMN url TEXT",
    "ALTER TABLE remarks ADD COLUMN directions TEXT",  # JSON list of stage directions
    "ALTER TABLE documents ADD COLUMN extra TEXT",  # JSON {absentees, agenda, ocr_pages, empty_pages}
)


def _migrate_v2(conn: sqlite3.Connection) -> None:
    have = {row[1] for row in conn.execute("PRAGMA table_info(remarks)")} | {
        row[1] for row in conn.execute("PRAGMA table_info(documents)")
    }
    for statement in _MIGRATE_V2:
        column = statement.split(" ADD COLUMN ")[1].split()[0]
        if column not in have:
            conn.execute(statement)


def _set_version(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    row = conn.execute("SELECT value FROM meta WHERE key='manifest'").fetchone()
    if row:
        manifest = json.loads(row[0])
        manifest["schema_version"] = SCHEMA_VERSION
        conn.execute(
            "UPDATE meta SET value = ? WHERE key='manifest'", (json.dumps(manifest, ensure_ascii=False),)
        )


def normalize(value: str | None) -> str:
    """NFKC + casefold, so that filters match across full/half width (第1回 = 第１回) and case."""
    return unicodedata.normalize("NFKC", value).casefold() if value else ""


# SQL's norm(): a filter applies it to a column of every matching row, and those columns repeat (titles,
# speakers, topics), so the values are memoized.
_sql_normalize = lru_cache(maxsize=1 << 16)(normalize)


def connect(db_path: Path, *, timeout_s: float = 30.0) -> sqlite3.Connection:
    """Open the index database in WAL mode; transactions are explicit (``BEGIN``/``COMMIT``)."""
    try:
        conn = sqlite3.connect(str(db_path), timeout=timeout_s, isolation_level=None, check_same_thread=False)
        enable_wal(conn, timeout_s)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
    except sqlite3.Error as exc:
        raise IndexStoreError(
            f"cannot open the index database {db_path}: {exc}; check the --index directory "
            "(permissions, disk), or delete it and run `rag ingest` again"
        ) from exc
    conn.create_function("norm", 1, _sql_normalize, deterministic=True)
    return conn


def schema_version(conn: sqlite3.Connection) -> int | None:
    """The stored schema version, or None for an empty database."""
    has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
    if not has_meta:
        return None
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return int(row[0]) if row else None


def create_or_migrate(conn: sqlite3.Connection) -> None:
    """Create the schema in an empty database, or migrate an older one (call inside a write transaction)."""
    version = schema_version(conn)
    if version is None:
        for statement in _SCHEMA_V1.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', '1')")
        conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('generation', '0')")
        version = 1
    check_version(version)
    # Migrations, in order: ``if version < N: ...`` (each idempotent).
    if version < 2:
        _migrate_v2(conn)
    if version < 3:
        for statement in _SCHEMA_V3.split(";"):
            if statement.strip():
                conn.execute(statement)
    if version < SCHEMA_VERSION:
        _set_version(conn)


def check_version(version: int | None) -> None:
    if version is not None and version > SCHEMA_VERSION:
        raise IndexStoreError(
            f"this index has schema version {version}, newer than this minutes-rag supports "
            f"({SCHEMA_VERSION}); upgrade minutes-rag, or choose another --index directory"
        )
