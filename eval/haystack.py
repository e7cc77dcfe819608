"""Pooled check: every collection's held-out questions against one index that holds all of them.

Each collection is tuned and reported alone (23 to 1,145 remarks). A user's index holds many meetings, so here
the minutes of every collection, all 1,145 JSQuAD paragraphs and the 1,997 Japanese NTREX-128 sentences (news, as
distractors) go into one index, and each collection's test questions (and all of seed-holdout, which nothing was
tuned on) are ranked against all of it. ``--synthetic N`` adds N remarks of synthetic 議事要旨 (`eval.bench_corpus`:
meetings on policy bodies whose remarks are JSQuAD and NTREX sentences), which brings the index to the size of a
year of an assembly's plenary minutes; JSQuAD's questions are then not scored, since their answers' sentences
sit in the synthetic remarks too. Compared: dense-only, the default, and the naive dense baseline (LangChain
FAISS, one vector per remark, the same model). The pooled corpus changes what is answerable (a JSQuAD paragraph
may answer a samples off-topic question), so only questions with gold are scored, on ranking alone.

    python -m eval.haystack --out docs/results/haystack.json                         # 3,384 remarks, ~4 min here
    python -m eval.haystack --synthetic 10000 --out docs/results/haystack_13k.json   # 13,384 remarks, ~12 min
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from eval.baseline import LangchainFaissBaseline
from eval.config import BUILTIN, EvalConfig
from eval.dataset import EvalDataset
from eval.metrics import bootstrap_ci, paired_test, per_query_scores
from eval.pool import load_pool, pooled_service
from eval.runner import result_to_scores
from eval.tune_data import ROOT

logger = logging.getLogger(__name__)

SYSTEMS = ("dense", "default", "naive")
METRICS = ("mrr@10", "hit@1", "ndcg@10")


def score(sets: Mapping[str, EvalDataset], runs: Mapping[str, Mapping[str, dict[str, float]]]) -> dict[str, Any]:
    """Per collection and language and overall: each system's means, default vs dense and vs naive (paired).

    ``runs`` is ``{system: {"set:qid": {remark id: score}}}`` for "default" and any of "dense" and "naive"."""
    groups: dict[str, list[tuple[str, dict[str, int]]]] = {}
    for name, ds in sets.items():
        for q in ds.queries:
            if any(g > 0 for g in ds.qrels.get(q.id, {}).values()):
                for key in (f"{name}/{q.lang}", f"all/{q.lang}", "all"):
                    groups.setdefault(key, []).append((f"{name}:{q.id}", ds.qrels[q.id]))
    out: dict[str, Any] = {}
    for key, rows in sorted(groups.items()):
        qrels = dict(rows)
        per = {s: per_query_scores(qrels, {q: runs[s][q] for q in qrels}, METRICS) for s in runs}
        row: dict[str, Any] = {"n": len(qrels)}
        for s in runs:
            row[s] = {m: round(sum(per[s][m].values()) / len(qrels), 4) for m in METRICS}
        for other in [s for s in ("dense", "naive") if s in runs]:
            a, b = per[other]["mrr@10"], per["default"]["mrr@10"]
            t = paired_test(a, b)
            ci = bootstrap_ci([b[q] - a[q] for q in sorted(a)])
            row[f"default_vs_{other}"] = {
                "delta": round(float(t["delta"] or 0.0), 4),
                "p_value": None if t["p_value"] is None else round(float(t["p_value"]), 4),
                "ci95": None if ci is None else [round(ci[0], 4), round(ci[1], 4)],
            }
        naive = row["naive"]["mrr@10"] if "naive" in runs else None
        row["default_over_naive"] = round(row["default"]["mrr@10"] / naive, 3) if naive else None
        out[key] = row
    return out


def run_systems(service: Any, sets: Mapping[str, EvalDataset], systems: Sequence[str], *, k: int = 100,
                ) -> dict[str, dict[str, dict[str, float]]]:
    """``{system: {"set:qid": {remark id: score}}}`` for every question of ``sets`` (systems from SYSTEMS)."""

    def ours(cfg: EvalConfig) -> Any:
        def search(text: str) -> dict[str, float]:  # keyed by remark id, as the gold is
            res = service.search(text, k=k, mode=cfg.mode, rerank=cfg.rerank, highlights=False)
            return result_to_scores(res, "minutes")
        return search

    searches = {"dense": ours(BUILTIN["dense"]), "default": ours(BUILTIN["default"])}
    if "naive" in systems:
        pairs = [(r.remark_id, r.text) for r in service.store().all_remarks()]
        naive = LangchainFaissBaseline(service.embedder, pairs)
        searches["naive"] = lambda text: naive.search(text, k)[0]
    queries = [(name, q) for name, ds in sets.items() for q in ds.queries]
    runs: dict[str, dict[str, dict[str, float]]] = {s: {} for s in systems}
    for s in systems:
        for name, q in tqdm(queries, desc=s, unit="q", leave=False):
            runs[s][f"{name}:{q.id}"] = searches[s](q.text)
    return runs


def markdown(report: Mapping[str, Any]) -> str:
    lines = [
        f"# Pooled check ({report['corpus']['remarks']:,} remarks in one index)", "",
        f"`{report['command']}`", "",
        f"MRR@10 of each collection's {report.get('split', 'test')} questions ranked against the whole pooled index; "
        "Δ = default − "
        "dense-only, paired t-test, 95 % bootstrap CI.", "",
        "| questions | n | naive | dense | default | Δ vs dense [95% CI] | p | default / naive | hit@1 dense → default |",
        "|---|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for key, r in report["groups"].items():
        d = r["default_vs_dense"]
        ci = f"[{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}]" if d["ci95"] else ""
        p = "–" if d["p_value"] is None else ("< 0.001" if d["p_value"] < 0.001 else f"{d['p_value']:.3f}")
        lines.append(
            f"| {key} | {r['n']} | {r['naive']['mrr@10']:.3f} | {r['dense']['mrr@10']:.3f} | "
            f"{r['default']['mrr@10']:.3f} | {d['delta']:+.3f} {ci} | {p} | {r['default_over_naive']} | "
            f"{r['dense']['hit@1']:.3f} → {r['default']['hit@1']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.haystack", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="report JSON (the Markdown goes beside it)")
    ap.add_argument("--work", type=Path, help="index folder, reused by a rerun (default: <tmp>/minutes-rag-haystack-N)")
    ap.add_argument("--model", default="bundled:multilingual-e5-small")
    ap.add_argument("--jsquad-limit", type=int, default=600, help="JSQuAD questions drawn, as eval.tune does")
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--split", choices=("dev", "test"), default="test",
                    help="test (held out; the report) or dev (to study a change before it meets test)")
    ap.add_argument("--runs", type=Path, help="also write every system's ranked lists here (JSON)")
    ap.add_argument("--synthetic", type=int, default=0, metavar="N",
                    help="add N synthetic remarks (eval.bench_corpus, seed 0); JSQuAD is then not scored")
    args = ap.parse_args(argv)
    args.work = args.work or Path(tempfile.gettempdir()) / f"minutes-rag-haystack-{args.synthetic}"
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    sets, minutes, docs = load_pool(args.jsquad_limit, args.split, jsquad_scored=not args.synthetic)
    if args.synthetic:
        from eval import bench_corpus

        pool = bench_corpus.load_pool(ROOT.parent / "shared")
        minutes += bench_corpus.build_corpus(args.work.with_name(args.work.name + "-synthetic"), pool,
                                             args.synthetic, keep_texts=False).files
    service = pooled_service(args.work, args.model, minutes, docs)
    runs = run_systems(service, sets, SYSTEMS, k=args.k)
    remarks = len(service.store().all_remarks())
    report = {
        "command": "python -m eval.haystack " + " ".join(argv if argv is not None else sys.argv[1:]),
        "model": args.model,
        "corpus": {"remarks": remarks, "minutes_files": [p.name for p in minutes], "beir_documents": len(docs)},
        "split": args.split,
        "questions": {name: len(ds.queries) for name, ds in sets.items()},
        "groups": score(sets, runs),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.runs:
        args.runs.write_text(json.dumps(runs, ensure_ascii=False) + "\n", encoding="utf-8")
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    args.out.with_suffix(".md").write_text(markdown(report), encoding="utf-8")
    logger.info("wrote %s and %s", args.out, args.out.with_suffix(".md"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
