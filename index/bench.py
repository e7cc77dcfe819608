"""Quick benchmark of the store: upsert throughput and search latency per index type.

    python -m index.bench --n 100000 --dim 384 --types flat hnsw

Synthetic unit vectors around 200 centres (``--noise``), documents of ``--per-doc`` chunks; reports upserts/s, chunks/s, the
open (load + catch-up) time, recall@10 against brute force, and p50/p95 search latency with and without a 10 % chunk_ids restriction.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from index.store import IndexStore
from rag.types import Chunk, Meeting, ParsedDocument, Remark

log = logging.getLogger(__name__)


def _unit(a: np.ndarray) -> np.ndarray:
    return (a / np.linalg.norm(a, axis=1, keepdims=True)).astype(np.float32)


def _doc(d: int, per_doc: int) -> tuple[ParsedDocument, list[Chunk]]:
    name = f"bench{d:05d}"
    text = "ベンチマーク用の発言です。" * 8
    remarks = tuple(Remark(id=f"{name}#{j + 1}", ordinal=j + 1, text=text) for j in range(per_doc))
    doc = ParsedDocument(
        document=name,
        source=name,
        sha256=name,
        meeting=Meeting(title=f"会合（第{d}回）", date=f"20{10 + d % 15}-01-01"),
        topics=(),
        remarks=remarks,
        text="",
    )
    return doc, [Chunk(remark_id=r.id, ordinal=0, text=text, start=0, end=len(text)) for r in remarks]


def run(
    index_type: str, n: int, dim: int, per_doc: int, queries: int, root: Path, noise: float = 0.1
) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    centres = _unit(rng.standard_normal((200, dim)))
    path = root / index_type
    store = IndexStore(path, model_id="bench", fingerprint="bench", dim=dim, index_type=index_type)
    started = time.perf_counter()
    docs = n // per_doc
    stored = []
    for d in range(docs):
        doc, chunks = _doc(d, per_doc)
        vectors = _unit(centres[rng.integers(0, 200, per_doc)] + noise * rng.standard_normal((per_doc, dim)))
        store.upsert(doc, chunks, vectors)
        stored.append(vectors)
    store.flush()
    upsert_s = time.perf_counter() - started
    store.close()

    started = time.perf_counter()
    store = IndexStore(path, model_id="bench", fingerprint="bench", dim=dim, read_only=True)
    open_s = time.perf_counter() - started
    qs = _unit(centres[rng.integers(0, 200, queries)] + noise * rng.standard_normal((queries, dim)))
    subset = np.sort(rng.choice(np.arange(1, docs * per_doc + 1), size=docs * per_doc // 10, replace=False))
    timings: dict[str, list[float]] = {"search": [], "search_10pct": []}
    everything = np.vstack(stored)  # chunk ids are 1..n in insertion order
    found = 0
    for q in qs:
        t = time.perf_counter()
        hits = store.search(q, 10)
        timings["search"].append(time.perf_counter() - t)
        truth = set((np.argsort(-(everything @ q))[:10] + 1).tolist())
        found += len(truth & {c for c, _ in hits})
        t = time.perf_counter()
        store.search(q, 10, chunk_ids=subset)
        timings["search_10pct"].append(time.perf_counter() - t)
    store.close()
    result: dict[str, Any] = {
        "index_type": index_type,
        "n": docs * per_doc,
        "dim": dim,
        "upserts_per_s": round(docs / upsert_s, 1),
        "chunks_per_s": round(docs * per_doc / upsert_s),
        "upsert_total_s": round(upsert_s, 1),
        "open_s": round(open_s, 2),
        "recall_at_10": round(found / (10 * queries), 4),
    }
    for name, values in timings.items():
        result[f"{name}_p50_ms"] = round(1000 * float(np.percentile(values, 50)), 2)
        result[f"{name}_p95_ms"] = round(1000 * float(np.percentile(values, 95)), 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--per-doc", type=int, default=100)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--types", nargs="+", default=["flat", "hnsw"])
    parser.add_argument(
        "--noise",
        type=float,
        default=0.1,
        help="per-dimension noise around 200 centres (0.3 at 384-d ≈ random)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    root = Path(tempfile.mkdtemp(prefix="index-bench-"))
    try:
        for index_type in args.types:
            result = run(index_type, args.n, args.dim, args.per_doc, args.queries, root, args.noise)
            log.warning("%s", json.dumps(result))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
