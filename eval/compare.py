"""Compare two evaluation reports: metric deltas (B − A) per configuration and language, with paired
t-tests over the per-query scores stored in the reports when both were made on the same dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eval.metrics import HEADLINE, paired_test
from eval.report import load_json
from eval.summary import ALPHA


def compare(a_json: Path | dict[str, Any], b_json: Path | dict[str, Any], *, alpha: float = ALPHA
            ) -> list[dict[str, Any]]:
    """Rows ``{config, scope, metric, a, b, delta, p_value, significant}`` for configurations in both.

    ``p_value`` is None when the datasets differ (hash) or per-query scores are missing.
    """
    a = a_json if isinstance(a_json, dict) else load_json(a_json)
    b = b_json if isinstance(b_json, dict) else load_json(b_json)
    same_data = a["dataset"].get("hash") == b["dataset"].get("hash")
    queries: dict[str, Any] = b.get("queries") or a.get("queries") or {}
    rows = []
    for name in [n for n in a["configs"] if n in b["configs"]]:
        ca, cb = a["configs"][name], b["configs"][name]
        scopes: list[tuple[str, dict[str, Any], dict[str, Any], str | None]] = [("all", ca, cb, None)]
        for lang in ca.get("by_lang", {}):
            if lang in cb.get("by_lang", {}):
                scopes.append((f"lang:{lang}", ca["by_lang"][lang], cb["by_lang"][lang], lang))
        for scope, ba, bb, lang in scopes:
            for m in HEADLINE:
                va, vb = ba["metrics"].get(m), bb["metrics"].get(m)
                p = None
                pqa, pqb = ca.get("per_query", {}).get(m), cb.get("per_query", {}).get(m)
                if same_data and pqa is not None and pqb is not None:
                    keep = (set(pqa) | set(pqb)) if lang is None else {
                        q for q, meta in queries.items() if meta.get("lang") == lang}
                    p = paired_test({q: v for q, v in pqa.items() if q in keep},
                                    {q: v for q, v in pqb.items() if q in keep})["p_value"]
                delta = None if va is None or vb is None else vb - va
                rows.append({"config": name, "scope": scope, "metric": m, "a": va, "b": vb, "delta": delta,
                             "p_value": p, "significant": p is not None and float(p) < alpha})
    return rows


def format_comparison(rows: list[dict[str, Any]]) -> str:
    def f(v: Any, spec: str = ".3f") -> str:
        return "–" if v is None else format(v, spec)

    lines = [f"{'config':<18} {'scope':<9} {'metric':<10} {'A':>7} {'B':>7} {'delta':>8} {'p':>7}"]
    for r in rows:
        mark = " *" if r["significant"] else ""
        lines.append(f"{r['config']:<18} {r['scope']:<9} {r['metric']:<10} {f(r['a']):>7} {f(r['b']):>7} "
                     f"{f(r['delta'], '+.3f'):>8} {f(r['p_value'], '.4f'):>7}{mark}")
    lines.append("* significant (paired t-test over the same questions, p < 0.05)")
    return "\n".join(lines)
