"""Scale benchmark of the Milvus store beside the embedded index, in one run, on the same synthetic minutes.

    python -m eval.bench_milvus --remarks 100000                     # a milvus-lite server of its own
    python -m eval.bench_milvus --remarks 100000 --store milvus://127.0.0.1:19530 --out docs/results/bench_milvus.json

The same corpus as ``eval.bench_scale`` (:mod:`eval.bench_corpus`), the hashing embedder by default (the model
out of the picture). For each store: ``rag ingest FOLDER`` in a subprocess (remarks/s), then in this process
the first search (the BM25 corpus loaded from the store; on Milvus the first one also writes the corpus
snapshot), the first search of a second service opened on it (a replica starting from that snapshot), and the
search p50/p99 of ``RagService.search``
(hybrid, default settings), unfiltered and filtered to one meeting body. Prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench_corpus import build_corpus, load_pool

ROOT = Path(__file__).resolve().parents[1]


def _env(model: str, store: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        RAG_MODEL=model, RAG_INGEST_SAMPLES_ON_START="false", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1"
    )
    if store:
        env["RAG_STORE"] = store
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values), q)), 2) if values else float("nan")


def bench(
    folder: Path,
    index: Path,
    remarks: int,
    questions: list[str],
    model: str,
    store: str | None,
    timeout: float,
) -> dict[str, Any]:
    from rag.service import RagService
    from rag.settings import Settings
    from rag.types import Filters

    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "rag.cli", "ingest", str(folder), "--index", str(index)],
        env=_env(model, store),
        check=True,
        timeout=timeout,
        stdout=subprocess.DEVNULL,
    )
    ingest_s = time.perf_counter() - t0
    svc = RagService(Settings(index_dir=index, model=model, store=store, ingest_samples_on_start=False))
    t0 = time.perf_counter()
    svc.search(questions[0])
    first_s = time.perf_counter() - t0
    body = svc.documents()[0]["body"]
    # a second replica (or a restart): on Milvus it starts from the corpus snapshot the first one wrote
    again = RagService(Settings(index_dir=index, model=model, store=store, ingest_samples_on_start=False))
    t0 = time.perf_counter()
    again.search(questions[0])
    reopen_s = time.perf_counter() - t0
    again.close()
    out: dict[str, Any] = {
        "ingest_s": round(ingest_s, 1),
        "ingest_remarks_per_s": round(remarks / ingest_s, 1),
        "open_to_first_answer_s": round(first_s, 2),
        "reopen_to_first_answer_s": round(reopen_s, 2),
    }
    for name, filters in (("search", None), ("filtered_search", Filters(meeting=body))):
        for q in questions[:3]:
            svc.search(q, filters=filters)
        lat = []
        for q in questions:
            t = time.perf_counter()
            svc.search(q, filters=filters)
            lat.append((time.perf_counter() - t) * 1000.0)
        out[f"{name}_p50_ms"], out[f"{name}_p99_ms"] = _pct(lat, 50), _pct(lat, 99)
    out["documents"] = len(svc.documents())
    svc.close()
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--remarks", type=int, default=10_000)
    parser.add_argument("--per-file", type=int, default=50)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--model", default="hash:384")
    parser.add_argument(
        "--store", default=None, help="a Milvus RAG_STORE; default: start a milvus-lite server"
    )
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    from eval.milvus_lite import lite_server

    pool = load_pool(args.shared)
    questions = pool.questions[: args.questions]
    with (
        tempfile.TemporaryDirectory(prefix="bench-milvus-") as tmp,
        nullcontext(args.store) if args.store else lite_server(Path(tmp) / "milvus") as server,
    ):
        work = Path(tmp)
        corpus = build_corpus(
            work / "minutes", pool, args.remarks, per_file=args.per_file, seed=args.seed, keep_texts=False
        )
        store = f"{server}{'&' if '?' in server else '?'}prefix=bench{uuid.uuid4().hex[:8]}"
        result: dict[str, Any] = {
            "command": "python -m eval.bench_milvus " + " ".join(argv if argv is not None else sys.argv[1:]),
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": {
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "load_avg_start": list(os.getloadavg()),
            },
            "model": args.model,
            "remarks": corpus.remarks,
            "files": len(corpus.files),
            "questions": len(questions),
            "milvus_server": "milvus-lite server (this machine)" if not args.store else "given",
        }
        result["embedded"] = bench(
            work / "minutes",
            work / "index-embedded",
            corpus.remarks,
            questions,
            args.model,
            None,
            args.timeout,
        )
        result["milvus"] = bench(
            work / "minutes",
            work / "index-milvus",
            corpus.remarks,
            questions,
            args.model,
            store,
            args.timeout,
        )
        result["machine"]["load_avg_end"] = list(os.getloadavg())
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
