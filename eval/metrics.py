"""Ranking metrics (ranx), bootstrap confidence intervals, paired tests, abstention and latency.

Conventions:
* A ranked list is turned into ranx scores by *rank*, never by the raw score: hits are ordered by
  (score descending, doc id ascending) and the i-th of n gets the ranx score n - i. Ties are thus
  broken deterministically by doc id, whatever ranx does internally with equal scores.
* A query whose system returned nothing gets one sentinel doc (``EMPTY_DOC``) so that ranx accepts
  it; the sentinel is never relevant, so every metric is 0 for that query.
* Queries without relevant documents are not ranked (their ranking metrics are undefined); they are
  handled by the abstention metrics instead.
* Relevance grades: any grade > 0 is relevant for MRR, hit@1 and recall; nDCG uses the grade as gain
  (ranx "ndcg", the Järvelin–Kekäläinen formulation, log2 discount).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

logger = logging.getLogger(__name__)

# our metric name → ranx metric name
METRICS: dict[str, str] = {
    "ndcg@10": "ndcg@10",
    "mrr@10": "mrr@10",
    "hit@1": "hit_rate@1",
    "recall@1": "recall@1",
    "recall@5": "recall@5",
    "recall@10": "recall@10",
    "recall@100": "recall@100",
}
HEADLINE = ("ndcg@10", "mrr@10", "hit@1", "recall@5")
EMPTY_DOC = "\x00no-result"

Qrels = dict[str, dict[str, int]]
Run = dict[str, dict[str, float]]


def rank_order(scores: Mapping[str, float]) -> list[str]:
    """Doc ids best first: score descending, ties by doc id ascending."""
    return sorted(scores, key=lambda d: (-float(scores[d]), d))


def _ranx_run(run: Run, qids: Iterable[str]) -> Run:
    out: Run = {}
    for qid in qids:
        order = rank_order(run.get(qid, {}))
        n = len(order)
        out[qid] = {doc: float(n - i) for i, doc in enumerate(order)} if order else {EMPTY_DOC: 0.0}
    return out


def per_query_scores(
    qrels: Mapping[str, Mapping[str, int]], run: Run, metrics: Sequence[str] = tuple(METRICS)
) -> dict[str, dict[str, float]]:
    """``{metric: {qid: value}}`` for every query in ``qrels`` that has at least one relevant doc."""
    from ranx import evaluate  # imported lazily: numba start-up is slow

    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; choose from {sorted(METRICS)}")
    # ranx pairs qrels and run by position, so both dicts must iterate in the same (sorted) order
    qids = sorted(q for q, rels in qrels.items() if any(g > 0 for g in rels.values()))
    judged = {q: {d: int(g) for d, g in qrels[q].items() if g > 0} for q in qids}
    if not qids:
        return {m: {} for m in metrics}
    ranx_metrics = [METRICS[m] for m in metrics]
    raw = evaluate(judged, _ranx_run(run, qids), ranx_metrics, return_mean=False, save_results_in_run=False)
    if len(ranx_metrics) == 1:
        raw = {ranx_metrics[0]: raw}
    return {m: {q: float(v) for q, v in zip(qids, raw[METRICS[m]], strict=True)} for m in metrics}


def mean(values: Iterable[float]) -> float | None:
    vals = list(values)
    return float(np.mean(vals)) if vals else None


def bootstrap_ci(
    values: Sequence[float], *, n_resamples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float] | None:
    """Percentile bootstrap CI of the mean, resampling queries with replacement (seeded)."""
    if not values:
        return None
    arr = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(arr), size=(n_resamples, len(arr)))
    means = arr[idx].mean(axis=1)
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(means, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def paired_test(a: Mapping[str, float], b: Mapping[str, float]) -> dict[str, float | int | None]:
    """Two-sided paired Student t-test over the queries both have (ranx's "student" test).

    Returns ``{"n", "mean_a", "mean_b", "delta", "p_value"}``; p is 1.0 when every difference is 0 and
    None with fewer than two common queries.
    """
    from scipy.stats import ttest_rel

    common = sorted(set(a) & set(b))
    xa = np.asarray([a[q] for q in common], dtype=np.float64)
    xb = np.asarray([b[q] for q in common], dtype=np.float64)
    out: dict[str, float | int | None] = {
        "n": len(common),
        "mean_a": float(xa.mean()) if common else None,
        "mean_b": float(xb.mean()) if common else None,
        "delta": float((xb - xa).mean()) if common else None,
        "p_value": None,
    }
    if len(common) < 2:
        return out
    if np.allclose(xa, xb):
        out["p_value"] = 1.0
        return out
    p = float(ttest_rel(xb, xa).pvalue)
    out["p_value"] = 1.0 if math.isnan(p) else p
    return out


def abstention(
    abstained: Mapping[str, bool], unanswerable: set[str], answerable: set[str]
) -> dict[str, float | int | None]:
    """Precision/recall of abstaining (``SearchResult.answerable`` False) over unanswerable questions.

    ``answerable`` are the questions with gold remarks; questions in neither set are ignored.
    """
    considered = [q for q in abstained if q in unanswerable or q in answerable]
    said_no = {q for q in considered if abstained[q]}
    tp = len(said_no & unanswerable)
    precision = tp / len(said_no) if said_no else None
    n_unans = len(unanswerable & set(considered))
    recall = tp / n_unans if n_unans else None
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision is not None and recall is not None and precision + recall > 0
        else None
    )
    n_ans = len(answerable & set(considered))
    false_abstain = len(said_no & answerable) / n_ans if n_ans else None
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "false_abstention_rate": false_abstain,
        "n_unanswerable": n_unans,
        "n_answerable": n_ans,
        "n_abstained": len(said_no),
    }


def latency_summary(timings: Sequence[Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Per-stage p50/p95/mean (ms) over queries; a stage absent for a query is skipped for it."""
    stages = sorted({s for t in timings for s in t})
    out: dict[str, dict[str, float]] = {}
    for stage in stages:
        vals = np.asarray([t[stage] for t in timings if stage in t], dtype=np.float64)
        out[stage] = {
            "p50": float(np.percentile(vals, 50)),
            "p95": float(np.percentile(vals, 95)),
            "mean": float(vals.mean()),
            "n": int(len(vals)),
        }
    return out
