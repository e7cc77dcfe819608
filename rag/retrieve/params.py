"""The retrieval parameters that `eval.tune` fits: one frozen record, passed explicitly to each stage.

Every field has a value that switches its stage off (`w_lex_* = 0`, `sentence_mix = 1`, `*_bonus = 0`),
so the built-in defaults are plain dense retrieval and a missing calibration file can never make the
ranking worse than the dense leg alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

NORMALIZERS = ("minmax", "max", "zscore")


@dataclass(frozen=True)
class RetrievalParams:
    depth: int = 50  # candidates taken from each leg
    norm: str = "minmax"  # how each leg's candidate scores are mapped before the weighted sum
    # Japanese questions: lexical weight × (best candidate's share of the question's words) ** lex_gate
    w_lex_ja: float = 0.0
    lex_gate: float = 0.0
    # English questions: lexical weight × share of the question's content words the corpus has
    # × (1 + lex_margin × (1 − second / best BM25 score))
    w_lex_en: float = 0.0
    lex_margin: float = 0.0
    # head rerank without a cross-encoder: dense ← mix·dense + (1 − mix)·best sentence (1: off)
    sentence_mix: float = 1.0
    rerank_depth: int = 10  # top candidates the second stage rescores
    topic_bonus: float = 0.0  # added to remarks under an agenda item the question names (by number or title)
    date_bonus: float = 0.0  # added to remarks of a meeting held in a year the question names

    def __post_init__(self) -> None:
        if self.norm not in NORMALIZERS:
            raise ValueError(
                f"norm must be one of {NORMALIZERS}, got {self.norm!r}; re-run `python -m eval.tune`"
            )
        if not 0.0 <= self.sentence_mix <= 1.0:
            raise ValueError(f"sentence_mix must lie in [0, 1], got {self.sentence_mix}")
        if self.depth < 1 or self.rerank_depth < 1:
            raise ValueError("depth and rerank_depth must be positive")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "calibration") -> RetrievalParams:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{source}: unknown retrieval parameters {unknown}; known: {sorted(known)}")
        return cls(**dict(data))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lexical_weight(self, lang: str, coverage: float, best_share: float, margin: float = 0.0) -> float:
        """The lexical leg's weight for one question (the dense leg always weighs 1).

        Japanese: `w_lex_ja` × best_share ** `lex_gate`, where best_share is the largest share of the
        question's distinct words that one candidate holds (a paraphrase sharing only common words with
        every remark gets little lexical weight). English: `w_lex_en` × the share of the question's
        content words the corpus has, directly or through the glossary (none: the dense leg decides),
        × (1 + `lex_margin` × margin), margin = 1 − second / best BM25 score of the candidates ("RIKEN and
        AIST" names what one remark says).
        """
        if lang == "en":
            return self.w_lex_en * _unit(coverage) * (1.0 + self.lex_margin * _unit(margin))
        return self.w_lex_ja * _unit(best_share) ** self.lex_gate


def _unit(x: float) -> float:
    return max(0.0, min(1.0, float(x)))
