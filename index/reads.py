"""The read-only queries of IndexStore (filters, records, facets), each under the store's lock."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from index import filters as filters_sql
from index import queries, tokens
from index.tokens import CorpusDelta
from rag.types import Filters, ParsedDocument, StoredChunk, StoredRemark


class StoreReads:
    _lock: threading.RLock
    _conn: sqlite3.Connection

    def chunk_ids_for(self, filters: Filters | None) -> np.ndarray | None:
        with self._lock:
            return filters_sql.chunk_ids_for(self._conn, filters)

    def remark_ids_for(self, filters: Filters | None) -> set[str] | None:
        with self._lock:
            return filters_sql.remark_ids_for(self._conn, filters)

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

    def corpus_delta(self, known: Mapping[str, str], known_term: int = 0) -> CorpusDelta:
        """Documents, remark term ids and terms changed since ``known`` (document → sha256) and term id
        ``known_term``, in one snapshot."""
        with self._lock:
            return tokens.corpus_delta(self._conn, known, known_term)

    def remark_term_ids(self, remark_ids: Sequence[str]) -> dict[str, np.ndarray]:
        with self._lock:
            return tokens.term_ids_of(self._conn, remark_ids)

    def remark_tokens(self, remark_ids: Sequence[str]) -> dict[str, list[str]]:
        """The stored lexical tokens of these remarks (those stored without tokens are left out)."""
        with self._lock:
            return tokens.tokens_of(self._conn, remark_ids)

    def remark_chunk_ids(self, remark_ids: Sequence[str]) -> dict[str, list[int]]:
        with self._lock:
            return tokens.remark_chunk_ids(self._conn, remark_ids)
