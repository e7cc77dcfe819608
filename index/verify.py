"""Consistency check of an index directory, for tests and `rag index info`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from index.manifest import count_rows, load_manifest, read_manifest_file
from index.schema import connect, schema_version
from index.store import DB_FILE, FAISS_FILE, GEN_FILE
from index.vectors import VectorIndex, read_gen
from rag.errors import IndexStoreError


def verify(path: Path) -> list[str]:
    """Problems found in the index at ``path``; empty when SQLite, the manifest and vectors.faiss agree.

    Checks: SQLite integrity; every remark has its document and every chunk its remark; chunk offsets map
    into the remark text; vectors have the manifest's dimension; the manifest counts (table and
    manifest.json) match the rows; vectors.faiss belongs to this database, is at its generation, and holds
    exactly the chunk ids (tombstones aside).
    """
    db_path = Path(path) / DB_FILE
    if not db_path.exists():
        return [f"no index database at {db_path}"]
    try:
        conn = connect(db_path, timeout_s=10.0)
    except IndexStoreError as exc:
        return [str(exc)]
    try:
        return _verify(Path(path), conn)
    except sqlite3.Error as exc:
        return [f"database error while verifying {db_path}: {exc}"]
    finally:
        conn.close()


def _verify(path: Path, conn: sqlite3.Connection) -> list[str]:
    problems: list[str] = []
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if integrity != "ok":
        problems.append(f"SQLite integrity check failed: {integrity}")
    if schema_version(conn) is None:
        return [*problems, "the database has no schema (never initialised)"]
    conn.execute("BEGIN")  # one snapshot for everything below
    try:
        manifest = load_manifest(conn)
        if manifest is None:
            return [*problems, "the database has no manifest"]
        generation = int(conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])
        counts = count_rows(conn)
        dim = int(manifest["dim"])
        orphan_remarks = conn.execute(
            "SELECT COUNT(*) FROM remarks r LEFT JOIN documents d ON r.document = d.document WHERE d.document IS NULL"
        ).fetchone()[0]
        orphan_chunks = conn.execute(
            "SELECT COUNT(*) FROM chunks c LEFT JOIN remarks r ON c.remark_id = r.remark_id WHERE r.remark_id IS NULL"
        ).fetchone()[0]
        bad_offsets = conn.execute(
            "SELECT COUNT(*) FROM chunks c JOIN remarks r ON c.remark_id = r.remark_id "
            "WHERE substr(r.text, c.char_start + 1, c.char_end - c.char_start) != c.text"
        ).fetchone()[0]
        bad_vectors = conn.execute(
            "SELECT COUNT(*) FROM chunks WHERE length(vector) != ?", (4 * dim,)
        ).fetchone()[0]
        ids = np.array(
            [r[0] for r in conn.execute("SELECT chunk_id FROM chunks ORDER BY chunk_id")], np.int64
        )
    finally:
        conn.execute("COMMIT")

    for count, what in (
        (orphan_remarks, "remarks without their document"),
        (orphan_chunks, "chunks without their remark"),
        (bad_offsets, "chunks whose offsets do not map into their remark"),
        (bad_vectors, f"chunk vectors that are not {dim} float32 values"),
    ):
        if count:
            problems.append(f"{count} {what}")
    if manifest.get("counts") != counts:
        problems.append(f"manifest counts {manifest.get('counts')} differ from the rows {counts}")
    mirrored = read_manifest_file(path)
    if mirrored != manifest:
        problems.append(
            "manifest.json differs from the manifest in the database (a writable open rewrites it)"
        )
    problems += _verify_faiss(path, manifest, generation, ids)
    return problems


def _verify_faiss(path: Path, manifest: dict[str, object], generation: int, ids: np.ndarray) -> list[str]:
    faiss_path, gen = path / FAISS_FILE, read_gen(path / GEN_FILE)
    if not faiss_path.exists():
        return [f"{FAISS_FILE} is missing (a writable open rebuilds it)"] if len(ids) or generation else []
    if gen is None:
        return [f"{GEN_FILE} is missing or unreadable"]
    if gen.get("uid") != manifest.get("uid"):
        return [f"{FAISS_FILE} belongs to another database (uid {gen.get('uid')} ≠ {manifest.get('uid')})"]
    if gen["generation"] != generation:
        return [
            f"{FAISS_FILE} is at generation {gen['generation']}, the database at {generation} "
            "(a writable open or flush() catches it up)"
        ]
    try:
        vec = VectorIndex.load(faiss_path, int(str(manifest["dim"])), str(manifest["index_type"]))
    except IndexStoreError as exc:
        return [str(exc)]
    dead = np.array(sorted(gen.get("dead", [])), np.int64)
    problems = []
    if len(np.setdiff1d(dead, vec.present)):
        problems.append(f"{GEN_FILE} lists tombstones that are not in {FAISS_FILE}")
    live = np.setdiff1d(vec.present, dead)
    extra, missing = np.setdiff1d(live, ids), np.setdiff1d(ids, live)
    if len(extra):
        problems.append(f"{len(extra)} FAISS ids have no chunk row (e.g. {extra[:3].tolist()})")
    if len(missing):
        problems.append(f"{len(missing)} chunk rows are not in FAISS (e.g. {missing[:3].tolist()})")
    if len(np.intersect1d(dead, ids)):
        problems.append("tombstoned FAISS ids still have chunk rows")
    return problems
