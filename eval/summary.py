"""Turn raw runs into the report dictionary (structure documented in eval/README.md)."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.dataset import EvalDataset
from eval.metrics import (
    HEADLINE,
    METRICS,
    abstention,
    bootstrap_ci,
    latency_summary,
    mean,
    paired_test,
    per_query_scores,
)

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
ALPHA = 0.05


@dataclass
class ConfigRun:
    run: dict[str, dict[str, float]]
    timings: list[dict[str, float]] = field(default_factory=list)
    abstained: dict[str, bool] | None = None  # None: the system has no notion of abstaining
    top_confidence: dict[str, float] | None = None  # qid → the top hit's confidence (None: no confidence)
    config: dict[str, Any] = field(default_factory=dict)


def git_commit(cwd: Path | None = None) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607 - git from PATH is intended
            cwd=cwd or Path(__file__).resolve().parent, capture_output=True, text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def aggregate(per_query: Mapping[str, Mapping[str, float]], qids: set[str] | None, *, seed: int, n_resamples: int
              ) -> dict[str, Any]:
    """``{"n_ranked", "metrics": {m: mean}, "ci": {m: [lo, hi]}}`` over ``qids`` (all when None)."""
    metrics: dict[str, float | None] = {}
    cis: dict[str, list[float] | None] = {}
    n = 0
    for m, scores in per_query.items():
        vals = [v for q, v in sorted(scores.items()) if qids is None or q in qids]
        n = len(vals)
        metrics[m] = mean(vals)
        ci = bootstrap_ci(vals, n_resamples=n_resamples, seed=seed)
        cis[m] = list(ci) if ci else None
    return {"n_ranked": n, "metrics": metrics, "ci": cis}


def _groups(ds: EvalDataset, attr: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for q in ds.queries:
        out.setdefault(getattr(q, attr), set()).add(q.id)
    return dict(sorted(out.items()))


def significance(
    per_query: Mapping[str, Mapping[str, Mapping[str, float]]], scopes: Mapping[str, set[str] | None],
    metrics: Sequence[str] = HEADLINE, alpha: float = ALPHA,
) -> list[dict[str, Any]]:
    """Paired t-tests for every pair of configurations, metric and scope ("all", "lang:ja", …)."""
    rows = []
    for a, b in itertools.combinations(list(per_query), 2):
        for scope, qids in scopes.items():
            for m in metrics:
                sa = {q: v for q, v in per_query[a][m].items() if qids is None or q in qids}
                sb = {q: v for q, v in per_query[b][m].items() if qids is None or q in qids}
                t = paired_test(sa, sb)
                p = t["p_value"]
                rows.append({"a": a, "b": b, "scope": scope, "metric": m, **t,
                             "significant": p is not None and float(p) < alpha})
    return rows


def _reliability(res: ConfigRun, ds: EvalDataset, qids: set[str]) -> dict[str, Any]:
    """ECE and reliability bins of the top hit's confidence: it is right when its doc is relevant (an
    unanswerable question's top hit never is)."""
    from eval.calibrate import reliability
    from eval.metrics import rank_order

    conf = res.top_confidence or {}
    probs, correct = [], []
    for q in sorted(qids):
        if q not in conf:
            continue
        order = rank_order(res.run.get(q, {}))
        probs.append(conf[q])
        correct.append(bool(order) and ds.qrels.get(q, {}).get(order[0], 0) > 0)
    return reliability(probs, correct)


def summarize(
    ds: EvalDataset,
    results: Mapping[str, ConfigRun],
    *,
    models: Mapping[str, Mapping[str, Any]] | None = None,
    seed: int = 0,
    n_resamples: int = 1000,
    k: int = 100,
) -> dict[str, Any]:
    langs, types = _groups(ds, "lang"), _groups(ds, "type")
    unanswerable, answerable = ds.unanswerable(), ds.answerable()
    per_query_all: dict[str, dict[str, dict[str, float]]] = {}
    configs: dict[str, Any] = {}
    for name, res in results.items():
        pq = per_query_scores(ds.qrels, res.run, tuple(METRICS))
        per_query_all[name] = pq
        overall = aggregate(pq, None, seed=seed, n_resamples=n_resamples)
        entry: dict[str, Any] = {
            "config": res.config,
            "model": dict((models or {}).get(name, {})),
            "n_queries": len(ds.queries),
            **overall,
            "by_lang": {lg: {"n_queries": len(qs), **aggregate(pq, qs, seed=seed, n_resamples=n_resamples)}
                        for lg, qs in langs.items()},
            "by_type": {tp: {"n_queries": len(qs), **aggregate(pq, qs, seed=seed, n_resamples=n_resamples)}
                        for tp, qs in types.items()},
            "abstention": None,
            "latency_ms": latency_summary(res.timings),
            "per_query": pq,
            "abstained": res.abstained,
        }
        if res.abstained is not None:
            entry["abstention"] = abstention(res.abstained, unanswerable, answerable)
            entry["abstention_by_lang"] = {
                lg: abstention({q: v for q, v in res.abstained.items() if q in qs}, unanswerable, answerable)
                for lg, qs in langs.items()
            }
        if res.top_confidence is not None:
            entry["confidence"] = _reliability(res, ds, unanswerable | answerable)
            entry["confidence_by_lang"] = {lg: _reliability(res, ds, (unanswerable | answerable) & qs)
                                           for lg, qs in langs.items()}
        configs[name] = entry
    scopes: dict[str, set[str] | None] = {"all": None, **{f"lang:{lg}": qs for lg, qs in langs.items()}}
    first_model = next(iter((models or {}).values()), {})
    return {
        "schema_version": SCHEMA_VERSION,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "dataset": {
            "name": ds.name,
            "source": ds.source,
            "kind": ds.kind,
            "hash": ds.fingerprint(),
            "n_queries": len(ds.queries),
            "n_ranked": len(answerable),
            "n_unanswerable": len(unanswerable),
            "corpus_size": len(ds.corpus) if ds.corpus else None,
            "minutes": [p.name for p in ds.minutes],
            "languages": {lg: len(qs) for lg, qs in langs.items()},
            "types": {tp: len(qs) for tp, qs in types.items()},
        },
        "model": {"id": first_model.get("id"), "fingerprint": first_model.get("fingerprint")},
        "protocol": {
            "k": k,
            "metrics": list(METRICS),
            "headline": list(HEADLINE),
            "bootstrap": {"n_resamples": n_resamples, "confidence": 0.95, "seed": seed, "method": "percentile"},
            "test": "paired two-sided Student t-test over queries",
            "alpha": ALPHA,
            "ties": "score descending, then doc id ascending",
        },
        "queries": {q.id: {"lang": q.lang, "type": q.type, "split": q.split} for q in ds.queries},
        "configs": configs,
        "significance": significance(per_query_all, scopes),
    }
