"""The index-layer mode of `python -m eval.bench_scale` (``--index-layer``, the default at ≥ 500,000 remarks):
``index.vectors.VectorIndex`` alone, built in a child process from hash vectors of synthetic remarks, searched
without the query embedding; search p50/p99, recall@10 against exact search, and the child's peak RSS."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench_corpus import Pool
from eval.bench_scale import bench_env, percentile, vm_kb


def _index_layer_child(spec: str) -> None:
    """Child process: build the VectorIndex from a .npy, search it, print JSON (its VmHWM is the RSS)."""
    from index import vectors as vectors_mod
    from index.vectors import VectorIndex

    cfg = json.loads(spec)
    queries = np.load(cfg["queries"])
    started = time.perf_counter()
    step = 100_000
    vi: VectorIndex | None = None
    # The first slice builds (and, for hnsw_sq8, trains) the index; the rest is added slice by slice, read
    # with plain reads (a memory map's pages would count as resident), so no full float32 copy of the
    # vectors is ever held beside the index, as when the store catches FAISS up from SQLite in batches.
    for ids, block in _npy_slices(Path(cfg["vectors"]), step):
        if vi is None:
            vi = VectorIndex(int(block.shape[1]), cfg["index_type"])
            vi.build(ids, block)
        else:
            vi.add(ids, block)
    if vi is None:
        raise ValueError("no vectors to index")
    build_s = time.perf_counter() - started
    if cfg.get("ef_search"):
        vectors_mod.HNSW_EF_SEARCH = int(cfg["ef_search"])
    # hnsw_sq8 ranks its candidates by their exact vectors, read per search like the store reads them from
    # SQLite: here rows of the .npy by positioned reads (a memory map would make its read-ahead resident)
    handle = open(cfg["vectors"], "rb")  # noqa: SIM115 - open for the searches, closed by the exit
    if np.lib.format.read_magic(handle) != (1, 0):
        raise ValueError(f"{cfg['vectors']}: expected a version 1.0 .npy file")
    (_, dim), _, _ = np.lib.format.read_array_header_1_0(handle)
    offset, row_bytes = handle.tell(), 4 * int(dim)

    def exact(ids: np.ndarray) -> np.ndarray:
        fd = handle.fileno()
        rows = [os.pread(fd, row_bytes, offset + int(i) * row_bytes) for i in ids]
        return np.frombuffer(b"".join(rows), dtype="<f4").reshape(len(ids), int(dim))

    for q in queries[:5]:  # warm-up, not counted
        vi.search(q, 10, exact=exact)
    lat, found = [], []
    for q in queries:
        t = time.perf_counter()
        hits = vi.search(q, 10, exact=exact)
        lat.append((time.perf_counter() - t) * 1000.0)
        found.append([h[0] for h in hits])
    hwm, rss = vm_kb(os.getpid(), "VmHWM"), vm_kb(os.getpid(), "VmRSS")
    print(json.dumps({"build_s": build_s, "lat": lat, "found": found, "kind": vi.kind,
                      "peak_rss_mb": (hwm or 0) / 1024, "rss_mb": (rss or 0) / 1024}))


def _npy_slices(path: Path, step: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(ids, rows) of a 2-d float32 .npy file, ``step`` rows at a time, read without a memory map."""
    with path.open("rb") as handle:
        if np.lib.format.read_magic(handle) != (1, 0):
            raise ValueError(f"{path}: expected a version 1.0 .npy file (np.save of a float32 matrix)")
        shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
        n, dim = int(shape[0]), int(shape[1])
        for start in range(0, n, step):
            count = min(step, n - start)
            block = np.fromfile(handle, dtype=dtype, count=count * dim).reshape(count, dim)
            yield np.arange(start, start + count, dtype=np.int64), block.astype(np.float32, copy=False)


def hash_vectors(texts: list[str], dim: int) -> np.ndarray:
    from rag.embed.hashing import HashingEmbedder

    return HashingEmbedder(dim).embed_passages(texts)


def bench_index_layer(pool: Pool, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Vectors of ``--remarks`` hash-embedded remarks; a remark's vector is the normalized sum of its
    sentences' bag-of-bigram vectors (the hash embedder is additive up to the sentence joins)."""
    import random

    dim = int(args.model.split(":", 1)[1]) if args.model.startswith("hash:") else 384
    rng = random.Random(args.seed)
    sent = hash_vectors(pool.sentences, dim)
    picks = np.array([[rng.randrange(len(pool.sentences)) if j == 0 or rng.random() < 0.6 else -1
                       for j in range(3)] for _ in range(args.remarks)])
    vectors = np.zeros((args.remarks, dim), dtype=np.float32)
    for j in range(3):
        ok = picks[:, j] >= 0
        vectors[ok] += sent[picks[ok, j]]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = hash_vectors(pool.questions[: args.questions], dim)
    np.save(work / "vectors.npy", vectors)
    np.save(work / "queries.npy", queries)
    exact = [np.argsort(-(vectors @ q))[:10] for q in queries]
    kth = [float(vectors[e[-1]] @ q) for e, q in zip(exact, queries, strict=True)]
    spec = json.dumps({"vectors": str(work / "vectors.npy"), "queries": str(work / "queries.npy"),
                       "index_type": args.index, "ef_search": args.ef_search})
    out = subprocess.run([sys.executable, "-c", f"from eval.bench_index_layer import _index_layer_child as f; f({spec!r})"],
                         env=bench_env(args.model, args.index), capture_output=True, text=True, check=True,
                         timeout=args.timeout)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    # Remarks repeat sentences, so many rows tie at the 10th-best score: a hit counts when its exact score
    # reaches the exact 10th best (the id overlap with one exact top 10 is reported too).
    recall = statistics.mean(
        sum(float(vectors[i] @ q) >= t - 1e-5 for i in f[:10]) / 10
        for f, q, t in zip(res["found"], queries, kth, strict=True)
    )
    id_overlap = statistics.mean(len(set(f) & set(e.tolist())) / 10 for f, e in zip(res["found"], exact, strict=True))
    del vectors
    from index import vectors as vectors_mod

    return {"mode": "index layer only (index.vectors.VectorIndex; no CLI, no HTTP, no query embedding)",
            "ef_search": args.ef_search or vectors_mod.HNSW_EF_SEARCH, "refine_factor": vectors_mod.REFINE_FACTOR,
            "build_s": res["build_s"], "search_p50_ms": percentile(res["lat"], 50),
            "search_p99_ms": percentile(res["lat"], 99), "recall@10_vs_exact": recall,
            "top10_id_overlap_vs_exact": id_overlap,
            "peak_rss_mb": res["peak_rss_mb"], "rss_mb": res.get("rss_mb"), "faiss_kind": res.get("kind"),
            "searches": len(res["lat"])}
