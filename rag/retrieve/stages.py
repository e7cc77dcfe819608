"""What the Retriever needs from the index, and the dense leg (chunk hits → remark scores)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from rag.types import Filters, StoredChunk, StoredRemark

_MAX_DOUBLINGS = 6


class StoreLike(Protocol):
    """The slice of `index.IndexStore` that retrieval uses."""

    @property
    def generation(self) -> int: ...

    def search(
        self, vector: np.ndarray, k: int, chunk_ids: np.ndarray | None = None
    ) -> list[tuple[int, float]]: ...

    def chunk_ids_for(self, filters: Filters) -> np.ndarray | None: ...

    def remark_ids_for(self, filters: Filters) -> set[str] | None: ...

    def chunks(self, ids: Iterable[int]) -> list[StoredChunk]: ...

    def remarks(self, remark_ids: Sequence[str]) -> dict[str, StoredRemark]: ...

    def corpus_delta(
        self, known: Mapping[str, str], known_term: int = 0
    ) -> Any: ...  # index.tokens.CorpusDelta

    def remark_term_ids(self, remark_ids: Sequence[str]) -> dict[str, np.ndarray]: ...

    def remark_chunk_ids(self, remark_ids: Sequence[str]) -> dict[str, list[int]]: ...

    def store_tokens(self, pairs: Sequence[tuple[str, Sequence[str]]]) -> None: ...


@dataclass
class Candidates:
    """Candidate remarks of one question with both legs' scores, aligned by position."""

    tokens: list[str]
    corpus_cov: float
    glossary_miss: float = 0.0  # English: share of content words the glossary maps to terms the corpus lacks
    ids: list[str] = field(default_factory=list)
    dense: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lexical: np.ndarray = field(default_factory=lambda: np.zeros(0))
    has_dense: bool = False
    vector: np.ndarray | None = None  # the question's dense vector (None in lexical mode)
    best_share: float = 0.0  # the largest share of the question's distinct tokens one candidate contains
    topic_titles: frozenset[str] = frozenset()  # agenda items the question names by title (topics.py)
    remarks: dict[str, StoredRemark] = field(
        default_factory=dict
    )  # the candidates' records (read per search)
    token_sets: dict[str, frozenset[int]] = field(default_factory=dict)  # the candidates' stored term ids
    query_terms: frozenset[int] = frozenset()  # ids of the question's tokens the corpus knows
    answers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # question remark → its answers


def dense_remark_scores(
    store: StoreLike,
    chunk_remark: dict[int, str],
    vector: np.ndarray,
    depth: int,
    chunk_ids: np.ndarray | None,
    allowed: set[str] | None,
) -> dict[str, float]:
    """Best chunk score per remark for the `depth` best remarks (fewer when fewer exist).

    Asks FAISS for 2 × depth chunks and doubles that while several chunks of one remark keep the
    remark count under `depth`. `chunk_remark` caches chunk id → remark id between calls.
    """
    k_chunks = max(2 * depth, 1)
    limit = len(chunk_ids) if chunk_ids is not None else None
    best: dict[str, float] = {}
    for _ in range(_MAX_DOUBLINGS):
        if limit is not None:
            k_chunks = min(k_chunks, limit)
        if k_chunks <= 0:
            return {}
        found = store.search(vector, k_chunks, chunk_ids=chunk_ids)
        missing = [cid for cid, _ in found if cid not in chunk_remark]
        if missing:
            for ch in store.chunks(missing):
                chunk_remark[ch.chunk_id] = ch.remark_id
        best = {}
        for cid, score in found:
            rid = chunk_remark.get(cid)
            if rid is None or (allowed is not None and rid not in allowed):
                continue
            if score > best.get(rid, -np.inf):
                best[rid] = float(score)
        exhausted = len(found) < k_chunks or (limit is not None and k_chunks >= limit)
        if len(best) >= depth or exhausted:
            break
        k_chunks *= 2
    ranked = sorted(best.items(), key=lambda kv: -kv[1])[:depth]
    return dict(ranked)
