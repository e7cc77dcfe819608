"""Keeping the derived FAISS index in step with SQLite: load, catch up, save and repair its files.

``VectorSync`` is a mixin of ``IndexStore``. SQLite's ``generation`` counter says how far the database has
moved; the in-memory ``VectorIndex`` is caught up to it by an id diff (``_sync``), and ``vectors.faiss`` /
``vectors.gen`` (plus the ``manifest.json`` mirror) are written from it under the write lock. A lagging or
foreign ``vectors.faiss`` is never wrong, only behind: it is caught up or rebuilt from the database.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np

from index import queries
from index.lock import WriteLock
from index.manifest import load_manifest, read_manifest_file, write_manifest_file
from index.vectors import VectorIndex, read_gen
from rag.errors import IndexStoreError

log = logging.getLogger(__name__)

FAISS_FILE = "vectors.faiss"
GEN_FILE = "vectors.gen"
SAVE_COST_FACTOR = 20.0


class VectorSync:
    path: Path
    dim: int
    index_type: str
    uid: str
    read_only: bool
    save_interval_s: float
    _lock: threading.RLock
    _write_lock: WriteLock
    _conn: sqlite3.Connection
    _vec: VectorIndex | None
    _vec_gen: int
    _saved_gen: int
    _last_save: float

    # --- opening ---------------------------------------------------------------------------
    def _open_vectors(self) -> None:
        """Load ``vectors.faiss`` when it belongs to this database, then catch it up with SQLite."""
        faiss_path, gen = self.path / FAISS_FILE, read_gen(self.path / GEN_FILE)
        sqlite_gen = self.generation
        usable = (
            gen is not None
            and faiss_path.exists()
            and gen.get("uid") == self.uid
            and gen["generation"] <= sqlite_gen
            and gen.get("index_type") == self.index_type
        )
        if usable and gen is not None:
            try:
                self._vec = VectorIndex.load(faiss_path, self.dim, self.index_type)
                self._vec_gen = self._saved_gen = int(gen["generation"])
            except IndexStoreError as exc:
                log.warning("%s; rebuilding the vectors from the database", exc)
                self._vec = None
        self._sync()
        if self.read_only:
            return
        stale_manifest = read_manifest_file(self.path) != load_manifest(self._conn)
        if self._saved_gen != self._vec_gen or stale_manifest:
            try:  # repair the derived files now, unless another process is writing (it will save them)
                with self._write_lock.hold(timeout_s=0.0):
                    self._repair_files()
            except IndexStoreError as exc:
                log.info("derived index files not repaired on open: %s", exc)

    def _repair_files(self) -> None:
        self._cleanup_temp_files()
        if self._saved_gen != self.generation:
            self._save()
        manifest = load_manifest(self._conn)
        if manifest is not None and read_manifest_file(self.path) != manifest:
            write_manifest_file(self.path, manifest)

    def _cleanup_temp_files(self) -> None:
        for pattern in (f"{FAISS_FILE}.*.tmp", f"{GEN_FILE}.*.tmp", "manifest.json.*.tmp"):
            for leftover in self.path.glob(pattern):
                leftover.unlink(missing_ok=True)

    # --- generation and FAISS sync ---------------------------------------------------------
    @property
    def generation(self) -> int:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def _sync(self) -> None:
        """Bring the in-memory FAISS index to SQLite's generation (one consistent read snapshot)."""
        conn = self._conn
        conn.execute("BEGIN")
        try:
            gen = int(conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])
            if self._vec is not None and gen == self._vec_gen:
                return
            ids = np.array(
                [r[0] for r in conn.execute("SELECT chunk_id FROM chunks ORDER BY chunk_id")], np.int64
            )
            vec = self._vec
            if vec is not None:
                vec.remove(np.setdiff1d(vec.live, ids, assume_unique=True))
                if vec.needs_rebuild(len(ids)):
                    vec = None
                else:
                    to_add = np.setdiff1d(ids, vec.present, assume_unique=True)
                    vec.add(*self._fetch_vectors(to_add))
            if vec is None:
                vec = VectorIndex(self.dim, self.index_type)
                vec.build(*self._fetch_vectors(ids))
            self._vec, self._vec_gen = vec, gen
        finally:
            conn.execute("COMMIT")

    def _fetch_vectors(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return queries.fetch_vectors(self._conn, ids, self.dim)

    # --- saving ----------------------------------------------------------------------------
    def _save(self) -> None:
        """Write the FAISS files (call holding the write lock, so SQLite cannot move meanwhile)."""
        self._sync()
        if self._vec is None:
            return
        started = time.monotonic()
        self._vec.save(self.path / FAISS_FILE, self.path / GEN_FILE, self._vec_gen, uid=self.uid)
        self._saved_gen = self._vec_gen
        self._last_save = time.monotonic()
        self._save_cost = self._last_save - started

    def _maybe_save(self) -> None:
        """Save when ``save_interval_s`` passed, and at least 20× the last save's duration, so that writing a
        large ``vectors.faiss`` takes at most ~5 % of a long ingest (SQLite holds every commit meanwhile)."""
        interval = max(self.save_interval_s, SAVE_COST_FACTOR * getattr(self, "_save_cost", 0.0))
        due = time.monotonic() - self._last_save >= interval
        if self._saved_gen != self._vec_gen and (due or self._saved_gen < 0):
            self._save()
