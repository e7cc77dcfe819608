"""Reads of the Milvus store kept for one generation of the index (see ``MilvusStore.generation``)."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

CACHE_ROWS = 50_000  # rows kept per generation (remarks by id, chunk vectors) before the cache starts over


class GenerationCache:
    """key → row read from Milvus, valid for one generation of the store: a write anywhere moves the
    generation (read at most ``GENERATION_TTL_S`` old), which empties the cache, so a reader sees another
    replica's writes as soon as without it."""

    def __init__(self) -> None:
        self._gen = -1
        self._rows: dict[Any, Any] = {}
        self._lock = threading.Lock()

    def get(self, generation: int, keys: Sequence[Any]) -> tuple[dict[Any, Any], list[Any]]:
        """(cached rows, missing keys) at ``generation``."""
        with self._lock:
            if generation != self._gen:
                self._gen, self._rows = generation, {}
            found = {k: self._rows[k] for k in keys if k in self._rows}
        return found, [k for k in keys if k not in found]

    def put(self, generation: int, rows: Mapping[Any, Any]) -> None:
        with self._lock:
            if generation != self._gen:
                return
            if len(self._rows) + len(rows) > CACHE_ROWS:
                self._rows = {}
            self._rows.update(rows)

    def clear(self) -> None:
        with self._lock:
            self._gen, self._rows = -1, {}
