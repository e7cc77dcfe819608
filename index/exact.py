"""Exact scoring over stored vectors, shared by both stores: the query check, the exact top k of a few
candidate chunks, and stored vectors gathered in a caller's order.

A restricted search over a few chunks scores their stored float32 vectors directly (a matrix product) instead
of asking the approximate index to filter: cheaper, and exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def query_vector(vector: np.ndarray, dim: int) -> np.ndarray:
    """The query as one contiguous float32 row; ValueError when it is not ``dim``-dimensional."""
    query = np.ascontiguousarray(vector, dtype=np.float32).reshape(-1)
    if query.shape != (dim,):
        raise ValueError(f"query vector has {query.size} values; this index holds {dim}-d vectors")
    return query


def top_k(ids: np.ndarray, matrix: np.ndarray, query: np.ndarray, k: int) -> list[tuple[int, float]]:
    """(id, inner product) of the ``k`` best rows of ``matrix`` (row i is ``ids[i]``), best first; ties by row."""
    scores = matrix @ query
    top = np.argsort(-scores, kind="stable")[:k]
    return [(int(ids[i]), float(scores[i])) for i in top]


def in_order(ids: np.ndarray, matrix: np.ndarray, wanted: Sequence[int], dim: int) -> np.ndarray:
    """The rows of ``matrix`` (sorted ``ids``) for ``wanted``, in that order; zeros for an id not in ``ids``."""
    want = np.asarray(list(wanted), dtype=np.int64)
    out = np.zeros((len(want), dim), np.float32)
    if not len(ids) or not len(want):
        return out
    pos = np.minimum(np.searchsorted(ids, want), len(ids) - 1)
    ok = ids[pos] == want
    out[ok] = matrix[pos[ok]]
    return out
