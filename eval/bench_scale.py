"""Scale benchmark through the public faces, side by side with the LangChain recipe, in one run.

    python -m eval.bench_scale --remarks 100000                  # hash embedder (the model out of the picture)
    python -m eval.bench_scale --remarks 1000000 --index hnsw    # index layer only (see below)
    python -m eval.bench_scale --real-model --files ../shared/seeds/000_1e1e3ba0d71176a4.txt rag/samples/*.txt

Builds synthetic 議事要旨 from real Japanese sentences (:mod:`eval.bench_corpus`), then measures
``rag ingest FOLDER`` (subprocess: remarks/s), ``rag serve`` on 127.0.0.1 (start → first /search answer),
HTTP /search p50/p99, the first search after POST /documents, the server's peak RSS (VmHWM), and the
LangChain recipe on the same files (RecursiveCharacterTextSplitter + the same model as a LangChain
``Embeddings`` + ``FAISS.from_texts``: ingest texts/s, search p50). ``--index-layer`` (the default at
≥ 500,000 remarks) skips the CLI and measures ``index.vectors.VectorIndex`` directly: search p99 without
the query embedding, recall@10 against exact search, and the RSS of a child process holding the index.
Prints the figures and writes ``docs/results/bench_scale.json``; ``python -m eval.readme_table
docs/results/bench_scale.json`` turns it into the README table. Servers are killed at exit.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench_corpus import Pool, build_corpus, draw_remarks, load_pool, render_minutes
from eval.milvus_lite import free_port

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "results" / "bench_scale.json"
API_KEY = "bench-scale-key"
_CHILDREN: list[subprocess.Popen[bytes]] = []


def _kill_children() -> None:
    for proc in _CHILDREN:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


atexit.register(_kill_children)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else float("nan")


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "load_avg_start": list(os.getloadavg())}


def bench_env(model: str, index_type: str) -> dict[str, str]:
    env = dict(os.environ, RAG_MODEL=model, RAG_INDEX_TYPE=index_type, RAG_API_KEY=API_KEY,
               RAG_INGEST_SAMPLES_ON_START="false", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def run_ingest(folder: Path, index: Path, env: dict[str, str], timeout: float) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rag.cli", "ingest", str(folder), "--index", str(index)],
                   env=env, check=True, timeout=timeout, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def vm_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class Server:
    """``rag serve`` on 127.0.0.1 and a free port; ``start`` returns seconds to the first /search answer."""

    def __init__(self, index: Path, env: dict[str, str]) -> None:
        import httpx

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.index, self.env = index, env
        self.client = httpx.Client(base_url=self.url, timeout=60.0)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, question: str, timeout: float) -> float:
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rag.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--index", str(self.index)], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _CHILDREN.append(self.proc)
        while time.perf_counter() - started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rag serve exited with {self.proc.returncode}")
            try:
                if self.client.post("/search", json={"question": question, "k": 5}).status_code == 200:
                    return time.perf_counter() - started
            except Exception:  # noqa: BLE001 - not listening yet
                pass
            time.sleep(0.05)
        raise TimeoutError(f"rag serve gave no /search answer within {timeout:.0f} s")

    def search_ms(self, question: str) -> float:
        started = time.perf_counter()
        resp = self.client.post("/search", json={"question": question, "k": 5})
        resp.raise_for_status()
        return (time.perf_counter() - started) * 1000.0

    def upload(self, name: str, text: str) -> float:
        started = time.perf_counter()
        resp = self.client.post("/documents", headers={"X-API-Key": API_KEY},
                                files=[("files", (name, text.encode("utf-8"), "text/plain"))], timeout=300.0)
        resp.raise_for_status()
        return (time.perf_counter() - started) * 1000.0

    def peak_rss_mb(self) -> dict[str, float | None]:
        pid = self.proc.pid if self.proc else -1
        hwm, rss = vm_kb(pid, "VmHWM"), vm_kb(pid, "VmRSS")
        return {"peak_rss_mb": hwm / 1024 if hwm else None, "rss_mb": rss / 1024 if rss else None}

    def stop(self) -> None:
        self.client.close()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def bench_ours(files_dir: Path, remarks: int, questions: list[str], pool: Pool, args: argparse.Namespace,
               work: Path) -> dict[str, Any]:
    env = bench_env(args.model, args.index)
    index = work / "index"
    ingest_s = run_ingest(files_dir, index, env, args.timeout)
    server = Server(index, env)
    try:
        first_s = server.start(questions[0], args.timeout)
        for q in questions[:3]:  # warm-up, not counted
            server.search_ms(q)
        lat = [server.search_ms(q) for q in questions]
        rng = np.random.default_rng(args.seed + 1)
        import random

        extra = render_minutes(10**6, draw_remarks(pool, args.per_file, random.Random(args.seed + 1)),
                               random.Random(args.seed + 2))
        upload_ms = server.upload("bench_upload.txt", extra)
        after_ms = server.search_ms(questions[int(rng.integers(len(questions)))])
        rss = server.peak_rss_mb()
    finally:
        server.stop()
    inproc = in_process_search(index, args.model, args.index, questions) if args.in_process else {}
    if args.in_process:
        inproc.update(in_process_ingest(files_dir, remarks, args.model, args.index, work / "index_in_process"))
    return {**inproc,
        "ingest_s": ingest_s, "ingest_remarks_per_s": remarks / ingest_s, "serve_to_first_answer_s": first_s,
        "search_p50_ms": percentile(lat, 50), "search_p99_ms": percentile(lat, 99), "searches": len(lat),
        "upload_ms": upload_ms, "first_search_after_upload_ms": after_ms, **rss,
    }


def in_process_search(index: Path, model: str, index_type: str, questions: list[str]) -> dict[str, Any]:
    """The same searches through ``RagService`` in this process (no HTTP), like the LangChain side."""
    from rag.service import RagService
    from rag.settings import Settings

    started = time.perf_counter()
    svc = RagService(Settings(index_dir=index, model=model, index_type=index_type))
    svc.search(questions[0])
    first_s = time.perf_counter() - started
    for q in questions[1:3]:
        svc.search(q)
    lat = []
    for q in questions:
        t = time.perf_counter()
        svc.search(q)
        lat.append((time.perf_counter() - t) * 1000.0)
    svc.close()
    return {"in_process_open_to_first_answer_s": first_s, "in_process_search_p50_ms": percentile(lat, 50),
            "in_process_search_p99_ms": percentile(lat, 99)}


def in_process_ingest(folder: Path, remarks: int, model: str, index_type: str, index: Path) -> dict[str, Any]:
    """``RagService.ingest`` of the same folder into a new index, the model loaded before the clock starts
    (as on the LangChain side): the ingest work itself, without the CLI's start-up."""
    from rag.service import RagService
    from rag.settings import Settings

    svc = RagService(Settings(index_dir=index, model=model, index_type=index_type))
    svc.embedder.embed_passages(["warm-up"])
    svc.tokenizer.tokenize_corpus(["準備"])
    started = time.perf_counter()
    svc.ingest([folder])
    seconds = time.perf_counter() - started
    svc.close()
    return {"in_process_ingest_s": seconds, "in_process_ingest_remarks_per_s": remarks / seconds}


def langchain_embeddings(model: str, kind: str) -> tuple[Any, str]:
    """LangChain's ``HuggingFaceEmbeddings`` (sentence-transformers, torch) on the bundled model's directory
    (``kind`` "hf": the recipe as a user would write it), or our own encoder behind LangChain's interface."""
    from rag.embed import load_embedder
    from rag.settings import Settings

    if kind == "hf" and model.startswith("bundled:"):
        from langchain_community.embeddings import HuggingFaceEmbeddings

        from rag.embed.bundled import ensure_materialized

        path, _ = ensure_materialized(Settings().model_cache)
        emb = HuggingFaceEmbeddings(model_name=str(path), encode_kwargs={"normalize_embeddings": True})
        emb.embed_documents(["warm-up"])
        return emb, "HuggingFaceEmbeddings (sentence-transformers) on the bundled model's directory"
    from eval.baseline import EmbedderEmbeddings

    return EmbedderEmbeddings(load_embedder(Settings(model=model))), f"our {model} encoder as LangChain Embeddings"


def bench_langchain(files: list[Path], remarks: int, questions: list[str], model: str,
                    kind: str = "hf") -> dict[str, Any]:
    """The recipe a user would otherwise pick, in process, on the same files and the same model."""
    from langchain_community.vectorstores import FAISS
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    embeddings, described = langchain_embeddings(model, kind)
    started = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=400, chunk_overlap=60)
    texts = [c for f in files for c in splitter.split_text(f.read_text(encoding="utf-8"))]
    store = FAISS.from_texts(texts, embeddings)
    ingest_s = time.perf_counter() - started
    for q in questions[:3]:
        store.similarity_search(q, k=5)
    lat = []
    for q in questions:
        t = time.perf_counter()
        store.similarity_search(q, k=5)
        lat.append((time.perf_counter() - t) * 1000.0)
    return {"embeddings": described, "ingest_s": ingest_s, "texts": len(texts),
            "ingest_texts_per_s": len(texts) / ingest_s,
            "ingest_remarks_per_s": remarks / ingest_s, "search_p50_ms": percentile(lat, 50),
            "search_p99_ms": percentile(lat, 99)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--remarks", type=int, default=100_000)
    parser.add_argument("--per-file", type=int, default=50)
    parser.add_argument("--index", default="flat", help="flat | hnsw | ivf (RAG_INDEX_TYPE of the new index)")
    parser.add_argument("--model", default="hash:384", help="hash:<dim> (default) or the embedding model")
    parser.add_argument("--real-model", action="store_true", help="use bundled:multilingual-e5-small")
    parser.add_argument("--files", nargs="+", type=Path, help="real minutes files instead of a synthetic corpus")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--index-layer", action=argparse.BooleanOptionalAction, default=None,
                        help="measure the index layer only (default: on from 500,000 remarks)")
    parser.add_argument("--ef-search", type=int, default=None,
                        help="HNSW efSearch for the index-layer mode (default index.vectors.HNSW_EF_SEARCH)")
    parser.add_argument("--no-langchain", action="store_true")
    parser.add_argument("--langchain-embeddings", choices=("hf", "ours"), default="hf",
                        help="the recipe's embeddings with the bundled model: HuggingFaceEmbeddings (hf) or our "
                             "encoder behind LangChain's interface (ours); the hash embedder is always ours")
    parser.add_argument("--in-process", action=argparse.BooleanOptionalAction, default=True,
                        help="also time RagService.search in this process (the LangChain side runs in process)")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per step")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one, removed)")
    args = parser.parse_args(argv)
    if args.real_model:
        args.model = "bundled:multilingual-e5-small"
    pool = load_pool(args.shared)
    questions = pool.questions[: args.questions]
    work = Path(args.work or tempfile.mkdtemp(prefix="bench_scale-"))
    work.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"command": " ".join(["python -m eval.bench_scale", *(argv or sys.argv[1:])]),
                              "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(),
                              "model": args.model, "index_type": args.index, "questions": len(questions)}
    try:
        layer = args.index_layer if args.index_layer is not None else args.remarks >= 500_000
        if layer and not args.files:
            result["remarks"] = args.remarks
            from eval.bench_index_layer import bench_index_layer

            result["index_layer"] = bench_index_layer(pool, args, work)
        else:
            if args.files:
                files_dir = work / "files"
                files_dir.mkdir(exist_ok=True)
                for f in args.files:
                    shutil.copy(f, files_dir / f.name)
                from rag.parse import parse_file

                files = sorted(files_dir.iterdir())
                remarks = sum(len(parse_file(f).remarks) for f in files)
                result["corpus"] = {"kind": "real minutes", "files": [f.name for f in args.files]}
            else:
                corpus = build_corpus(work / "files", pool, args.remarks, per_file=args.per_file,
                                      seed=args.seed, keep_texts=False)
                files, remarks = corpus.files, corpus.remarks
                result["corpus"] = {"kind": "synthetic 議事要旨 from JSQuAD + NTREX ja sentences",
                                    "per_file": args.per_file}
            result["remarks"], result["corpus"]["n_files"] = remarks, len(files)
            result["ours"] = bench_ours(work / "files", remarks, questions, pool, args, work)
            if not args.no_langchain:
                lc = bench_langchain(files, remarks, questions, args.model, args.langchain_embeddings)
                result["langchain"] = lc
                result["ratios"] = {
                    "ingest_throughput_ours_over_langchain": result["ours"]["ingest_remarks_per_s"]
                    / lc["ingest_remarks_per_s"],
                    "search_p50_ours_http_over_langchain_in_process": result["ours"]["search_p50_ms"]
                    / lc["search_p50_ms"],
                }
                if "in_process_ingest_remarks_per_s" in result["ours"]:
                    result["ratios"]["ingest_throughput_ours_in_process_over_langchain"] = (
                        result["ours"]["in_process_ingest_remarks_per_s"] / lc["ingest_remarks_per_s"]
                    )
                if "in_process_search_p50_ms" in result["ours"]:
                    result["ratios"]["search_p50_ours_in_process_over_langchain"] = (
                        result["ours"]["in_process_search_p50_ms"] / lc["search_p50_ms"]
                    )
    finally:
        _kill_children()
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    result["machine"]["load_avg_end"] = list(os.getloadavg())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return result


if __name__ == "__main__":
    main()
