"""Print the README's evaluation table from report JSONs written by `rag eval`.

    python -m eval.readme_table docs/results/seed.json docs/results/jsquad.json docs/results/ntrex.json

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("reports", nargs="+", type=Path)
    args = parser.parse_args()
    for path in args.reports:
        report = json.loads(path.read_text(encoding="utf-8"))
        kind = next((k for k in COLUMNS if k in path.stem.lower()), None)
        if kind is None:
            sys.exit(f"{path}: name the file after its dataset ({', '.join(COLUMNS)})")
        sys.stdout.write(table(report, kind) + "\n\n")


if __name__ == "__main__":
    main()
