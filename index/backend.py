"""The store interface that the service, the Retriever, the CLI and the API call, and how a backend is chosen.

Two backends implement it: ``index.store.IndexStore`` (SQLite + FAISS in one folder, the default) and
``index.milvus_store.MilvusStore`` (a Milvus server or Milvus Lite). ``RAG_STORE`` picks Milvus:
``milvus://host:19530``, ``http(s)://host:port`` or a ``.db`` path for Milvus Lite in-process; an optional
``?prefix=NAME`` names the collections (default ``rag``), so that one server can hold several indexes.
Retrieval (fusion, rerank, confidence, highlights, the Sudachi BM25 leg) is the same code for both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np

from index.tokens import CorpusDelta
from rag.types import Chunk, Filters, ParsedDocument, StoredChunk, StoredRemark

DEFAULT_PREFIX = "rag"


class SourceStore(Protocol):
    """The uploaded source PDFs of a store's documents, by document id (``Store.sources``): files in the index
    folder for the embedded store (``rag.sources.FileSources``), base64 parts in Milvus for the Milvus store
    (``index.milvus_sources.MilvusSources``), so that every replica serves them. ``get`` hands back the stored
    bytes; whether they are the indexed document's (sha256) is the caller's check."""

    def put(self, document: str, data: bytes) -> None: ...

    def get(self, document: str) -> bytes | None: ...

    def delete(self, document: str) -> None: ...

    def stored(self, documents: Iterable[str]) -> set[str]: ...

    def has(self, document: str) -> bool: ...


@runtime_checkable
class Store(Protocol):
    """Everything callers use of a store (``rag.retrieve.stages.StoreLike`` is the Retriever's slice of it)."""

    read_only: bool
    dim: int
    index_type: str

    @property
    def sources(self) -> SourceStore: ...

    @property
    def generation(self) -> int: ...

    # writes
    def document_status(self, document: str, sha256: str) -> str: ...

    def upsert(
        self,
        doc: ParsedDocument,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        tokens: Sequence[Sequence[str]] | None = None,
    ) -> str: ...

    def upsert_many(
        self, items: Sequence[tuple[ParsedDocument, Sequence[Chunk], np.ndarray, Sequence[Sequence[str]] | None]]
    ) -> list[str]: ...

    def delete(self, document: str) -> None: ...

    def store_tokens(self, pairs: Sequence[tuple[str, Sequence[str]]]) -> None: ...

    def flush(self) -> None: ...

    # search and records
    def search(
        self, vector: np.ndarray, k: int, *, chunk_ids: np.ndarray | None = None
    ) -> list[tuple[int, float]]: ...

    def chunk_vectors(self, chunk_ids: Sequence[int]) -> np.ndarray: ...

    def chunk_ids_for(self, filters: Filters | None) -> np.ndarray | None: ...

    def remark_ids_for(self, filters: Filters | None) -> set[str] | None: ...

    def chunks(self, chunk_ids: Sequence[int]) -> list[StoredChunk]: ...

    def remarks(self, remark_ids: Sequence[str]) -> dict[str, StoredRemark]: ...

    def all_remarks(self) -> list[StoredRemark]: ...

    def documents(self) -> list[dict[str, Any]]: ...

    def get_document(self, document: str) -> ParsedDocument: ...

    def facets(self) -> dict[str, list[Any]]: ...

    def corpus_delta(self, known: Mapping[str, str], known_term: int = 0) -> CorpusDelta: ...

    def remark_term_ids(self, remark_ids: Sequence[str]) -> dict[str, np.ndarray]: ...

    def remark_tokens(self, remark_ids: Sequence[str]) -> dict[str, list[str]]: ...

    def remark_chunk_ids(self, remark_ids: Sequence[str]) -> dict[str, list[int]]: ...

    def info(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class MilvusTarget:
    """Where a Milvus store lives: the pymilvus ``uri`` (a server URL or a Milvus Lite file), a token, a prefix."""

    uri: str
    prefix: str = DEFAULT_PREFIX
    token: str = ""

    @property
    def display(self) -> str:
        return f"{self.uri} (collections {self.prefix}_*)"


def is_milvus(spec: str | None) -> bool:
    if not spec:
        return False
    head = spec.split("?", 1)[0]
    return spec.startswith(("milvus://", "http://", "https://")) or head.endswith(".db")


def parse_target(spec: str) -> MilvusTarget:
    """``milvus://[user:password@]host:port[?prefix=NAME]``, ``http(s)://…`` or ``PATH.db[?prefix=NAME]``."""
    if not is_milvus(spec):
        raise ValueError(
            f"RAG_STORE={spec!r} is not a Milvus address; use milvus://host:19530, http://host:port or a "
            "Milvus Lite file ending in .db (or leave RAG_STORE unset for the embedded index)"
        )
    base, _, query = spec.partition("?")
    params = parse_qs(query)
    prefix = params.get("prefix", [DEFAULT_PREFIX])[0]
    if not prefix.replace("_", "").isalnum() or not prefix[0].isalpha():
        raise ValueError(
            f"prefix {prefix!r} in RAG_STORE must be letters, digits and _ (starting with a letter)"
        )
    if base.startswith(("milvus://", "http://", "https://")):
        parts = urlsplit(base)
        token = ""
        if parts.username:
            token = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        scheme = "http" if parts.scheme == "milvus" else parts.scheme
        host = parts.hostname or "127.0.0.1"
        port = parts.port or 19530
        return MilvusTarget(uri=f"{scheme}://{host}:{port}", prefix=prefix, token=token)
    return MilvusTarget(uri=base, prefix=prefix)


def open_store(
    spec: str,
    *,
    model_id: str,
    fingerprint: str,
    dim: int,
    index_type: str = "hnsw",
    read_only: bool = False,
) -> Store:
    """A Milvus store for ``spec`` (``RAG_STORE``); the embedded one is opened by the service as before."""
    from index.milvus_store import MilvusStore

    return MilvusStore(
        parse_target(spec),
        model_id=model_id,
        fingerprint=fingerprint,
        dim=dim,
        index_type=index_type,
        read_only=read_only,
    )
