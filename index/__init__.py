"""The index: SQLite (source of truth) + a derived FAISS file; see ``index.store.IndexStore``."""

from __future__ import annotations

from index.store import IndexStore
from index.verify import verify

__all__ = ["IndexStore", "verify"]
