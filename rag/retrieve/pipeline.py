"""The Retriever: question → dense + lexical legs → ranking stages (ranking.py) → cited hits.

Stages (each timed in `SearchResult.timings_ms`):
  embed     the question vector (embedder.embed_queries)
  dense     FAISS search through the IndexStore; chunk hits aggregated to remarks by max
  lexical   BM25 over the stored tokens of all remarks (corpus.py; caught up when `store.generation` moves)
  fusion    normalized dense + weighted lexical (fusion.py), the date and agenda-item bonuses
  rerank    the head rescored (best-sentence cosine, or a CrossEncoder when one is configured)
  highlight near-duplicate collapse, confidence, highlights

The parameters come from calibration.json (`python -m eval.tune`), passed to the stage functions explicitly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from rag.retrieve.confidence import Calibration, load_calibration
from rag.retrieve.corpus import Corpus, backfill_tokens
from rag.retrieve.diversity import bigrams
from rag.retrieve.exchanges import answer_links
from rag.retrieve.glossary import Glossary, is_content_word, load_glossary
from rag.retrieve.highlight import SentenceScorer as SentenceFn
from rag.retrieve.highlight import highlight
from rag.retrieve.lexical import JapaneseTokenizer
from rag.retrieve.query import Query, parse_query, validate_options
from rag.retrieve.ranking import rank_candidates, token_share
from rag.retrieve.rerank import PairScorer, SentenceScorer, load_cross_encoder
from rag.retrieve.stages import Candidates, StoreLike, dense_remark_scores
from rag.retrieve.topics import TopicMatcher, has_cue
from rag.settings import Settings
from rag.types import Filters, Hit, SearchResult, StoredRemark

logger = logging.getLogger(__name__)

_CACHE_LIMIT = 200_000  # chunk → remark entries (and bigram sets) kept between searches


class Retriever:
    """Hybrid retrieval over one IndexStore with one embedder; safe to share between threads."""

    def __init__(
        self,
        store: Any,
        embedder: Any,
        settings: Settings,
        cross_encoder: object | None = None,
        sentence_cache: Any | None = None,
        tokenizer: JapaneseTokenizer | None = None,
    ) -> None:
        self.store: StoreLike = store
        self.embedder = embedder
        self.settings = settings
        cal_path = settings.calibration
        self.calibration: Calibration = load_calibration(str(getattr(embedder, "model_id", "")), cal_path)
        self._model_free: Calibration = load_calibration("", cal_path)  # the file's "default" entry
        self.tokenizer = tokenizer or JapaneseTokenizer("A")
        self.glossary: Glossary = load_glossary([settings.glossary] if settings.glossary else [])
        self._cross_encoder: PairScorer | None = cross_encoder  # type: ignore[assignment]
        self._cross_encoder_loaded = cross_encoder is not None
        self.sentence_scorer = SentenceScorer(embedder, cache=sentence_cache)
        self._lock = threading.Lock()
        self._corpus: Corpus | None = None  # one immutable snapshot, swapped whole (corpus.py)
        self._topics: tuple[Corpus, TopicMatcher] | None = None
        self._grams: dict[str, frozenset[str]] = {}
        self._chunk_remark: dict[int, str] = {}  # chunk ids are never reused, so this cache stays valid

    # --- corpus state ----------------------------------------------------------------------
    def refresh(self) -> Corpus:
        """The lexical corpus at the store's generation: caught up from the store's delta when it moved."""
        corpus = self._corpus
        if corpus is not None and corpus.generation == self.store.generation:
            return corpus
        with self._lock:
            corpus = self._corpus
            if corpus is not None and corpus.generation == self.store.generation:
                return corpus
            t0 = time.perf_counter()
            full = corpus is None or corpus.needs_compaction
            base = Corpus(self.tokenizer) if full or corpus is None else corpus
            delta = self.store.corpus_delta(base.shas, base.max_term)
            if backfill_tokens(self.store, self.tokenizer, delta.rows):
                delta = self.store.corpus_delta(base.shas, base.max_term)
            corpus = base.apply(delta)
            self._corpus = corpus
            logger.info(
                "lexical index: %d remarks (%s %d) in %.0f ms",
                corpus.size,
                "loaded" if full else "added",
                len(delta.rows),
                (time.perf_counter() - t0) * 1000,
            )
            return corpus

    def use_store(self, store: Any) -> None:
        """Search through another handle on the same index (the service reopens a read-only one for writing)."""
        self.store = store

    def topic_matcher(self, corpus: Corpus) -> TopicMatcher:
        """Agenda-item titles of the corpus, tokenized on the first question that points at one."""
        cached = self._topics
        if cached is not None and cached[0] is corpus:
            return cached[1]
        titles = {t: self.tokenizer.tokenize(t) for t in sorted(corpus.titles())}
        matcher = TopicMatcher.with_counts(titles, corpus.bm25.df, corpus.size)
        self._topics = (corpus, matcher)
        return matcher

    @property
    def cross_encoder(self) -> PairScorer | None:
        if not self._cross_encoder_loaded:
            self._cross_encoder_loaded = True
            if self.settings.cross_encoder:
                self._cross_encoder = load_cross_encoder(self.settings.cross_encoder, self.settings.device)
        return self._cross_encoder

    def _grams_of(self, remark: StoredRemark) -> frozenset[str]:
        g = self._grams.get(remark.text)
        if g is None:
            if len(self._grams) > _CACHE_LIMIT:
                self._grams = {}
            g = bigrams(remark.text)
            self._grams[remark.text] = g
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
        highlights: bool = True,
    ) -> SearchResult:
        """Ranked, cited hits; ``highlights=False`` skips the sentence highlighting (eval ranks only)."""
        t_start = time.perf_counter()
        query = parse_query(question, self.settings.max_question_chars)
        validate_options(k, mode, self.settings.max_k)
        timings: dict[str, float] = {}
        cands = self.candidates(query, k=k, filters=filters, mode=mode, timings=timings)
        hits, answerable = self.rank(
            query, cands, k=k, mode=mode, rerank=rerank, timings=timings, highlights=highlights
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
        self,
        query: Query,
        *,
        k: int,
        filters: Filters | None,
        mode: str,
        timings: dict[str, float],
        topics: bool | None = None,
    ) -> Candidates:
        """Both legs' scores over the union of their top candidates (what fusion works on). Agenda items the
        question names by title are looked up when `topics` (default: when the calibration's topic bonus is on)."""
        corpus = self.refresh()
        for stage in ("embed", "dense", "lexical"):
            timings.setdefault(stage, 0.0)
        allowed: set[str] | None = None
        chunk_ids: np.ndarray | None = None
        if filters is not None and filters != Filters():
            allowed = self.store.remark_ids_for(filters)
            chunk_ids = self.store.chunk_ids_for(filters)
        depth = max(self.calibration.retrieval.depth, 4 * k)
        tokens, coverage, unmet = self.query_terms(corpus, query)
        if topics is None:
            topics = self.calibration.retrieval.topic_bonus > 0
        named = (
            self.topic_matcher(corpus).named(query.folded, tokens)
            if topics and has_cue(query.folded)
            else frozenset()
        )
        cands = Candidates(tokens=tokens, corpus_cov=coverage, glossary_miss=unmet, topic_titles=named)
        if allowed is not None and not allowed:
            return cands

        dense: dict[str, float] = {}
        vec: np.ndarray | None = None
        if mode != "lexical":
            t0 = time.perf_counter()
            vec = np.asarray(self.embedder.embed_queries([query.text]), dtype=np.float32)[0]
            t1 = time.perf_counter()
            if len(self._chunk_remark) > _CACHE_LIMIT:
                self._chunk_remark = {}
            dense = dense_remark_scores(self.store, self._chunk_remark, vec, depth, chunk_ids, allowed)
            t2 = time.perf_counter()
            timings["embed"] = (t1 - t0) * 1000
            timings["dense"] = (t2 - t1) * 1000

        lex: dict[str, float] = {}
        if mode != "dense":
            t0 = time.perf_counter()
            lex = corpus.top(tokens, depth, allowed)
            timings["lexical"] = (time.perf_counter() - t0) * 1000

        if dense and vec is not None:
            self._score_missing(dense, [rid for rid in lex if rid not in dense], vec)
        ids = list(dict.fromkeys([*dense, *lex]))
        cands.remarks = self.store.remarks(ids)
        ids = [rid for rid in ids if rid in cands.remarks]
        if mode == "hybrid":
            ids = self._add_answers(cands, ids, dense, lex, vec, tokens, corpus, allowed)
        cands.token_sets = {rid: frozenset(a.tolist()) for rid, a in self.store.remark_term_ids(ids).items()}
        cands.query_terms = corpus.term_ids(tokens)
        floor = min(dense.values()) if dense else 0.0
        cands.ids = ids
        cands.dense = np.array([dense.get(rid, floor) for rid in ids], dtype=np.float64)
        cands.lexical = np.array([lex.get(rid, 0.0) for rid in ids], dtype=np.float64)
        cands.has_dense = bool(dense)
        cands.vector = vec
        cands.best_share = max((token_share(cands, rid) for rid in ids), default=0.0)
        return cands

    def _add_answers(
        self,
        cands: Candidates,
        ids: list[str],
        dense: dict[str, float],
        lex: dict[str, float],
        vec: np.ndarray | None,
        tokens: list[str],
        corpus: Corpus,
        allowed: set[str] | None,
    ) -> list[str]:
        """Link the candidates' question remarks to their answers (exchanges.py) and add the answers that
        are not candidates yet, with their exact dense and BM25 scores."""
        read: dict[str, StoredRemark] = {}  # the remarks answer_links reads, kept for the answers it returns

        def fetch(remark_ids: Sequence[str]) -> dict[str, StoredRemark]:
            found = self.store.remarks(remark_ids)
            read.update(found)
            return found

        links = answer_links(cands.remarks, fetch)
        if allowed is not None:
            links = {q: tuple(a for a in ans if a in allowed) for q, ans in links.items()}
        cands.answers = {q: ans for q, ans in links.items() if ans}
        missing = [a for ans in cands.answers.values() for a in ans if a not in cands.remarks]
        missing = list(dict.fromkeys(missing))
        if not missing:
            return ids
        cands.remarks.update({a: read[a] for a in missing})
        if dense and vec is not None:
            self._score_missing(dense, missing, vec)
        lex.update(corpus.top(tokens, len(missing), set(missing)))
        return [*ids, *missing]

    def query_terms(self, lexical: Corpus, query: Query) -> tuple[list[str], float, float]:
        """The question's BM25 tokens, the share of its content words the corpus has, and (English) the share
        of its content words the glossary knows whose Japanese terms the corpus lacks.

        English questions add the Japanese terms of their glossary phrases; a content word counts as
        covered when it occurs in the corpus itself, or inside a glossary phrase one of whose Japanese terms has
        every token in the corpus (量子技術 is not covered by 技術 alone). A glossary phrase none of whose terms
        is covered names a policy topic the corpus does not discuss ("fisheries" over minutes without 漁業 or
        水産): the third value, a feature of the confidence model. Japanese questions: 0.
        """
        tokens = lexical.query_tokens(query.undated, bridge=query.lang == "en")
        if query.lang != "en":
            return tokens, lexical.coverage(tokens), 0.0
        expansion = self.glossary.expand(query.undated)
        covered: set[int] = set()
        unmet: set[int] = set()
        vocabulary = lexical.vocabulary
        for m in expansion.matches:
            per_term = [self.tokenizer.tokenize(term) for term in m.terms]
            span = range(m.start, m.end)
            if any(toks and all(t in vocabulary for t in toks) for toks in per_term):
                covered.update(span)
            else:
                unmet.update(span)
            tokens.extend(t for toks in per_term for t in toks)
        content = [i for i, w in enumerate(expansion.words) if is_content_word(w)]
        for i in content:
            if expansion.words[i] in vocabulary:
                covered.add(i)
        if not content:
            return list(dict.fromkeys(tokens)), 0.0, 0.0
        coverage = len(covered.intersection(content)) / len(content)
        missing = len(unmet.intersection(content).difference(covered)) / len(content)
        return list(dict.fromkeys(tokens)), coverage, missing

    def _score_missing(self, dense: dict[str, float], missing: list[str], vec: np.ndarray) -> None:
        """Add exact dense scores for lexical candidates the dense leg did not return."""
        if not missing:
            return
        by_remark = self.store.remark_chunk_ids(missing)
        chunk_ids = [c for rid in missing for c in by_remark.get(rid, [])]
        if not chunk_ids:
            return
        owner = {cid: rid for rid, cids in by_remark.items() for cid in cids}
        for cid, score in self.store.search(
            vec, len(chunk_ids), chunk_ids=np.asarray(chunk_ids, dtype=np.int64)
        ):
            found = owner.get(cid)
            if found is not None and score > dense.get(found, -np.inf):
                dense[found] = float(score)

    def rank(
        self,
        query: Query,
        cands: Candidates,
        *,
        k: int,
        mode: str,
        rerank: bool,
        timings: dict[str, float],
        highlights: bool = True,
    ) -> tuple[list[Hit], bool]:
        """Rank the candidates (ranking.rank_candidates) and dress them as hits; returns (hits, answerable)."""
        cal = self.calibration
        for stage in ("fusion", "rerank", "highlight"):
            timings.setdefault(stage, 0.0)
        if not cands.ids:
            return [], False
        ranking = rank_candidates(
            query,
            cands,
            k=k,
            mode=mode,
            rerank=rerank,
            params=cal.retrieval,
            sentences=self.sentence_scorer,
            grams=lambda i: self._grams_of(cands.remarks[cands.ids[i]]),
            cross_encoder=self.cross_encoder if rerank else None,
            timings=timings,
        )
        t1 = time.perf_counter()
        # English questions highlight with their Latin words and the Japanese terms the glossary and the
        # loanword bridge gave them (理研 for RIKEN); one-letter Latin tokens match too much.
        tokens = (
            cands.tokens if query.lang == "ja" else [t for t in cands.tokens if not t.isascii() or len(t) > 1]
        )
        # lexical mode has no cosine features: use the model-independent confidence
        model = self._model_free.confidence if mode == "lexical" else cal.confidence
        fallback = self._sentence_fallback(cands) if highlights else None
        hits: list[Hit] = []
        score = np.inf
        for i, feats in zip(ranking.picked, ranking.features, strict=True):
            remark = cands.remarks[cands.ids[i]]
            score = min(score, float(ranking.relevance[i]))  # the reranked head keeps scores non-increasing
            hits.append(
                Hit(
                    remark_id=remark.remark_id,
                    text=remark.text,
                    score=round(score, 6),
                    confidence=round(model.probability(feats), 4),
                    citation=remark.citation(),
                    highlights=highlight(remark.text, tokens, fallback=fallback) if highlights else (),
                )
            )
        answerable = bool(hits) and model.answerable(hits[0].confidence)
        timings["highlight"] = (time.perf_counter() - t1) * 1000
        return hits, answerable

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
