"""index/exact.py: the exact scoring both stores share, with values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from index.exact import in_order, query_vector, top_k

IDS = np.array([3, 7, 9], dtype=np.int64)
MATRIX = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], dtype=np.float32)


def test_top_k_best_first_ties_in_row_order() -> None:
    # scores for (1, 0.5): 1.0, 0.5, 1.0 → ids 3 and 9 tie; 3 comes first (its row is first)
    assert top_k(IDS, MATRIX, np.array([1.0, 0.5], np.float32), 2) == [(3, 1.0), (9, 1.0)]
    assert [i for i, _ in top_k(IDS, MATRIX, np.array([0.0, 1.0], np.float32), 3)] == [7, 3, 9]


def test_in_order_keeps_the_callers_order_and_zeros_unknown_ids() -> None:
    out = in_order(IDS, MATRIX, [9, 4, 7, 100, 3], 2)
    assert out.tolist() == [[1.0, 0.0], [0.0, 0.0], [0.0, 1.0], [0.0, 0.0], [1.0, 0.0]]
    assert in_order(IDS[:0], MATRIX[:0], [1, 2], 2).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_query_vector_checks_the_dimension() -> None:
    assert query_vector(np.array([[1, 2]]), 2).dtype == np.float32
    with pytest.raises(ValueError, match="3 values; this index holds 2-d vectors"):
        query_vector(np.zeros(3), 2)
