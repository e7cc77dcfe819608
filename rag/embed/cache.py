"""A persistent embedding cache: SQLite (WAL), keyed by (model fingerprint, sha256 of prompt + text).

Re-ingesting unchanged remarks then costs no model calls: see :func:`embed_passages_cached`.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.embed.model import Embedder
from rag.errors import IndexStoreError
from rag.sqlite_wal import enable_wal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    fingerprint TEXT NOT NULL,
    key BLOB NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (fingerprint, key)
) WITHOUT ROWID
"""
_CHUNK = 500  # SQLite parameter limit safety
_TIMEOUT_S = 30.0  # how long to wait for another process's lock on the file


def text_key(text: str, prompt: str = "") -> bytes:
    """sha256 of prompt + text (the prompt is part of what the model sees)."""
    return hashlib.sha256((prompt + text).encode("utf-8")).digest()


class EmbeddingCache:
    """Thread-safe, process-safe (WAL) cache of float32 vectors."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=_TIMEOUT_S)
            enable_wal(self._conn, _TIMEOUT_S)
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(_SCHEMA)
            self._conn.commit()
        except sqlite3.Error as exc:
            raise IndexStoreError(
                f"cannot open the embedding cache {self.path}: {exc}; delete the file to rebuild it"
            ) from exc
        self._lock = threading.Lock()

    def get_many(self, fingerprint: str, texts: Sequence[str], *, prompt: str = "") -> dict[int, np.ndarray]:
        """{position in ``texts``: vector} for the texts that are cached."""
        keys = [text_key(t, prompt) for t in texts]
        positions: dict[bytes, list[int]] = {}
        for i, k in enumerate(keys):
            positions.setdefault(k, []).append(i)
        unique = list(positions)
        found: dict[int, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(unique), _CHUNK):
                part = unique[start : start + _CHUNK]
                marks = ",".join("?" * len(part))
                rows = self._conn.execute(
                    f"SELECT key, vector FROM embeddings WHERE fingerprint = ? AND key IN ({marks})",  # noqa: S608
                    [fingerprint, *part],
                ).fetchall()
                for key, blob in rows:
                    vec = np.frombuffer(blob, dtype="<f4").astype(np.float32)
                    for i in positions[bytes(key)]:
                        found[i] = vec
        return found

    def put_many(
        self, fingerprint: str, texts: Sequence[str], vectors: np.ndarray, *, prompt: str = ""
    ) -> None:
        arr = np.asarray(vectors, dtype="<f4")
        if arr.ndim != 2 or arr.shape[0] != len(texts):
            raise ValueError(f"put_many needs one vector per text: got {arr.shape} for {len(texts)} texts")
        rows = [(fingerprint, text_key(t, prompt), arr[i].tobytes()) for i, t in enumerate(texts)]
        with self._lock:
            with self._conn:
                self._conn.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)", rows)

    def count(self, fingerprint: str | None = None) -> int:
        with self._lock:
            if fingerprint is None:
                row = self._conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()
            else:
                row = self._conn.execute(
                    "SELECT COUNT(*) FROM embeddings WHERE fingerprint = ?", (fingerprint,)
                ).fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def embed_passages_cached(
    embedder: Embedder, texts: Sequence[str], cache: EmbeddingCache, *, progress: bool = False
) -> np.ndarray:
    """Like ``embedder.embed_passages(texts)`` but only embeds (and then stores) the cache misses."""
    texts = list(texts)
    prompt = embedder.passage_prompt
    hits = cache.get_many(embedder.fingerprint, texts, prompt=prompt)
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for i, vec in hits.items():
        if vec.shape != (embedder.dim,):
            raise IndexStoreError(f"embedding cache {cache.path} holds a vector of the wrong size; delete it")
        out[i] = vec
    # Embed each distinct missing text once.
    missing: dict[str, list[int]] = {}
    for i, t in enumerate(texts):
        if i not in hits:
            missing.setdefault(t, []).append(i)
    if missing:
        todo = list(missing)
        vecs = embedder.embed_passages(todo, progress=progress)
        for t, vec in zip(todo, vecs, strict=True):
            out[missing[t]] = vec
        cache.put_many(embedder.fingerprint, todo, vecs, prompt=prompt)
    return out
