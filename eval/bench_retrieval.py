"""Benchmark: ingest throughput, query latency (dense-only vs the default pipeline) and raw FAISS latency.

    python -m eval.bench_retrieval --seed ../shared/seeds/000_1e1e3ba0d71176a4.txt \
        --jsquad ../shared/datasets/jsquad-valid-v1.1.json --faiss-n 1000000

Prints figures (and writes them as JSON with --json); it is a script, not a test. Three parts:
1. the seed minutes: remarks/s ingested (cold embedding cache), p50/p95 search latency over ≥ 200 queries,
   embedding included, for mode=dense without rerank/MMR and for the default configuration;
2. a corpus of ≥ 5,000 passages made from the sentences of JSQuAD's paragraphs: the same figures;
3. FAISS alone on synthetic 384-d unit vectors: flat vs HNSW search latency (single query) and HNSW recall@10.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from eval.dataset import load_questions
from rag.service import RagService
from rag.settings import Settings
from rag.types import Meeting, ParsedDocument, Remark

log = logging.getLogger(__name__)
SEED_QUESTIONS = Path(__file__).parent / "datasets" / "seed"


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def _latencies(svc: RagService, questions: list[str], n: int, **kwargs: Any) -> dict[str, float]:
    times = []
    for i in range(n):
        started = time.perf_counter()
        svc.search(questions[i % len(questions)], k=5, **kwargs)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": _pct(times, 50), "p95_ms": _pct(times, 95), "mean_ms": statistics.fmean(times), "n": n}


def _search_figures(svc: RagService, questions: list[str], n: int) -> dict[str, Any]:
    svc.search(questions[0])  # warm: lexical index, first-call overheads
    dense = _latencies(svc, questions, n, mode="dense", rerank=False)
    default = _latencies(svc, questions, n)
    return {"dense": dense, "default": default, "default_over_dense_p50": default["p50_ms"] / dense["p50_ms"]}


def bench_seed(seed: Path, root: Path, n_queries: int, model: str) -> dict[str, Any]:
    svc = RagService(Settings(index_dir=root / "seed", model=model, ingest_samples_on_start=False))
    _ = svc.embedder  # model load is not ingest time
    started = time.perf_counter()
    report = svc.ingest([seed])
    seconds = time.perf_counter() - started
    questions = [q.text for q in load_questions(SEED_QUESTIONS / "questions.jsonl")[0]]
    out = {"remarks": report.remarks, "ingest_s": seconds, "remarks_per_s": report.remarks / seconds}
    out.update(_search_figures(svc, questions, n_queries))
    svc.close()
    return out


def jsquad_passages(path: Path, limit: int) -> tuple[list[ParsedDocument], list[str]]:
    """Passages made from the sentences of the JSQuAD paragraphs (split after 。): every sentence, then every
    pair of consecutive sentences (the paragraphs alone give too few sentences for a 5,000-passage corpus).
    Returns at most ``limit`` passages, and the questions."""
    data = json.loads(path.read_text(encoding="utf-8"))
    singles: list[tuple[str, str]] = []
    pairs: list[tuple[str, str]] = []
    questions: list[str] = []
    for article in data["data"]:
        for p_i, para in enumerate(article["paragraphs"]):
            questions.extend(qa["question"] for qa in para["qas"])
            sentences = [s.strip() for s in re.split(r"(?<=。)", para["context"]) if len(s.strip()) >= 8]
            title = f"{article['title']} {p_i}"
            singles.extend((title, s) for s in sentences)
            pairs.extend((title, a + b) for a, b in zip(sentences, sentences[1:], strict=False))
    docs: list[ParsedDocument] = []
    for title, text in (singles + pairs)[:limit]:
        doc_id = f"jsq{len(docs):05d}"
        remark = Remark(id=f"{doc_id}#1", ordinal=1, text=text, start=0, end=len(text))
        meeting = Meeting(title=title)
        docs.append(
            ParsedDocument(
                document=doc_id, source=str(path), sha256=doc_id, meeting=meeting, topics=(), remarks=(remark,), text=text
            )
        )
    return docs, questions


def bench_jsquad(path: Path, root: Path, passages: int, n_queries: int, model: str) -> dict[str, Any]:
    docs, questions = jsquad_passages(path, passages)
    svc = RagService(Settings(index_dir=root / "jsquad", model=model, ingest_samples_on_start=False))
    _ = svc.embedder
    started = time.perf_counter()
    svc.ingest_parsed(docs, progress=True)
    seconds = time.perf_counter() - started
    out = {"passages": len(docs), "ingest_s": seconds, "passages_per_s": len(docs) / seconds}
    out.update(_search_figures(svc, questions, n_queries))
    svc.close()
    return out


def bench_faiss(n: int, dim: int, n_queries: int, noise: float = 0.2) -> dict[str, Any]:
    import faiss

    rng = np.random.default_rng(0)
    centres = rng.standard_normal((1000, dim)).astype(np.float32)
    data = np.empty((n, dim), dtype=np.float32)
    step = 100_000
    for s in range(0, n, step):  # clustered unit vectors, closer to real embeddings than uniform noise
        m = min(step, n - s)
        block = centres[rng.integers(0, 1000, m)] + noise * rng.standard_normal((m, dim)).astype(np.float32)
        data[s : s + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    queries = data[rng.integers(0, n, n_queries)] + 0.05 * rng.standard_normal((n_queries, dim)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    out: dict[str, Any] = {"n": n, "dim": dim, "noise": noise, "centres": 1000}
    flat = faiss.IndexFlatIP(dim)
    flat.add(data)
    exact = flat.search(queries, 10)[1]
    out["flat"] = _faiss_latency(flat, queries)
    started = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 64
    hnsw.add(data)
    build = time.perf_counter() - started
    hnsw.hnsw.efSearch = 256
    found = hnsw.search(queries, 10)[1]
    recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, exact, strict=True)]))
    top1 = float(np.mean(found[:, 0] == exact[:, 0]))
    out["hnsw"] = {**_faiss_latency(hnsw, queries), "build_s": build, "recall@10": recall, "top1_agreement": top1}
    out["hnsw"].update(M=32, efConstruction=64, efSearch=256)
    return out


def _faiss_latency(index: Any, queries: np.ndarray) -> dict[str, float]:
    times = []
    for q in queries:
        started = time.perf_counter()
        index.search(q[None, :], 10)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": _pct(times, 50), "p95_ms": _pct(times, 95)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=Path, help="the seed minutes file")
    parser.add_argument("--jsquad", type=Path, help="jsquad-valid-v1.1.json")
    parser.add_argument("--passages", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--faiss-n", type=int, default=0, help="synthetic vectors for the FAISS part (0: skip)")
    parser.add_argument("--faiss-noise", type=float, default=0.2, help="per-dimension noise around the centres")
    parser.add_argument("--model", default=Settings().model)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    import faiss
    import torch

    figures: dict[str, Any] = {
        "machine": f"{platform.machine()} · {os.cpu_count()} cores · torch threads {torch.get_num_threads()} · "
        f"faiss threads {faiss.omp_get_max_threads()} · {platform.python_version()}",
        "model": args.model,
    }
    with tempfile.TemporaryDirectory() as tmp:
        if args.seed:
            figures["seed"] = bench_seed(args.seed, Path(tmp), args.queries, args.model)
            print("seed:", json.dumps(figures["seed"], indent=1))
        if args.jsquad:
            figures["jsquad"] = bench_jsquad(args.jsquad, Path(tmp), args.passages, args.queries, args.model)
            print("jsquad:", json.dumps(figures["jsquad"], indent=1))
    if args.faiss_n:
        figures["faiss"] = bench_faiss(args.faiss_n, 384, args.queries, args.faiss_noise)
        print("faiss:", json.dumps(figures["faiss"], indent=1))
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
