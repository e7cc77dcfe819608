"""Score-normalized fusion of the dense and lexical legs.

Reciprocal-rank fusion throws away how *sure* each leg is (a BM25 score of 12 against 1.5 and one of 3.1
against 3.0 give the same ranks). Here each leg's scores are normalized over the candidate set and added
with the question's lexical weight (`RetrievalParams.lexical_weight`), then divided by 1 + weight so that
fused scores stay on the normalized scale whatever the weight.
"""

from __future__ import annotations

import numpy as np

from rag.retrieve.params import NORMALIZERS


def normalize(scores: np.ndarray, how: str) -> np.ndarray:
    """Map one leg's candidate scores onto a comparable scale.

    minmax: (s − min) / (max − min); max: s / max (0 when max ≤ 0); zscore: (s − mean) / std.
    A constant vector carries no preference: it maps to ones where positive (a lone candidate with a
    score is a full match), zeros otherwise.
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.size == 0:
        return s
    if float(s.max() - s.min()) <= 1e-12:
        return (s > 0).astype(np.float64)
    if how == "minmax":
        return (s - s.min()) / float(s.max() - s.min())
    if how == "max":
        top = float(s.max())
        return s / top if top > 1e-12 else np.zeros_like(s)
    if how == "zscore":
        return (s - s.mean()) / float(s.std())
    raise ValueError(f"unknown normalization {how!r}; use one of {NORMALIZERS}")


def fuse(
    dense: np.ndarray,
    lexical: np.ndarray,
    *,
    w_lex: float,
    norm: str,
    bonus: np.ndarray | None = None,
) -> np.ndarray:
    """Fused score per candidate: (norm(dense) + w_lex × norm(lexical)) / (1 + w_lex), plus `bonus`.

    `dense` and `lexical` are aligned arrays over the same candidates.
    """
    fused = normalize(dense, norm)
    if w_lex > 0:
        fused = fused + w_lex * normalize(lexical, norm)
    fused = fused / (1.0 + max(w_lex, 0.0))
    if bonus is not None:
        fused = fused + bonus
    return fused


def lexical_margin(lexical: np.ndarray) -> float:
    """1 − second-best / best lexical score (0 when there is no positive best score)."""
    if lexical.size == 0:
        return 0.0
    top = np.sort(np.asarray(lexical, dtype=np.float64))[::-1][:2]
    if top[0] <= 0:
        return 0.0
    second = max(float(top[1]), 0.0) if top.size > 1 else 0.0
    return 1.0 - second / float(top[0])
