"""One evaluation over both stores, in one run: the embedded index and Milvus, same data, same model.

    python -m eval.bench_milvus_parity                       # seed set, config default, a milvus-lite server of its own
    python -m eval.bench_milvus_parity --store milvus://host:19530 --dataset jsquad:../shared/datasets/jsquad-valid-v1.1.json --limit 300
    python -m eval.bench_milvus_parity --json docs/results/parity_milvus.json

Prints nDCG@10 (and MRR@10, recall@10) per store and the difference; exits 1 when |ΔnDCG@10| > --tolerance.
The Milvus run shares the embedded run's embedding cache (same index folder), so nothing is embedded twice.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
import uuid
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from eval.config import load_config
from eval.dataset import load_dataset
from eval.runner import run_eval
from rag.settings import get_settings

METRICS = ("ndcg@10", "mrr@10", "recall@10")


def _run(
    dataset: Any, config: str, store: str | None, root: Path, model: str | None
) -> tuple[dict[str, float], Any, float]:
    settings = get_settings().model_copy(update={"store": store, "ingest_samples_on_start": False})
    t0 = time.perf_counter()
    result = run_eval(
        dataset, [load_config(config)], model=model, settings=settings, index_root=root, baseline=False
    )
    metrics = result.report["configs"][config]["metrics"]
    return {m: float(metrics[m]) for m in METRICS}, result.runs[config], time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default=str(Path(__file__).parent / "datasets" / "seed"))
    parser.add_argument("--config", default="default")
    parser.add_argument(
        "--model", default=None, help="RAG_MODEL for both runs (default: the settings' model)"
    )
    parser.add_argument(
        "--store", default=None, help="a Milvus RAG_STORE; default: start a milvus-lite server"
    )
    parser.add_argument("--limit", type=int, default=None, help="first N questions (jsquad/ntrex)")
    parser.add_argument("--tolerance", type=float, default=0.005)
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    dataset = load_dataset(args.dataset)
    if args.limit:
        dataset = dataset.subset(limit=args.limit)  # the questions and their gold, as `rag eval --limit`
    from eval.milvus_lite import lite_server

    with (
        tempfile.TemporaryDirectory(prefix="parity-") as tmp,
        nullcontext(args.store) if args.store else lite_server(Path(tmp) / "milvus") as server,
    ):
        root = Path(tmp)
        spec = f"{server}{'&' if '?' in server else '?'}prefix=parity{uuid.uuid4().hex[:8]}"
        embedded, e_run, e_s = _run(dataset, args.config, None, root, args.model)
        milvus, m_run, m_s = _run(dataset, args.config, spec, root, args.model)
    top1 = sum(
        1
        for q in e_run
        if max(e_run[q], key=e_run[q].get, default=None)
        == max(m_run.get(q, {}), key=m_run.get(q, {}).get, default=None)
    )
    delta = milvus["ndcg@10"] - embedded["ndcg@10"]
    out = {
        "dataset": dataset.name,
        "config": args.config,
        "model": args.model or get_settings().model,
        "questions": len(e_run),
        "embedded": embedded,
        "milvus": milvus,
        "delta_ndcg@10": round(delta, 6),
        "same_top1": top1,
        "seconds": {"embedded": round(e_s, 1), "milvus": round(m_s, 1)},
        "milvus_server": "milvus-lite server" if not args.store else "given",
    }
    print(json.dumps(out, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0 if abs(delta) <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
