"""HNSW and IVF against exact search, through the store, on a seeded clustered synthetic set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from index_docs import FINGERPRINT, MODEL_ID

from index import IndexStore, verify
from index.vectors import VectorIndex
from rag.types import Chunk, Filters, Meeting, ParsedDocument, Remark

DIM, N, PER_DOC, QUERIES, K = 64, 20_000, 500, 200, 10


def unit(a: np.ndarray) -> np.ndarray:
    return (a / np.linalg.norm(a, axis=1, keepdims=True)).astype(np.float32)


def dataset(seed: int = 7, clustered: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Vectors around 100 centres (text embeddings cluster by topic), or plain random ones."""
    rng = np.random.default_rng(seed)
    if not clustered:
        return unit(rng.standard_normal((N, DIM))), unit(rng.standard_normal((QUERIES, DIM)))
    centres = unit(rng.standard_normal((100, DIM)))
    x = unit(centres[rng.integers(0, 100, N)] + 0.2 * rng.standard_normal((N, DIM)))
    q = unit(centres[rng.integers(0, 100, QUERIES)] + 0.2 * rng.standard_normal((QUERIES, DIM)))
    return x, q


def doc(d: int) -> tuple[ParsedDocument, list[Chunk]]:
    name = f"syn{d:03d}"
    remarks = tuple(Remark(id=f"{name}#{j + 1}", ordinal=j + 1, text=f"r{j}") for j in range(PER_DOC))
    parsed = ParsedDocument(
        document=name,
        source=name,
        sha256=name,
        meeting=Meeting(title=name),
        topics=(),
        remarks=remarks,
        text="",
    )
    return parsed, [Chunk(remark_id=r.id, ordinal=0, text=r.text, start=0, end=len(r.text)) for r in remarks]


def build(path: Path, index_type: str, x: np.ndarray) -> IndexStore:
    store = IndexStore(path, model_id=MODEL_ID, fingerprint=FINGERPRINT, dim=DIM, index_type=index_type)
    for d in range(N // PER_DOC):
        parsed, chunks = doc(d)
        store.upsert(parsed, chunks, x[d * PER_DOC : (d + 1) * PER_DOC])
    return store


def exact(x: np.ndarray, ids: np.ndarray, q: np.ndarray) -> set[int]:
    """Top-K chunk ids by brute force (chunk ids are assigned 1..N in insertion order)."""
    scores = x[ids - 1] @ q
    return set(ids[np.argsort(-scores)[:K]].tolist())


def recall(store: IndexStore, x: np.ndarray, queries: np.ndarray, allowed: np.ndarray | None) -> float:
    ids = allowed if allowed is not None else np.arange(1, N + 1)
    found = 0
    for q in queries:
        hits = store.search(q, K, chunk_ids=allowed)
        assert len(hits) == K
        assert allowed is None or set(c for c, _ in hits) <= set(allowed.tolist())
        found += len({c for c, _ in hits} & exact(x, ids, q))
    return found / (K * len(queries))


@pytest.mark.timeout(600)
@pytest.mark.parametrize("index_type", ["hnsw", "ivf", "hnsw_sq8"])
def test_recall_at_10_against_exact(tmp_path: Path, index_type: str) -> None:
    x, queries = dataset()
    with build(tmp_path / index_type, index_type, x) as store:
        assert store.info()["vectors"]["kind"] == ("hnsw" if index_type == "hnsw_sq8" else index_type)
        assert recall(store, x, queries, None) >= 0.95
        # restricted: 30 % of the collection (approximate path, with a selector) …
        subset = np.concatenate([store.chunk_ids_for(Filters(document=f"syn{d:03d}")) for d in range(12)])  # type: ignore[arg-type]
        assert len(subset) == 6000
        assert recall(store, x, queries[:50], subset) >= 0.95
        # … and one document (exact path)
        one = store.chunk_ids_for(Filters(document="syn007"))
        assert one is not None and recall(store, x, queries[:50], one) == 1.0
    assert verify(tmp_path / index_type) == []


def test_flat_is_exact_and_hnsw_works_on_plain_random_vectors() -> None:
    x, queries = dataset(clustered=False)
    ids = np.arange(1, N + 1, dtype=np.int64)
    flat, hnsw = VectorIndex(DIM, "flat"), VectorIndex(DIM, "hnsw")
    flat.build(ids, x)
    hnsw.build(ids, x)
    found = 0
    for q in queries:
        truth = exact(x, ids, q)
        assert {c for c, _ in flat.search(q, K)} == truth
        found += len({c for c, _ in hnsw.search(q, K)} & truth)
    assert found / (K * QUERIES) >= 0.95


def test_hnsw_sq8_is_quantized_and_close_to_exact_on_random_vectors() -> None:
    """8-bit HNSW (RAG_INDEX_TYPE=hnsw_sq8) holds a quarter of the float32 bytes and keeps recall@10 ≥ 0.95."""
    import faiss

    x, queries = dataset(clustered=False)
    ids = np.arange(1, N + 1, dtype=np.int64)
    sq8 = VectorIndex(DIM, "hnsw_sq8")
    sq8.build(ids, x)
    inner = faiss.downcast_index(sq8.index.index)
    assert isinstance(inner, faiss.IndexHNSWSQ) and sq8.kind == "hnsw"
    assert faiss.downcast_index(inner.storage).code_size == DIM  # one byte per dimension
    found = sum(len({c for c, _ in sq8.search(q, K)} & exact(x, ids, q)) for q in queries)
    assert found / (K * QUERIES) >= 0.95
    small = VectorIndex(DIM, "hnsw_sq8")  # too few vectors to train SQ8 on: exact until IVF_MIN_TRAIN
    small.build(ids[:100], x[:100])
    assert small.kind == "flat" and not small.needs_rebuild(100) and small.needs_rebuild(5000)
