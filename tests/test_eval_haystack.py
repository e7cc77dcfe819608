"""eval.haystack's scoring, with the expected values worked out by hand."""

from __future__ import annotations

import pytest

from eval.dataset import EvalDataset, Query
from eval.haystack import markdown, score


def _sets() -> dict[str, EvalDataset]:
    a = EvalDataset(
        name="a",
        queries=[Query("q1", "一", lang="ja"), Query("q2", "二", lang="en"), Query("q3", "三", lang="ja")],
        qrels={"q1": {"a#1": 1}, "q2": {"a#2": 2}, "q3": {}},  # q3 has no gold: not scored
    )
    b = EvalDataset(name="b", queries=[Query("q1", "四", lang="ja")], qrels={"q1": {"b#1": 1}})
    return {"a": a, "b": b}


def test_scores_per_collection_language_and_pool() -> None:
    runs = {
        # a:q1 gold at rank 2 (1/2), a:q2 rank 1, b:q1 rank 4 (1/4)
        "dense": {"a:q1": {"x": 0.9, "a#1": 0.8}, "a:q2": {"a#2": 0.7}, "a:q3": {"x": 1.0},
                  "b:q1": {"x": 0.9, "y": 0.8, "z": 0.7, "b#1": 0.6}},
        # default: all three gold at rank 1
        "default": {"a:q1": {"a#1": 0.5, "x": 0.4}, "a:q2": {"a#2": 0.3}, "a:q3": {},
                    "b:q1": {"b#1": 0.9}},
        # naive: a:q1 not in the top 10 at all, a:q2 rank 1, b:q1 rank 2
        "naive": {"a:q1": {"x": 1.0}, "a:q2": {"a#2": 1.0}, "a:q3": {}, "b:q1": {"y": 2.0, "b#1": 1.0}},
    }
    out = score(_sets(), runs)
    assert set(out) == {"a/ja", "a/en", "b/ja", "all/ja", "all/en", "all"}
    assert out["all"]["n"] == 3
    assert out["all/ja"]["n"] == 2
    assert out["all"]["dense"]["mrr@10"] == pytest.approx((0.5 + 1 + 0.25) / 3, abs=1e-4)
    assert out["all"]["default"]["mrr@10"] == 1.0
    assert out["all"]["naive"]["mrr@10"] == pytest.approx((0 + 1 + 0.5) / 3, abs=1e-4)
    assert out["all/ja"]["dense"]["hit@1"] == 0.0
    assert out["all/ja"]["default"]["hit@1"] == 1.0
    # paired deltas: default − dense = (0.5, 0, 0.75) → mean 0.4167; default − naive = (1, 0, 0.5) → 0.5
    assert out["all"]["default_vs_dense"]["delta"] == pytest.approx(0.4167, abs=1e-4)
    assert out["all"]["default_vs_naive"]["delta"] == pytest.approx(0.5, abs=1e-4)
    assert out["all"]["default_over_naive"] == pytest.approx(2.0, abs=1e-3)  # 1.0 / 0.5
    # one question: no test, but the delta is still there
    assert out["a/en"]["default_vs_dense"]["delta"] == 0.0
    assert out["a/en"]["default_vs_dense"]["p_value"] is None

    table = markdown({"command": "python -m eval.haystack", "corpus": {"remarks": 1234}, "groups": out})
    assert "1,234 remarks" in table
    assert "| all | 3 | 0.500 | 0.583 | 1.000 | +0.417" in table
