"""Language-aware, score-normalized fusion of the dense and lexical legs.

Plain reciprocal-rank fusion throws away how *sure* each leg is (a BM25 score of 12 against 1.5
and one of 3.1 against 3.0 give the same ranks), and it is worse than dense alone on these minutes.
Here each leg's scores are normalized over the candidate set and added with weights that depend on
the question's language:

- Japanese questions: dense + `w_lex_ja` × lexical.
- English questions cannot match Japanese remarks word for word; the lexical weight is
  `w_lex_en` × (share of the question's content words found in the corpus), which is 0 unless the
  question shares Latin tokens (AI, DARPA, RAND) with the corpus.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

NORMALIZERS = ("minmax", "max", "zscore")


@dataclass(frozen=True)
class FusionParams:
    w_lex_ja: float = 0.5
    w_lex_en: float = 0.3
    norm: str = "minmax"  # how each leg's scores are mapped before the weighted sum
    date_bonus: float = 0.05  # added to remarks of a meeting held in a year the question names
    topic_bonus: float = 0.3  # added to remarks under an agenda item the question names by number

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> FusionParams:
        known = {k: data[k] for k in ("w_lex_ja", "w_lex_en", "norm", "date_bonus", "topic_bonus") if k in data}
        params = cls(**known)  # type: ignore[arg-type]
        if params.norm not in NORMALIZERS:
            raise ValueError(f"fusion norm must be one of {NORMALIZERS}, got {params.norm!r}")
        return params


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


def lexical_weight(params: FusionParams, lang: str, coverage: float) -> float:
    """The lexical leg's weight for a question (dense always has weight 1)."""
    if lang == "ja":
        return params.w_lex_ja
    return params.w_lex_en * max(0.0, min(1.0, coverage))


def fuse(
    dense: np.ndarray,
    lexical: np.ndarray,
    *,
    w_lex: float,
    norm: str,
    bonus: np.ndarray | None = None,
) -> np.ndarray:
    """Fused score per candidate: norm(dense) + w_lex × norm(lexical) (+ bonus), divided by 1 + w_lex.

    `dense` and `lexical` are aligned arrays over the same candidates. Dividing by 1 + w_lex keeps
    fused scores on the normalized scale whatever the weight.
    """
    d = normalize(dense, norm)
    fused = d.copy()
    if w_lex > 0:
        fused = fused + w_lex * normalize(lexical, norm)
    fused = fused / (1.0 + max(w_lex, 0.0))
    if bonus is not None:
        fused = fused + bonus
    return fused
