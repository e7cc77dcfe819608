"""The read-only queries of IndexStore (filters, records, facets), each under the store's lock."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from index import queries
from rag.types import Filters, ParsedDocument, StoredChunk, StoredRemark


class StoreReads:
    _lock: threading.RLock
    _conn: sqlite3.Connection

    def chunk_ids_for(self, filters: Filters | None) -> np.ndarray | None:
        with self._lock:
            return queries.chunk_ids_for(self._conn, filters)

    def remark_ids_for(self, filters: Filters | None) -> set[str] | None:
        with self._lock:
            return queries.remark_ids_for(self._conn, filters)

    def chunks(self, chunk_ids: Sequence[int]) -> list[StoredChunk]:
        with self._lock:
            return queries.stored_chunks(self._conn, chunk_ids)

    def remarks(self, remark_ids: Sequence[str]) -> dict[str, StoredRemark]:
        with self._lock:
            return queries.stored_remarks(self._conn, remark_ids)

    def all_remarks(self) -> list[StoredRemark]:
        with self._lock:
            return queries.all_remarks(self._conn)

    def documents(self) -> list[dict[str, Any]]:
        with self._lock:
            return queries.documents(self._conn)

    def get_document(self, document: str) -> ParsedDocument:
        with self._lock:
            return queries.get_document(self._conn, document)

    def facets(self) -> dict[str, list[Any]]:
        with self._lock:
            return queries.facets(self._conn)
