"""Print the README's evaluation table from report JSONs written by `rag eval`.

    python -m eval.readme_table docs/results/seed.json docs/results/jsquad.json docs/results/ntrex.json
    python -m eval.readme_table docs/results/bench_scale.json     # the scale benchmark (eval.bench_scale)

One row per configuration (the LangChain baseline included); for the seed set one column group per language,
for the other sets the headline metric. Each cell is the value with its bootstrap 95% CI.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

COLUMNS = {  # dataset name in the report → (metrics shown, split by language?)
    "seed": (["hit@1", "mrr@10", "recall@5", "ndcg@10"], True),
    "jsquad": (["ndcg@10", "hit@1", "recall@10"], False),
    "ntrex": (["recall@1", "mrr@10", "ndcg@10"], False),
}


def _cell(block: dict[str, Any], metric: str) -> str:
    value = block["metrics"].get(metric)
    if value is None:
        return "–"
    low, high = block.get("ci", {}).get(metric, (value, value))
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def table(report: dict[str, Any], kind: str) -> str:
    metrics, by_lang = COLUMNS[kind]
    groups: list[tuple[str, str | None]] = (
        [("ja", "ja"), ("en", "en")] if by_lang else [("all", None)]
    )
    header = ["config"] + [f"{g} {m}" if by_lang else m for g, _ in groups for m in metrics]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, cfg in report["configs"].items():
        cells = [name]
        for _, lang in groups:
            block = cfg if lang is None else cfg["by_lang"].get(lang, {"metrics": {}})
            cells += [_cell(block, m) for m in metrics]
        lines.append("| " + " | ".join(cells) + " |")
    n = report.get("dataset", {}).get("n_queries") or next(iter(report["configs"].values())).get("n_queries")
    name = report.get("dataset", {}).get("name") or kind
    return f"**{name}** ({n} questions)\n\n" + "\n".join(lines)


def _num(value: Any, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


def _rate(value: Any) -> str:
    """A throughput: whole numbers from 100 up, one decimal below (a few real minutes ingest at ~4/s)."""
    return _num(value, ",.0f" if value is None or value >= 100 else ".1f")


def bench_table(report: dict[str, Any]) -> str:
    """The scale benchmark (``eval.bench_scale``): ours through the CLI/HTTP beside the LangChain recipe."""
    machine = report.get("machine", {})
    load = [machine.get("load_avg_start"), machine.get("load_avg_end")]
    loads = " → ".join(f"{v[0]:.1f}" for v in load if v)
    head = (
        f"**Scale benchmark** ({report.get('remarks', '?'):,} remarks, model `{report.get('model')}`, "
        f"index {report.get('index_type')}, {machine.get('cpus')} CPUs"
        + (f", load average {loads}" if loads else "")
        + f"; `{report.get('command')}`)\n\n"
    )
    if "index_layer" in report:
        r = report["index_layer"]
        rows = [
            ("search p50 (ms, no query embedding)", _num(r.get("search_p50_ms"), ".2f")),
            ("search p99 (ms, no query embedding)", _num(r.get("search_p99_ms"), ".2f")),
            ("recall@10 vs exact search", _num(r.get("recall@10_vs_exact"), ".3f")),
            ("top-10 id overlap with one exact top 10 (ties broken apart)", _num(r.get("top10_id_overlap_vs_exact"), ".3f")),
            ("peak RSS (MB)", _num(r.get("peak_rss_mb"), ".0f")),
            ("index build (s)", _num(r.get("build_s"), ".1f")),
        ]
        lines = ["| index layer only | value |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)]
        return head + "\n".join(lines)
    ours, lc, ratios = report.get("ours", {}), report.get("langchain", {}), report.get("ratios", {})
    cells = [
        ("ingest (remarks/s)", _rate(ours.get("ingest_remarks_per_s")), _rate(lc.get("ingest_remarks_per_s")),
         _num(ratios.get("ingest_throughput_ours_over_langchain"), ".2f") + "×"),
        ("ingest in process, model loaded first (remarks/s)", _rate(ours.get("in_process_ingest_remarks_per_s")),
         _rate(lc.get("ingest_remarks_per_s")),
         _num(ratios.get("ingest_throughput_ours_in_process_over_langchain"), ".2f") + "×"),
        ("search p50 (ms)", _num(ours.get("search_p50_ms"), ".1f") + " (HTTP)", _num(lc.get("search_p50_ms"), ".1f")
         + " (in process)", _num(ratios.get("search_p50_ours_http_over_langchain_in_process"), ".2f") + "×"),
        ("search p50 in process (ms)", _num(ours.get("in_process_search_p50_ms"), ".1f"),
         _num(lc.get("search_p50_ms"), ".1f"), _num(ratios.get("search_p50_ours_in_process_over_langchain"), ".2f") + "×"),
        ("search p99 (ms)", _num(ours.get("search_p99_ms"), ".1f"), _num(lc.get("search_p99_ms"), ".1f"), ""),
        ("`rag serve` start → first answer (s)", _num(ours.get("serve_to_first_answer_s"), ".2f"), "", ""),
        ("first search after an upload (ms)", _num(ours.get("first_search_after_upload_ms"), ".0f"), "", ""),
        ("server peak RSS (MB)", _num(ours.get("peak_rss_mb"), ".0f"), "", ""),
    ]
    lines = ["| | minutes-rag | LangChain recipe | ratio |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in cells if b != "–"]  # rows a report lacks
    tail = f"\n\nLangChain embeddings: {lc['embeddings']}." if lc.get("embeddings") else ""
    return head + "\n".join(lines) + tail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("reports", nargs="+", type=Path)
    args = parser.parse_args()
    for path in args.reports:
        report = json.loads(path.read_text(encoding="utf-8"))
        if "bench_scale" in path.stem.lower():
            sys.stdout.write(bench_table(report) + "\n\n")
            continue
        kind = next((k for k in COLUMNS if k in path.stem.lower()), None)
        if kind is None:
            sys.exit(f"{path}: name the file after its dataset ({', '.join(COLUMNS)})")
        sys.stdout.write(table(report, kind) + "\n\n")


if __name__ == "__main__":
    main()
