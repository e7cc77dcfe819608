"""The reference point shown beside every configuration: LangChain's FAISS vector store ("langchain-faiss").

Same corpus texts, same embeddings (our ``Embedder`` wrapped as a LangChain ``Embeddings``), plain
``similarity_search_with_score`` — no lexical search, no fusion, no reranking. With ``paragraphs=True``
("naive-paragraphs", `rag eval --paragraph-baseline`) each paragraph of a text (its lines) is one vector and a
text scores its best paragraph: the naive baseline of issue 12's assembly bar.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from langchain_core.embeddings import Embeddings

logger = logging.getLogger(__name__)


class EmbedderLike(Protocol):
    def embed_queries(self, texts: Sequence[str]) -> Any: ...

    def embed_passages(self, texts: Sequence[str]) -> Any: ...


class EmbedderEmbeddings(Embeddings):
    """Our ``Embedder`` (query/passage prompts applied by it) seen through LangChain's interface."""

    def __init__(self, embedder: EmbedderLike, *, batch_size: int = 64) -> None:
        self.embedder = embedder
        self.batch_size = batch_size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            vecs = np.asarray(self.embedder.embed_passages(texts[i : i + self.batch_size]), dtype=np.float32)
            out.extend(vecs.tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        vecs = np.asarray(self.embedder.embed_queries([text]), dtype=np.float32)
        return [float(x) for x in vecs[0]]


class LangchainFaissBaseline:
    """A FAISS store over ``(doc_id, text)`` pairs; ``search`` returns ``{doc_id: score}`` (higher = better)."""

    def __init__(self, embedder: EmbedderLike, docs: Sequence[tuple[str, str]], *, paragraphs: bool = False) -> None:
        from langchain_community.vectorstores import FAISS

        if not docs:
            raise ValueError("the LangChain baseline needs at least one corpus text")
        self.per_text = 1
        if paragraphs:
            split = [(d, [p.strip() for p in t.split("\n") if p.strip()] or [t]) for d, t in docs]
            self.per_text = max(len(ps) for _, ps in split)
            docs = [(d, p) for d, ps in split for p in ps]
        owners = [d for d, _ in docs]
        ids = [f"{d}\x00{i}" for i, d in enumerate(owners)] if paragraphs else owners
        started = time.perf_counter()
        self.store = FAISS.from_texts(
            [t for _, t in docs], EmbedderEmbeddings(embedder), metadatas=[{"id": d} for d in owners], ids=ids
        )
        self.build_ms = (time.perf_counter() - started) * 1000.0
        logger.info("langchain-faiss: indexed %d texts in %.0f ms", len(docs), self.build_ms)

    def search(self, question: str, k: int) -> tuple[dict[str, float], dict[str, float]]:
        """Top-k as ``{doc_id: -L2 distance}`` and ``{"total": ms}``."""
        started = time.perf_counter()
        pairs = self.store.similarity_search_with_score(question, k=k * self.per_text)
        total = (time.perf_counter() - started) * 1000.0
        scores: dict[str, float] = {}
        for doc, distance in pairs:
            if len(scores) >= k:
                break
            scores.setdefault(str(doc.metadata["id"]), -float(distance))
        return scores, {"total": total}
