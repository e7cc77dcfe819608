"""Compare `rag eval` reports with the evaluation tables of an earlier README (for "no figure moved" checks).

    python -m eval.readme_diff --rev affe875 --dataset seed \
        --ja docs/results/ab_issue13/seed_max.json --en docs/results/ab_issue13/seed_minmax.json

Reads the table that ``eval.readme_table`` printed for the dataset in the README at git revision ``--rev``
(value and 95 % CI per cell), and prints each cell as ``old → new``, marked ✗ where the new value lies outside
the old CI. Japanese columns come from ``--ja`` and English ones from ``--en`` (the same file twice when one
run serves both). Exits 1 when a cell lies outside.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from eval.readme_table import COLUMNS

_ROW = re.compile(r"^\| ([\w-]+) \| (.*) \|$")
_CELL = re.compile(r"^([\d.]+) \[([\d.]+), ([\d.]+)\]$")


def parse_table(readme: str, dataset: str) -> dict[str, list[tuple[float, float, float]]]:
    """{config: [(value, low, high) per cell]} of the README table headed ``**dataset**``."""
    start = readme.find(f"**{dataset}**")
    if start < 0:
        raise ValueError(f"no table headed **{dataset}** in the README; pick the dataset's name as printed there")
    end = readme.find("\n**", start + 1)
    rows: dict[str, list[tuple[float, float, float]]] = {}
    for line in readme[start : end if end > 0 else None].splitlines():
        match = _ROW.match(line)
        if not match or match.group(1) == "config":
            continue
        cells = [_CELL.match(c.strip()) for c in match.group(2).split("|")]
        if all(cells):
            rows[match.group(1)] = [(float(c[1]), float(c[2]), float(c[3])) for c in cells if c]
    return rows


def compare(
    old: dict[str, list[tuple[float, float, float]]], reports: dict[str | None, dict[str, Any]], kind: str
) -> tuple[list[str], int]:
    """Markdown rows ``old → new`` per cell and the number of cells outside their old CI."""
    metrics, by_lang = COLUMNS[kind]
    groups: list[str | None] = ["ja", "en"] if by_lang else [None]
    lines, outside = [], 0
    for name, cells in old.items():
        row = [name]
        for g, lang in enumerate(groups):
            cfg = reports[lang]["configs"].get(name)
            for m, metric in enumerate(metrics):
                value_old, low, high = cells[g * len(metrics) + m]
                if cfg is None:
                    row.append(f"{value_old:.3f} → –")
                    continue
                block = cfg if lang is None else cfg["by_lang"][lang]
                value = float(block["metrics"][metric])
                inside = low - 5e-4 <= value <= high + 5e-4  # the README rounds to three decimals
                outside += not inside
                row.append(f"{value_old:.3f} → {value:.3f}" + ("" if inside else " ✗"))
        lines.append("| " + " | ".join(row) + " |")
    return lines, outside


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", required=True, help="git revision whose README holds the old tables")
    parser.add_argument("--dataset", required=True, help="table name in the README (seed, seed-holdout, jsquad, …)")
    parser.add_argument("--ja", type=Path, help="report for the Japanese columns (or the only report)")
    parser.add_argument("--en", type=Path, help="report for the English columns")
    parser.add_argument("--kind", default=None, help="column layout (seed | jsquad | ntrex); default from --dataset")
    args = parser.parse_args(argv)
    kind = args.kind or ("seed" if args.dataset.startswith("seed") else args.dataset)
    if kind not in COLUMNS:
        parser.error(f"--kind must be one of {sorted(COLUMNS)}")
    ja, en = args.ja or args.en, args.en or args.ja
    if ja is None or en is None:
        parser.error("give --ja and/or --en")
    try:
        readme = subprocess.run(
            ["git", "show", f"{args.rev}:README.md"], capture_output=True, text=True, check=True
        ).stdout
    except subprocess.CalledProcessError as exc:
        parser.error(f"git show {args.rev}:README.md failed: {exc.stderr.strip()}")
    old = parse_table(readme, args.dataset)
    reports: dict[str | None, dict[str, Any]] = {
        "ja": json.loads(ja.read_text(encoding="utf-8")),
        "en": json.loads(en.read_text(encoding="utf-8")),
    }
    reports[None] = reports["ja"]
    lines, outside = compare(old, reports, kind)
    metrics, by_lang = COLUMNS[kind]
    header = ["config"] + [f"{g} {m}" for g in (["ja", "en"] if by_lang else ["all"]) for m in metrics]
    sys.stdout.write(f"**{args.dataset}**: {args.rev} → now\n\n| " + " | ".join(header) + " |\n")
    sys.stdout.write("|" + "---|" * len(header) + "\n" + "\n".join(lines) + "\n")
    sys.stdout.write(f"\ncells outside the old 95 % CI: {outside}\n")
    return 1 if outside else 0


if __name__ == "__main__":
    raise SystemExit(main())
