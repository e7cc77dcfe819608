"""eval.readme_diff: README tables parsed back into (value, CI) cells and compared with new reports."""

from __future__ import annotations

import pytest

from eval.readme_diff import compare, parse_table

README = """intro

**jsquad** (10 questions)

| config | ndcg@10 | hit@1 | recall@10 |
|---|---|---|---|
| dense | 0.900 [0.880, 0.920] | 0.800 [0.750, 0.850] | 0.970 [0.960, 0.980] |
| default | 0.950 [0.940, 0.960] | 0.910 [0.900, 0.920] | 0.985 [0.980, 0.990] |

**ntrex128** (5 questions)

| config | recall@1 | mrr@10 | ndcg@10 |
|---|---|---|---|
| dense | 0.100 [0.000, 0.200] | 0.100 [0.000, 0.200] | 0.100 [0.000, 0.200] |
"""


def _report(**configs: tuple[float, float, float]) -> dict[str, object]:
    return {
        "configs": {
            name: {"metrics": {"ndcg@10": v[0], "hit@1": v[1], "recall@10": v[2]}} for name, v in configs.items()
        }
    }


def test_parse_table_reads_one_table_only() -> None:
    rows = parse_table(README, "jsquad")
    assert rows == {
        "dense": [(0.9, 0.88, 0.92), (0.8, 0.75, 0.85), (0.97, 0.96, 0.98)],
        "default": [(0.95, 0.94, 0.96), (0.91, 0.9, 0.92), (0.985, 0.98, 0.99)],
    }
    with pytest.raises(ValueError, match="no table headed"):
        parse_table(README, "seed")


def test_compare_marks_cells_outside_the_old_ci() -> None:
    old = parse_table(README, "jsquad")
    # dense: all inside (0.9205 rounds to the README's 0.920 edge); default: hit@1 0.899 is below 0.900
    new = _report(dense=(0.9205, 0.75, 0.97), default=(0.951, 0.899, 0.985))
    lines, outside = compare(old, {None: new, "ja": new, "en": new}, "jsquad")
    assert outside == 1
    assert lines[1] == "| default | 0.950 → 0.951 | 0.910 → 0.899 ✗ | 0.985 → 0.985 |"
    assert "✗" not in lines[0]
