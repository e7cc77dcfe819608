"""Language-aware, score-normalized fusion of the dense and lexical legs.

Plain reciprocal-rank fusion throws away how *sure* each leg is (a BM25 score of 12 against 1.5
and one of 3.1 against 3.0 give the same ranks), and it is worse than dense alone on these minutes.
Here each leg's scores are normalized over the candidate set and added with weights that depend on
the question's language:

- Japanese questions: dense + `w_lex_ja` × g × lexical, where g = c ** `lex_gate` and c is the largest
  share of the question's distinct words that any one candidate contains. A question whose words all
  sit in one remark (quoted terms, names) keeps the full lexical weight; a paraphrase that shares only
  common words with every remark gets little of it, and the dense leg decides.
- English questions cannot match Japanese remarks word for word; their lexical tokens are Latin words
  the corpus shares (AI, DARPA) and the glossary's Japanese terms (RIKEN → 理研). The lexical weight is
  `w_lex_en` × c × (1 + `lex_margin` × m): c is the share of the question's content words the corpus
  has (directly or through the glossary; 0 when none), m = 1 − s2/s1 how far the best BM25 score s1
  stands above the runner-up s2. A question naming what only one remark mentions ("RIKEN and AIST")
  is decided by the lexical leg; glossary words spread over many remarks barely move the dense order.
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
    norm_en: str | None = None  # English questions' normalization when it differs (None: `norm`)
    lex_gate: float = 0.0  # Japanese: w_lex_ja × (best candidate's share of the question's words) ** lex_gate
    lex_margin: float = 0.0  # English: w_lex_en × coverage × (1 + lex_margin × (1 − second / best BM25 score))
    date_bonus: float = 0.05  # added to remarks of a meeting held in a year the question names
    topic_bonus: float = 0.3  # added to remarks under an agenda item the question names (by number or title)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> FusionParams:
        keys = ("w_lex_ja", "w_lex_en", "norm", "norm_en", "lex_gate", "lex_margin", "date_bonus", "topic_bonus")
        params = cls(**{k: data[k] for k in keys if k in data})  # type: ignore[arg-type]
        for norm in (params.norm, params.norm_en):
            if norm is not None and norm not in NORMALIZERS:
                raise ValueError(f"fusion norm must be one of {NORMALIZERS}, got {norm!r}")
        return params

    def norm_for(self, lang: str) -> str:
        return self.norm_en if lang == "en" and self.norm_en is not None else self.norm


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


def lexical_margin(lexical: np.ndarray) -> float:
    """1 − second-best / best lexical score (0 when there is no positive best score)."""
    if lexical.size == 0:
        return 0.0
    top = np.sort(np.asarray(lexical, dtype=np.float64))[::-1][:2]
    if top[0] <= 0:
        return 0.0
    second = max(float(top[1]), 0.0) if top.size > 1 else 0.0
    return 1.0 - second / float(top[0])


def lexical_weight(
    params: FusionParams, lang: str, coverage: float, best_share: float = 1.0, margin: float = 0.0
) -> float:
    """The lexical leg's weight for a question (dense always has weight 1).

    `coverage`: share of the question's content words found in the corpus (English);
    `best_share`: the largest share of the question's words found in one candidate (Japanese gate);
    `margin`: `lexical_margin` of the candidates' BM25 scores (English).
    """
    if lang == "ja":
        return params.w_lex_ja * max(0.0, min(1.0, best_share)) ** params.lex_gate
    lift = 1.0 + params.lex_margin * max(0.0, min(1.0, margin))
    return params.w_lex_en * max(0.0, min(1.0, coverage)) * lift


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
