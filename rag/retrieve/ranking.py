"""The ranking stages as functions of explicit parameters: fusion → head rerank → answer linking (hybrid
only; exchanges.py) → near-duplicate collapse → confidence features. `Retriever.search` (serving) and
`eval.tune` (fitting) call the same functions with a `RetrievalParams`, so what is tuned is what is served.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rag.retrieve.diversity import collapse_near_duplicates
from rag.retrieve.exchanges import link_answers
from rag.retrieve.fusion import fuse, lexical_margin
from rag.retrieve.params import RetrievalParams
from rag.retrieve.query import Query
from rag.retrieve.rerank import PairScorer, SentenceScorer, cross_encoder_scores, to_unit
from rag.retrieve.stages import Candidates

CROSS_ENCODER_DEPTH = 20  # candidates a configured cross-encoder rescores


@dataclass(frozen=True)
class Ranking:
    picked: list[int]  # candidate positions shown, best first
    relevance: np.ndarray  # final relevance of every candidate (fused, or reranked for the head)
    features: list[dict[str, float]]  # confidence features of each picked candidate


def named_topic(query: Query, cands: Candidates, remark_id: str) -> bool:
    """Whether the remark sits under an agenda item the question names (by number or by title)."""
    remark = cands.remarks[remark_id]
    return remark.topic_number in query.topics or (remark.topic or "") in cands.topic_titles


def token_share(cands: Candidates, remark_id: str) -> float:
    """Share of the question's distinct tokens the remark contains (0 for a question without tokens)."""
    distinct = len(set(cands.tokens))
    found = len(cands.query_terms & cands.token_sets.get(remark_id, frozenset()))
    return found / distinct if distinct else 0.0


def bonuses(query: Query, cands: Candidates, params: RetrievalParams) -> np.ndarray:
    """Date and agenda-item bonuses per candidate (zeros when the question names neither)."""
    bonus = np.zeros(len(cands.ids))
    if query.years and params.date_bonus > 0:
        years = {str(y) for y in query.years}
        bonus += [params.date_bonus if (cands.remarks[r].date or "")[:4] in years else 0.0 for r in cands.ids]
    if (query.topics or cands.topic_titles) and params.topic_bonus > 0:
        bonus += [params.topic_bonus if named_topic(query, cands, r) else 0.0 for r in cands.ids]
    return bonus


def fused_scores(query: Query, cands: Candidates, params: RetrievalParams, mode: str) -> np.ndarray:
    """Normalized dense + weighted normalized lexical (+ bonuses); lexical mode ranks by BM25 alone."""
    bonus = bonuses(query, cands, params)
    if mode == "lexical":
        return fuse(cands.lexical, np.zeros_like(cands.lexical), w_lex=0.0, norm=params.norm, bonus=bonus)
    w_lex = 0.0
    if mode != "dense":
        margin = lexical_margin(cands.lexical) if params.lex_margin > 0 else 0.0
        w_lex = params.lexical_weight(query.lang, cands.corpus_cov, cands.best_share, margin)
    return fuse(cands.dense, cands.lexical, w_lex=w_lex, norm=params.norm, bonus=bonus)


def rerank_head(
    query: Query,
    cands: Candidates,
    fused: np.ndarray,
    order: list[int],
    params: RetrievalParams,
    mode: str,
    *,
    sentences: SentenceScorer | None,
    cross_encoder: PairScorer | None = None,
) -> tuple[np.ndarray, list[int]]:
    """Rescore the head of `order` (the head stays above the tail); returns (relevance, order).

    With a cross-encoder, its unit-scaled scores + 1 replace the head's fused scores. Without one, the head's
    dense scores are mixed with their best sentence cosine (`sentence_mix`) and fused again.
    """
    if cross_encoder is not None:
        head = order[:CROSS_ENCODER_DEPTH]
        texts = [cands.remarks[cands.ids[i]].text for i in head]
        relevance = fused.copy()
        for i, s in zip(head, to_unit(cross_encoder_scores(cross_encoder, query.text, texts)), strict=True):
            relevance[i] = 1.0 + float(s)
    elif (
        params.sentence_mix < 1.0 and sentences is not None and cands.vector is not None and mode != "lexical"
    ):
        head = order[: params.rerank_depth]
        best = sentences.best(cands.vector, [cands.remarks[cands.ids[i]].text for i in head])
        mixed = cands.dense.copy()
        mix = params.sentence_mix
        for i, s in zip(head, best, strict=True):
            mixed[i] = mix * cands.dense[i] + (1.0 - mix) * s
        relevance = fused_scores(query, dataclasses.replace(cands, dense=mixed), params, mode)
    else:
        return fused, order
    head = sorted(head, key=lambda i: -relevance[i])
    return relevance, head + order[len(head) :]


def confidence_features(
    query: Query,
    cands: Candidates,
    relevance: np.ndarray,
    picked: list[int],
    partners: dict[int, int] | None = None,
) -> list[dict[str, float]]:
    """Features of each picked candidate (names in confidence.FEATURES), from its final relevance. An answer
    moved above its question (`partners`: answer → question position) is scored with its question as one
    exchange: the larger of the two dense scores, and margins over the other candidates."""
    partners = partners or {}
    n = len(cands.ids)
    dense = cands.dense if cands.has_dense else np.zeros(n)
    median = float(np.median(dense)) if n else 0.0
    out: list[dict[str, float]] = []
    for i in picked:
        rid = cands.ids[i]
        pair = [i] if i not in partners else [i, partners[i]]
        others = np.delete(np.arange(n), pair)
        best_other_dense = float(dense[others].max()) if others.size else median
        best_other_rel = float(relevance[others].max()) if others.size else 0.0
        d = float(dense[pair].max())
        out.append(
            {
                "dense": d,
                "dense_margin": d - best_other_dense if cands.has_dense else 0.0,
                "dense_gap": d - median if cands.has_dense else 0.0,
                "rel_margin": float(relevance[i]) - best_other_rel,
                "lex_cov": token_share(cands, rid),
                "corpus_cov": cands.corpus_cov,
                "glossary_miss": cands.glossary_miss,
                "is_en": 1.0 if query.lang == "en" else 0.0,
                "topic_hit": 1.0 if named_topic(query, cands, rid) else 0.0,
            }
        )
    return out


def rank_candidates(
    query: Query,
    cands: Candidates,
    *,
    k: int,
    mode: str,
    rerank: bool,
    params: RetrievalParams,
    sentences: SentenceScorer | None,
    grams: Callable[[int], frozenset[str]],
    cross_encoder: PairScorer | None = None,
    timings: dict[str, float] | None = None,
) -> Ranking:
    """Fuse, rerank the head, drop near-duplicates, and compute the picked hits' confidence features
    (stage times in ms into `timings` when given)."""
    if not cands.ids:
        return Ranking([], np.zeros(0), [])
    t0 = time.perf_counter()
    fused = fused_scores(query, cands, params, mode)
    order = [int(i) for i in np.argsort(-fused, kind="stable")]
    if mode == "lexical":
        order = [i for i in order if cands.lexical[i] > 0]
    relevance = fused
    t1 = time.perf_counter()
    if rerank and order:
        relevance, order = rerank_head(
            query, cands, fused, order, params, mode, sentences=sentences, cross_encoder=cross_encoder
        )
    partners: dict[int, int] = {}
    if mode == "hybrid" and cands.answers:
        relevance, order, partners = link_answers(
            cands.ids, cands.answers, cands.dense, relevance, order, head=params.rerank_depth
        )
    if timings is not None:
        timings["fusion"] = (t1 - t0) * 1000
        timings["rerank"] = (time.perf_counter() - t1) * 1000
    all_grams = [grams(i) for i in range(len(cands.ids))]
    picked = collapse_near_duplicates(order, all_grams, keep=k)[:k]
    return Ranking(picked, relevance, confidence_features(query, cands, relevance, picked, partners))
