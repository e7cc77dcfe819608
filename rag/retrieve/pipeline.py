"""The Retriever: question → dense + lexical legs → fusion → rerank → diversity → evidence.

Stages (each timed in `SearchResult.timings_ms`):
  embed     the question vector (embedder.embed_queries)
  dense     FAISS search through the IndexStore; chunk hits aggregated to remarks by max
  lexical   Sudachi + BM25 over all remarks (rebuilt when `store.generation` changes)
  fusion    normalized, language-weighted sum (fusion.py) and the soft date preference
  rerank    CrossEncoder on the top candidates when one is configured (else a no-op)
  highlight near-duplicate collapse, MMR, confidence, highlights
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from rag.retrieve.confidence import Calibration, load_calibration
from rag.retrieve.diversity import bigrams, collapse_near_duplicates, mmr
from rag.retrieve.fusion import fuse, lexical_margin, lexical_weight
from rag.retrieve.glossary import Glossary, is_content_word, load_glossary
from rag.retrieve.highlight import SentenceScorer as SentenceFn
from rag.retrieve.highlight import highlight
from rag.retrieve.lexical import JapaneseTokenizer, LexicalIndex
from rag.retrieve.query import Query, parse_query, validate_options
from rag.retrieve.rerank import PairScorer, SentenceScorer, cross_encoder_scores, load_cross_encoder, to_unit
from rag.retrieve.stages import Candidates, StoreLike, dense_remark_scores
from rag.retrieve.topics import TopicMatcher
from rag.settings import Settings
from rag.types import Filters, Hit, SearchResult, StoredRemark

logger = logging.getLogger(__name__)

RERANK_DEPTH = 20  # candidates the cross-encoder rescores


class Retriever:
    """Hybrid retrieval over one IndexStore with one embedder; safe to share between threads."""

    def __init__(
        self,
        store: Any,
        embedder: Any,
        settings: Settings,
        cross_encoder: object | None = None,
        sentence_cache: Any | None = None,
    ) -> None:
        self.store: StoreLike = store
        self.embedder = embedder
        self.settings = settings
        self.calibration: Calibration = load_calibration(str(getattr(embedder, "model_id", "")))
        self._model_free: Calibration = load_calibration("")  # the file's "default" entry
        self.tokenizer = JapaneseTokenizer("A")
        self.glossary: Glossary = load_glossary([settings.glossary] if settings.glossary else [])
        self._cross_encoder: PairScorer | None = cross_encoder  # type: ignore[assignment]
        self._cross_encoder_loaded = cross_encoder is not None
        self.sentence_scorer = SentenceScorer(embedder, cache=sentence_cache)
        self._lock = threading.Lock()
        self._generation: object = object()  # never equal to a real generation
        self._lexical: LexicalIndex | None = None
        self._remarks: dict[str, StoredRemark] = {}
        self._grams: dict[str, frozenset[str]] = {}
        self._doc_tokens: dict[str, frozenset[str]] = {}
        self._chunk_remark: dict[int, str] = {}
        self._remark_chunks: dict[str, list[int]] = {}
        self._topics = TopicMatcher({}, [])

    # --- corpus state ----------------------------------------------------------------------
    def refresh(self) -> LexicalIndex:
        """Rebuild the BM25 index and remark caches if the store changed since the last search."""
        with self._lock:
            generation = self.store.generation
            if self._lexical is not None and generation == self._generation:
                return self._lexical
            t0 = time.perf_counter()
            remarks = self.store.all_remarks()
            self._remarks = {r.remark_id: r for r in remarks}
            ids = [r.remark_id for r in remarks]
            texts = [r.text for r in remarks]
            lexical = LexicalIndex(self.tokenizer, ids, texts)
            self._doc_tokens = {rid: frozenset(self.tokenizer.tokenize(t)) for rid, t in zip(ids, texts, strict=True)}
            titles = {r.topic: self.tokenizer.tokenize(r.topic) for r in remarks if r.topic}
            self._topics = TopicMatcher(titles, self._doc_tokens.values())
            self._grams = {}
            self._chunk_remark = {}
            self._remark_chunks = self._map_chunks({r.document for r in remarks})
            self._lexical = lexical
            self._generation = generation
            logger.info("lexical index: %d remarks in %.0f ms", len(ids), (time.perf_counter() - t0) * 1000)
            return lexical

    def _map_chunks(self, documents: set[str]) -> dict[str, list[int]]:
        """remark id → its chunk ids (to score lexical-only candidates exactly on the dense leg)."""
        ids: list[int] = []
        for doc in sorted(documents):
            found = self.store.chunk_ids_for(Filters(document=doc))
            if found is not None:
                ids.extend(int(i) for i in found)
        out: dict[str, list[int]] = {}
        for ch in self.store.chunks(ids) if ids else []:
            out.setdefault(ch.remark_id, []).append(ch.chunk_id)
            self._chunk_remark[ch.chunk_id] = ch.remark_id
        return out

    @property
    def cross_encoder(self) -> PairScorer | None:
        if not self._cross_encoder_loaded:
            self._cross_encoder_loaded = True
            if self.settings.cross_encoder:
                self._cross_encoder = load_cross_encoder(self.settings.cross_encoder, self.settings.device)
        return self._cross_encoder

    def _grams_of(self, remark_id: str) -> frozenset[str]:
        g = self._grams.get(remark_id)
        if g is None:
            g = bigrams(self._remarks[remark_id].text)
            self._grams[remark_id] = g
        return g

    # --- search ----------------------------------------------------------------------------
    def search(
        self,
        question: str,
        *,
        k: int = 5,
        filters: Filters | None = None,
        mode: str = "hybrid",
        rerank: bool = True,
        mmr: bool = True,
        highlights: bool = True,
    ) -> SearchResult:
        """Ranked, cited hits; ``highlights=False`` skips the sentence highlighting (eval ranks only)."""
        t_start = time.perf_counter()
        query = parse_query(question, self.settings.max_question_chars)
        validate_options(k, mode, self.settings.max_k)
        timings: dict[str, float] = {}
        cands = self.candidates(query, k=k, filters=filters, mode=mode, timings=timings)
        hits, answerable = self.rank(
            query, cands, k=k, mode=mode, rerank=rerank, use_mmr=mmr, timings=timings, highlights=highlights
        )
        timings["total"] = (time.perf_counter() - t_start) * 1000
        return SearchResult(
            question=query.text,
            answerable=answerable,
            hits=hits,
            model=str(getattr(self.embedder, "model_id", "")),
            timings_ms={key: round(v, 2) for key, v in timings.items()},
        )

    def candidates(
        self, query: Query, *, k: int, filters: Filters | None, mode: str, timings: dict[str, float]
    ) -> Candidates:
        """Both legs' scores over the union of their top candidates (what fusion works on)."""
        lexical = self.refresh()
        for stage in ("embed", "dense", "lexical"):
            timings.setdefault(stage, 0.0)
        allowed: set[str] | None = None
        chunk_ids: np.ndarray | None = None
        if filters is not None and filters != Filters():
            allowed = self.store.remark_ids_for(filters)
            chunk_ids = self.store.chunk_ids_for(filters)
        depth = max(self.calibration.depth, 4 * k)
        tokens, coverage = self.query_tokens(lexical, query)
        cands = Candidates(tokens=tokens, corpus_cov=coverage, topic_titles=self._topics.named(query.folded, tokens))
        if allowed is not None and not allowed:
            return cands

        dense: dict[str, float] = {}
        vec: np.ndarray | None = None
        if mode != "lexical":
            t0 = time.perf_counter()
            vec = np.asarray(self.embedder.embed_queries([query.text]), dtype=np.float32)[0]
            t1 = time.perf_counter()
            dense = dense_remark_scores(self.store, self._chunk_remark, vec, depth, chunk_ids, allowed)
            t2 = time.perf_counter()
            timings["embed"] = (t1 - t0) * 1000
            timings["dense"] = (t2 - t1) * 1000

        lex: dict[str, float] = {}
        if mode != "dense":
            t0 = time.perf_counter()
            scores = lexical.scores(tokens)
            if allowed is not None:
                mask = np.fromiter((rid in allowed for rid in lexical.remark_ids), dtype=bool, count=len(lexical))
                scores = np.where(mask, scores, 0.0)
            top = np.argsort(-scores, kind="stable")[:depth]
            lex = {lexical.remark_ids[i]: float(scores[i]) for i in top if scores[i] > 0}
            timings["lexical"] = (time.perf_counter() - t0) * 1000

        if dense and vec is not None:
            self._score_missing(dense, [rid for rid in lex if rid not in dense], vec)
        ids = list(dict.fromkeys([*dense, *lex]))
        ids = [rid for rid in ids if rid in self._remarks]
        floor = min(dense.values()) if dense else 0.0
        cands.ids = ids
        cands.dense = np.array([dense.get(rid, floor) for rid in ids], dtype=np.float64)
        cands.lexical = np.array([lex.get(rid, 0.0) for rid in ids], dtype=np.float64)
        cands.has_dense = bool(dense)
        cands.vector = vec
        distinct = set(tokens)
        cands.best_share = max((self._token_share(distinct, rid) for rid in ids), default=0.0)
        return cands

    def _token_share(self, distinct: set[str], remark_id: str) -> float:
        """Share of the question's distinct tokens the remark contains (0 for a question without tokens)."""
        return len(distinct & self._doc_tokens.get(remark_id, frozenset())) / len(distinct) if distinct else 0.0

    def query_tokens(self, lexical: LexicalIndex, query: Query) -> tuple[list[str], float]:
        """The question's BM25 tokens and the share of its content words the corpus has.

        English questions add the Japanese terms of their glossary phrases; a content word counts as
        covered when it occurs in the corpus itself or inside a phrase whose terms do.
        """
        tokens = lexical.query_tokens(query.undated, bridge=query.lang == "en")
        if query.lang != "en":
            return tokens, lexical.coverage(tokens)
        expansion = self.glossary.expand(query.undated)
        covered: set[int] = set()
        for m in expansion.matches:
            translated = [t for term in m.terms for t in self.tokenizer.tokenize(term)]
            if any(t in lexical.vocabulary for t in translated):
                covered.update(range(m.start, m.end))
            tokens.extend(translated)
        content = [i for i, w in enumerate(expansion.words) if is_content_word(w)]
        for i in content:
            if expansion.words[i] in lexical.vocabulary:
                covered.add(i)
        coverage = len(covered.intersection(content)) / len(content) if content else 0.0
        return list(dict.fromkeys(tokens)), coverage

    def _score_missing(self, dense: dict[str, float], missing: list[str], vec: np.ndarray) -> None:
        """Add exact dense scores for lexical candidates the dense leg did not return."""
        chunk_ids = [c for rid in missing for c in self._remark_chunks.get(rid, [])]
        if not chunk_ids:
            return
        for cid, score in self.store.search(vec, len(chunk_ids), chunk_ids=np.asarray(chunk_ids, dtype=np.int64)):
            rid = self._chunk_remark.get(cid)
            if rid is not None and score > dense.get(rid, -np.inf):
                dense[rid] = float(score)

    def rank(
        self,
        query: Query,
        cands: Candidates,
        *,
        k: int,
        mode: str,
        rerank: bool,
        use_mmr: bool,
        timings: dict[str, float],
        calibration: Calibration | None = None,
        highlights: bool = True,
    ) -> tuple[list[Hit], bool]:
        """Fuse, rerank, diversify and dress the candidates as hits; returns (hits, answerable)."""
        cal = calibration or self.calibration
        for stage in ("fusion", "rerank", "highlight"):
            timings.setdefault(stage, 0.0)
        if not cands.ids:
            return [], False
        t0 = time.perf_counter()
        fused = self.fused_scores(query, cands, mode, cal)
        order = [int(i) for i in np.argsort(-fused, kind="stable")]
        if mode == "lexical":
            order = [i for i in order if cands.lexical[i] > 0]
        t1 = time.perf_counter()
        timings["fusion"] = (t1 - t0) * 1000

        relevance = fused
        if rerank and order:
            relevance, order = self._rerank(query, cands, fused, order, mode, cal)
        t2 = time.perf_counter()
        timings["rerank"] = (t2 - t1) * 1000

        grams = [self._grams_of(rid) for rid in cands.ids]
        diversify = use_mmr and cal.mmr_lambda < 1.0
        # De-duplicate until the hits shown (or MMR's pool of 3k) are distinct; the tail after them stays as is.
        order = collapse_near_duplicates(order, grams, keep=3 * k if diversify else k)
        if diversify:
            unit = to_unit(np.asarray(relevance, dtype=np.float64))
            picked = mmr(order[: 3 * k], unit.tolist(), grams, k, cal.mmr_lambda)
        else:
            picked = order[:k]

        features = self.features(query, cands, relevance, picked)
        # English questions highlight with their Latin words and the Japanese terms the glossary and the
        # loanword bridge gave them (理研 for RIKEN); one-letter Latin tokens match too much.
        tokens = cands.tokens if query.lang == "ja" else [t for t in cands.tokens if not t.isascii() or len(t) > 1]
        # lexical mode has no cosine features: use the model-independent confidence
        conf_model = self._model_free if mode == "lexical" else cal
        hits: list[Hit] = []
        score = np.inf
        fallback = self._sentence_fallback(cands) if highlights else None
        for pos, i in enumerate(picked):
            remark = self._remarks[cands.ids[i]]
            score = min(score, float(relevance[i]))  # the reranked head keeps scores non-increasing
            hits.append(
                Hit(
                    remark_id=remark.remark_id,
                    text=remark.text,
                    score=round(score, 6),
                    confidence=round(conf_model.confidence(features[pos]), 4),
                    citation=remark.citation(),
                    highlights=highlight(remark.text, tokens, fallback=fallback) if highlights else (),
                )
            )
        answerable = bool(hits) and hits[0].confidence >= conf_model.threshold_for(query.lang)
        timings["highlight"] = (time.perf_counter() - t2) * 1000
        return hits, answerable

    def _rerank(
        self, query: Query, cands: Candidates, fused: np.ndarray, order: list[int], mode: str, cal: Calibration
    ) -> tuple[np.ndarray, list[int]]:
        """Rescore the head of `order`; the head stays above the tail. Returns (relevance, order)."""
        encoder = self.cross_encoder
        head = order[: cal.rerank_depth] if encoder is None else order[:RERANK_DEPTH]
        texts = [self._remarks[cands.ids[i]].text for i in head]
        if encoder is not None:
            ce = to_unit(cross_encoder_scores(encoder, query.text, texts))
            relevance = fused.copy()
            for i, s in zip(head, ce, strict=True):
                relevance[i] = 1.0 + float(s)
        elif (mix := cal.mix_for(query.lang)) < 1.0 and cands.vector is not None and mode != "lexical":
            best = self.sentence_scorer.best(cands.vector, texts)
            mixed = cands.dense.copy()
            for i, s in zip(head, best, strict=True):
                mixed[i] = mix * cands.dense[i] + (1.0 - mix) * s
            relevance = self.fused_scores(query, dataclasses.replace(cands, dense=mixed), mode, cal)
        else:
            return fused, order
        head = sorted(head, key=lambda i: -relevance[i])
        return relevance, head + order[len(head) :]

    def _sentence_fallback(self, cands: Candidates) -> SentenceFn | None:
        """Highlight fallback for questions sharing no words with a remark: sentence vectors, if cached
        (the rerank stage caches those of the top candidates)."""
        vector = cands.vector
        if vector is None:
            return None
        scorer = self.sentence_scorer

        def score(sentences: Sequence[str]) -> Sequence[float] | None:
            return scorer.cached_similarities(vector, sentences)

        return score

    def fused_scores(self, query: Query, cands: Candidates, mode: str, cal: Calibration) -> np.ndarray:
        bonus = np.zeros(len(cands.ids))
        if query.years and cal.fusion.date_bonus > 0:
            years = {str(y) for y in query.years}
            bonus += [cal.fusion.date_bonus if (self._remarks[rid].date or "")[:4] in years else 0.0 for rid in cands.ids]
        if (query.topics or cands.topic_titles) and cal.fusion.topic_bonus > 0:
            bonus += [cal.fusion.topic_bonus if self._named_topic(query, cands, rid) else 0.0 for rid in cands.ids]
        norm = cal.fusion.norm_for(query.lang)
        if mode == "lexical":
            return fuse(cands.lexical, np.zeros_like(cands.lexical), w_lex=0.0, norm=norm, bonus=bonus)
        w_lex = 0.0
        if mode != "dense":
            margin = lexical_margin(cands.lexical)
            w_lex = lexical_weight(cal.fusion, query.lang, cands.corpus_cov, cands.best_share, margin)
        return fuse(cands.dense, cands.lexical, w_lex=w_lex, norm=norm, bonus=bonus)

    def _named_topic(self, query: Query, cands: Candidates, remark_id: str) -> bool:
        """Whether the remark sits under an agenda item the question names (by number or by title)."""
        remark = self._remarks[remark_id]
        return remark.topic_number in query.topics or (remark.topic or "") in cands.topic_titles

    def features(self, query: Query, cands: Candidates, fused: np.ndarray, picked: list[int]) -> list[dict[str, float]]:
        """Confidence features of each picked candidate (names in confidence.FEATURES)."""
        dense = cands.dense
        median = float(np.median(dense)) if dense.size else 0.0
        ordered_dense = np.sort(dense)[::-1]
        second = float(ordered_dense[1]) if dense.size > 1 else median
        distinct = set(cands.tokens)
        out: list[dict[str, float]] = []
        for pos, i in enumerate(picked):
            rid = cands.ids[i]
            d = float(dense[i]) if cands.has_dense else 0.0
            out.append(
                {
                    "dense": d,
                    "dense_gap": d - median if cands.has_dense else 0.0,
                    "dense_margin": max(0.0, d - second) if pos == 0 and cands.has_dense else 0.0,
                    "fused": float(fused[i]),
                    "lex_cov": self._token_share(distinct, rid),
                    "corpus_cov": cands.corpus_cov,
                    "is_en": 1.0 if query.lang == "en" else 0.0,
                    "is_top": 1.0 if pos == 0 else 0.0,
                    "topic_hit": 1.0 if self._named_topic(query, cands, rid) else 0.0,
                }
            )
        return out

