"""IndexStore: SQLite (WAL) as the source of truth, FAISS as a derived, rebuildable search structure.

Every write (upsert or delete of a whole document) is one SQLite transaction that also bumps the
``generation`` counter and the manifest. The in-memory FAISS index is synced to SQLite whenever the
generation moved (before each search, cheaply): it diffs the chunk ids in SQLite against the ids it holds
and adds/removes only the difference (rebuilding when HNSW tombstones or IVF growth call for it). Chunk ids
are AUTOINCREMENT (never reused), so a lagging ``vectors.faiss`` is merely behind, never wrong; a SIGKILL
at any moment leaves SQLite at its last commit and the next open catches FAISS up. The FAISS catch-up and
its files (load, sync, save, repair) are the ``index.vector_sync.VectorSync`` mixin; reads are
``index.reads.StoreReads``.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from index import exact, queries
from index import tokens as index_tokens
from index.lock import WriteLock
from index.manifest import (
    load_manifest,
    mismatch,
    new_manifest,
    read_index_manifest,
    refresh_manifest,
    store_manifest,
    write_manifest_file,
)
from index.reads import StoreReads
from index.schema import SCHEMA_VERSION, check_version, connect, create_or_migrate, schema_version
from index.vector_sync import FAISS_FILE, VectorSync
from index.vector_sync import GEN_FILE as GEN_FILE  # re-exported: index.verify imports it from here
from index.vectors import VectorIndex, check_index_type
from rag.errors import IndexStoreError, NotFoundError
from rag.sources import SOURCES_DIR, FileSources
from rag.types import Chunk, ParsedDocument

log = logging.getLogger(__name__)

DB_FILE = "index.db"
LOCK_FILE = "write.lock"
_NO_IDS = np.empty(0, dtype=np.int64)
EXACT_FEW = 512  # restricted searches over at most this many chunks read their vectors from SQLite
EXACT_SUBSET = 4096  # restricted searches over at most this many chunks (or 5 %) are exact
# (document, its chunks, their vectors, the remarks' lexical tokens or None): one document of ``upsert_many``
UpsertItem = tuple[ParsedDocument, Sequence[Chunk], np.ndarray, "Sequence[Sequence[str]] | None"]


class IndexStore(StoreReads, VectorSync):
    def __init__(
        self,
        path: Path,
        *,
        model_id: str,
        fingerprint: str,
        dim: int,
        index_type: str = "flat",
        read_only: bool = False,
        lock_timeout_s: float = 60.0,
        save_interval_s: float = 10.0,
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.dim = int(dim)
        self.save_interval_s = save_interval_s
        self.sources = FileSources(self.path / SOURCES_DIR)  # uploaded PDFs, next to the database
        db_path = self.path / DB_FILE
        if read_only and not db_path.exists():
            raise IndexStoreError(f"no index at {self.path}; run `rag ingest` first")
        if not read_only:
            self.path.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._write_lock = WriteLock(self.path / LOCK_FILE, lock_timeout_s)
        self._conn = connect(db_path)
        self._vec: VectorIndex | None = None
        self._vec_gen = -1
        self._saved_gen = -1
        self._last_save = time.monotonic()
        self._closed = False
        try:
            manifest = self._open_manifest(model_id, fingerprint, check_index_type(index_type))
            problem = mismatch(manifest, model_id=model_id, fingerprint=fingerprint, dim=self.dim)
            if problem:
                raise IndexStoreError(f"{problem} (index at {self.path})")
            self.index_type = str(manifest["index_type"])
            self.uid = str(manifest.get("uid", ""))
            if self.index_type != index_type:
                log.info(
                    "index at %s is %s (kept; RAG_INDEX_TYPE applies to new indexes)",
                    self.path,
                    self.index_type,
                )
            with self._lock:
                self._open_vectors()
        except BaseException:
            self._conn.close()
            raise

    # --- opening ---------------------------------------------------------------------------
    def _open_manifest(self, model_id: str, fingerprint: str, index_type: str) -> dict[str, Any]:
        version = schema_version(self._conn)
        check_version(version)
        manifest = load_manifest(self._conn) if version is not None else None
        if manifest is not None:
            if version is not None and version < SCHEMA_VERSION:
                return self._migrate(manifest, version)
            return manifest
        if self.read_only:
            raise IndexStoreError(f"no index at {self.path} (empty database); run `rag ingest` first")
        with self._write_lock.hold():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                create_or_migrate(self._conn)
                manifest = load_manifest(self._conn)
                if manifest is None:
                    manifest = new_manifest(
                        model_id=model_id, fingerprint=fingerprint, dim=self.dim, index_type=index_type
                    )
                    manifest["uid"] = uuid.uuid4().hex
                    store_manifest(self._conn, manifest)
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            write_manifest_file(self.path, manifest)
        return manifest

    def _migrate(self, manifest: dict[str, Any], version: int) -> dict[str, Any]:
        """Upgrade an older schema in place (also for a read-only open: the new tables are derived data)."""
        try:
            with self._write_lock.hold(), queries.immediate(self._conn) as conn:
                create_or_migrate(conn)
                manifest = {**manifest, "schema_version": SCHEMA_VERSION}
                store_manifest(conn, manifest)
        except (IndexStoreError, sqlite3.Error) as exc:
            raise IndexStoreError(
                f"the index at {self.path} has schema version {version} and cannot be upgraded ({exc}); "
                "open it once with write access"
            ) from exc
        log.info("index at %s upgraded from schema version %d to %d", self.path, version, SCHEMA_VERSION)
        if not self.read_only:
            write_manifest_file(self.path, manifest)
        return manifest

    # --- saving (the FAISS sync and file handling live in index.vector_sync) -----------------
    def flush(self) -> None:
        """Write ``vectors.faiss`` now if it lags (writes save at most every ``save_interval_s``)."""
        self._require_writable()
        with self._lock, self._write_lock.hold():
            if self._saved_gen != self.generation:
                self._save()

    # --- writes ----------------------------------------------------------------------------
    def _require_writable(self) -> None:
        if self.read_only:
            raise IndexStoreError(
                f"the index at {self.path} was opened read-only; open it without read_only to write"
            )

    def document_status(self, document: str, sha256: str) -> str:
        with self._lock:
            row = self._conn.execute(
                "SELECT sha256 FROM documents WHERE document = ?", (document,)
            ).fetchone()
        if row is None:
            return "new"
        return "unchanged" if row[0] == sha256 else "changed"

    def upsert(
        self,
        doc: ParsedDocument,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        tokens: Sequence[Sequence[str]] | None = None,
    ) -> str:
        """Add or replace one document with its chunks and their vectors: "added" | "replaced" | "unchanged".

        ``tokens`` (one list per remark, in ``doc.remarks`` order) are the remarks' lexical tokens, stored for
        the BM25 leg; without them the reader tokenizes those remarks once and stores them (``store_tokens``)."""
        return self.upsert_many([(doc, chunks, vectors, tokens)])[0]

    def upsert_many(self, items: Sequence[UpsertItem]) -> list[str]:
        """``upsert`` of several documents in one SQLite transaction (one generation step, one manifest write):
        a crash keeps all of them or none, so each document is still whole or absent. Should the batch fail
        inside SQLite, it is rolled back and written one document at a time (the failing one raises)."""
        self._require_writable()
        checked = []
        for doc, chunks, vectors, tokens in items:
            matrix = queries.check_upsert(doc, chunks, vectors, self.dim)
            if tokens is not None and len(tokens) != len(doc.remarks):
                raise ValueError(
                    f"upsert of {doc.document}: {len(tokens)} token lists for {len(doc.remarks)} remarks"
                )
            checked.append((doc, chunks, matrix, tokens))
        if len(checked) > 1:
            try:
                return self._write_batch(checked)
            except sqlite3.Error as exc:
                log.warning("batch of %d documents rolled back (%s); writing them one at a time", len(checked), exc)
        return [self._write_batch([one])[0] for one in checked]

    def _write_batch(self, checked: Sequence[tuple[ParsedDocument, Sequence[Chunk], np.ndarray, Any]]) -> list[str]:
        outcomes: list[str] = []
        removed: list[np.ndarray] = []
        written: list[np.ndarray] = []
        with self._lock, self._write_lock.hold():
            with queries.immediate(self._conn) as conn:
                last_id = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'chunks'").fetchone()
                token_pairs: list[tuple[str, Sequence[str]]] = []
                for doc, chunks, matrix, tokens in checked:
                    row = conn.execute("SELECT sha256 FROM documents WHERE document = ?", (doc.document,)).fetchone()
                    if row is not None and row[0] == doc.sha256:
                        outcomes.append("unchanged")
                        continue
                    if row is not None:
                        removed.append(self._document_chunk_ids(doc.document))
                        queries.delete_document_rows(conn, doc.document)
                    queries.insert_document(conn, doc, chunks, matrix)
                    if tokens is not None:
                        token_pairs.extend(zip((r.id for r in doc.remarks), tokens, strict=True))
                    written.append(matrix)
                    outcomes.append("added" if row is None else "replaced")
                if not written:
                    conn.execute("ROLLBACK")
                    return outcomes
                if token_pairs:
                    index_tokens.put_tokens(conn, token_pairs)
                added = np.array(
                    [
                        r[0]
                        for r in conn.execute(
                            "SELECT chunk_id FROM chunks WHERE chunk_id > ? ORDER BY chunk_id",
                            (last_id[0] if last_id else 0,),
                        )
                    ],
                    np.int64,
                )
                gen_before, manifest = self._bump(conn)
            # AUTOINCREMENT ids grow in insertion order, so ``added`` lines up with the rows of the matrices
            matrix = np.concatenate(written) if len(written) > 1 else written[0]
            gone = np.unique(np.concatenate(removed)) if removed else _NO_IDS
            self._after_write(manifest, gen_before, gone, added, matrix if len(added) == len(matrix) else None)
        return outcomes

    def store_tokens(self, pairs: Sequence[tuple[str, Sequence[str]]]) -> None:
        """Backfill remarks' lexical tokens (derived data: allowed on a read-only store too; no new generation)."""
        with self._lock, self._write_lock.hold(), queries.immediate(self._conn) as conn:
            known = {r[0] for b in queries.batched([p[0] for p in pairs]) for r in conn.execute(
                f"SELECT remark_id FROM remarks WHERE remark_id IN ({','.join('?' * len(b))})", list(b))}  # noqa: S608
            index_tokens.put_tokens(conn, [p for p in pairs if p[0] in known])

    def delete(self, document: str) -> None:
        """Remove a document, its remarks, chunks and stored source PDF; NotFoundError when it is not indexed."""
        self._require_writable()
        with self._lock, self._write_lock.hold():
            with queries.immediate(self._conn) as conn:
                if conn.execute("SELECT 1 FROM documents WHERE document = ?", (document,)).fetchone() is None:
                    raise NotFoundError(
                        f"no document {document!r} in the index; list the ids with `rag index ls` or GET /documents"
                    )
                removed = self._document_chunk_ids(document)
                queries.delete_document_rows(conn, document)
                gen_before, manifest = self._bump(conn)
            self._after_write(manifest, gen_before, removed, _NO_IDS, np.empty((0, self.dim), np.float32))
            self.sources.delete(document)  # after the commit: a crash before it leaves an unserved file, no loss

    def _document_chunk_ids(self, document: str) -> np.ndarray:
        rows = self._conn.execute(
            "SELECT c.chunk_id FROM chunks c JOIN remarks r ON c.remark_id = r.remark_id WHERE r.document = ?",
            (document,),
        )
        return np.array(sorted(r[0] for r in rows), np.int64)

    @staticmethod
    def _bump(conn: Any) -> tuple[int, dict[str, Any]]:
        before = int(conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])
        conn.execute("UPDATE meta SET value = ? WHERE key = 'generation'", (str(before + 1),))
        return before, refresh_manifest(conn)

    def _after_write(
        self,
        manifest: dict[str, Any],
        gen_before: int,
        removed: np.ndarray,
        added: np.ndarray,
        vectors: np.ndarray | None,
    ) -> None:
        """Apply our own write to FAISS directly when it was in step (no full id diff), else sync."""
        write_manifest_file(self.path, manifest)
        vec = self._vec
        if vec is not None and vectors is not None and self._vec_gen == gen_before:
            vec.remove(removed)
            if vec.needs_rebuild(len(vec.live) + len(added)):
                self._vec = None  # _sync rebuilds from SQLite
            else:
                vec.add(added, vectors)
                self._vec_gen = gen_before + 1
        self._sync()
        self._maybe_save()

    # --- search ----------------------------------------------------------------------------
    def search(
        self, vector: np.ndarray, k: int, *, chunk_ids: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(chunk_id, inner-product score) best first; only among ``chunk_ids`` when given."""
        query = exact.query_vector(vector, self.dim)
        if k <= 0:
            return []
        with self._lock:
            self._sync()
            vec = self._vec
            if vec is None:
                return []
            rows_of = self._rows_of if vec.index_type == "hnsw_sq8" else None
            if chunk_ids is None:
                return vec.search(query, k, exact=rows_of)
            allowed = np.unique(np.asarray(chunk_ids, dtype=np.int64))
            if not len(allowed):
                return []
            if len(allowed) <= EXACT_FEW:
                return self._exact(query, k, allowed)  # a few stored vectors beat a filtered scan of them all
            if vec.kind == "flat":
                return vec.search(query, k, allowed)
            if len(allowed) > max(EXACT_SUBSET, 0.05 * len(vec.present)):
                hits = vec.search(query, k, allowed, exact=rows_of)
                if len(hits) >= min(k, len(allowed)):
                    return hits
            return self._exact(query, k, allowed)

    def _rows_of(self, ids: np.ndarray) -> np.ndarray:
        """The stored float32 vectors of ``ids`` (all present), in that order."""
        found, matrix = self._fetch_vectors(np.unique(ids))
        return matrix[np.searchsorted(found, ids)]

    def _exact(self, query: np.ndarray, k: int, allowed: np.ndarray) -> list[tuple[int, float]]:
        return exact.top_k(*self._fetch_vectors(allowed), query, k)

    def chunk_vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of ``chunk_ids`` in that order (rows of zeros for unknown ids), e.g. for MMR."""
        wanted = [int(i) for i in chunk_ids]
        with self._lock:
            ids, matrix = self._fetch_vectors(np.unique(np.asarray(wanted, dtype=np.int64)))
        return exact.in_order(ids, matrix, wanted, self.dim)

    @staticmethod
    def read_manifest(path: Path) -> dict[str, Any] | None:
        """The manifest of the index at ``path`` (from its database, else manifest.json), None if absent."""
        return read_index_manifest(Path(path), DB_FILE)

    def info(self) -> dict[str, Any]:
        with self._lock:
            manifest = load_manifest(self._conn) or {}
            vec = self._vec
            sizes = {
                name: (self.path / name).stat().st_size
                for name in (DB_FILE, f"{DB_FILE}-wal", FAISS_FILE)
                if (self.path / name).exists()
            }
            return {
                **manifest,
                "path": str(self.path),
                "generation": self.generation,
                "vectors": {
                    "kind": vec.kind if vec else None,
                    "ntotal": int(len(vec.present)) if vec else 0,
                    "tombstones": int(len(vec.dead)) if vec else 0,
                    "saved_generation": self._saved_gen,
                },
                "sizes": sizes,
            }

    # --- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Save the FAISS file if it lags (skipped, not waited for, while another process writes)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if not self.read_only and self._vec is not None and self._saved_gen != self._vec_gen:
                try:
                    with self._write_lock.hold(timeout_s=1.0):
                        self._save()
                except IndexStoreError as exc:
                    log.info("vectors.faiss not saved on close (%s); the next open catches it up", exc)
            self._conn.close()

    def __enter__(self) -> IndexStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
