"""The lexical corpus as one immutable snapshot: BM25 over the stored tokens, and which row is which remark.

A `Corpus` is never changed: `apply` returns a new one built from the old one and a `CorpusDelta` of the
store (documents removed or changed, the remarks of documents added or changed, with their stored tokens), so
the Retriever swaps one reference and a search running meanwhile sees either the old state or the new one,
never half of each. Nothing here holds remark texts or metadata: the candidates of a search are read from the
store. A removed remark's row stays, dead (BM25 ignores it), until dead rows pass a quarter of the rows and the
Retriever reloads the corpus from the stored tokens (`needs_compaction`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from index.tokens import CorpusRows
from rag.retrieve.bm25 import BM25
from rag.retrieve.lexical import Tokenizer

logger = logging.getLogger(__name__)

COMPACT_FRACTION = 0.25
COMPACT_MIN_ROWS = 1000


class Corpus:
    """Rows of remarks with their BM25 postings; `remark_ids[row]` names each row (dead rows included)."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        *,
        generation: int = -1,
        remark_ids: list[str] | None = None,
        rows: dict[str, int] | None = None,
        doc_rows: dict[str, np.ndarray] | None = None,
        shas: dict[str, str] | None = None,
        doc_topics: dict[str, frozenset[str]] | None = None,
        bm25: BM25 | None = None,
        max_term: int = 0,
    ) -> None:
        self.tokenizer = tokenizer
        self.generation = generation
        self.remark_ids: list[str] = remark_ids or []
        self.rows: dict[str, int] = rows or {}
        self.doc_rows: dict[str, np.ndarray] = doc_rows or {}
        self.shas: dict[str, str] = shas or {}
        self.doc_topics: dict[str, frozenset[str]] = doc_topics or {}
        self.bm25 = bm25 or BM25.empty()
        self.max_term = max_term  # the highest stored term id the vocabulary holds

    # --- building -------------------------------------------------------------------------
    def apply(self, delta: Any) -> Corpus:
        """A new corpus: ``delta.removed`` documents dropped, ``delta.rows`` (with their term ids) appended."""
        vocab = self.bm25.vocab  # append-only: older snapshots sharing it never see postings of new terms
        for term_id, term in delta.terms:
            vocab[term] = term_id
        max_term = max([self.max_term, *(t for t, _ in delta.terms)])
        new_ids, documents, topics_of, terms, lengths = _columns(delta.rows)
        removed = [d for d in delta.removed if d in self.doc_rows]
        dead = np.concatenate([self.doc_rows[d] for d in removed]) if removed else np.zeros(0, np.int64)
        gone = set(removed)
        rows = dict(self.rows)
        for r in dead:
            rid = self.remark_ids[r]
            if rows.get(rid) == r:
                del rows[rid]
        doc_rows = {d: v for d, v in self.doc_rows.items() if d not in gone}
        doc_topics = {d: v for d, v in self.doc_topics.items() if d not in gone}
        start = len(self.remark_ids)
        rows.update(zip(new_ids, range(start, start + len(new_ids)), strict=True))
        by_doc: dict[str, list[int]] = {}
        topics: dict[str, set[str]] = {}
        for i, (document, topic) in enumerate(zip(documents, topics_of, strict=True)):
            by_doc.setdefault(document, []).append(start + i)
            if topic:
                topics.setdefault(document, set()).add(topic)
        doc_rows.update({d: np.asarray(v, dtype=np.int64) for d, v in by_doc.items()})
        doc_topics.update({d: frozenset(v) for d, v in topics.items()})
        return Corpus(
            self.tokenizer,
            generation=delta.generation,
            remark_ids=self.remark_ids + new_ids,
            rows=rows,
            doc_rows=doc_rows,
            shas=dict(delta.shas),
            doc_topics=doc_topics,
            bm25=self.bm25.updated_flat(dead, terms, lengths),
            max_term=max_term,
        )

    @property
    def needs_compaction(self) -> bool:
        dead = len(self.remark_ids) - self.bm25.n
        return len(self.remark_ids) >= COMPACT_MIN_ROWS and dead > COMPACT_FRACTION * len(self.remark_ids)

    # --- reading --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.remark_ids)

    @property
    def size(self) -> int:
        """Live remarks."""
        return self.bm25.n

    @property
    def vocabulary(self) -> BM25:
        """Supports ``token in corpus.vocabulary`` (a token some live remark has)."""
        return self.bm25

    def titles(self) -> set[str]:
        return {t for topics in self.doc_topics.values() for t in topics}

    def query_tokens(self, text: str, *, bridge: bool = False) -> list[str]:
        return self.tokenizer.tokenize(text, bridge=bridge)

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every row (``remark_ids`` order; dead rows 0)."""
        return self.bm25.scores(tokens)

    def mask(self, allowed: set[str]) -> np.ndarray:
        """Rows whose remark is in ``allowed``."""
        out = np.zeros(len(self.remark_ids), dtype=bool)
        picked = [self.rows[r] for r in allowed if r in self.rows]
        out[np.asarray(picked, dtype=np.int64)] = True
        return out

    def top(self, tokens: Sequence[str], depth: int, allowed: set[str] | None = None) -> dict[str, float]:
        """The ``depth`` best-scoring live remarks with a positive score (remark id → BM25 score)."""
        scores = self.scores(tokens)
        if allowed is not None:
            scores = np.where(self.mask(allowed), scores, 0.0)
        pool = np.arange(len(scores))
        if (
            0 < depth < len(scores)
        ):  # the rows tied with the depth-th best all stay, so ties break by row as in a full sort
            kth = np.partition(-scores, depth - 1)[depth - 1]
            pool = np.flatnonzero(-scores <= kth)
        top = pool[np.argsort(-scores[pool], kind="stable")][: max(depth, 0)]
        return {self.remark_ids[i]: float(scores[i]) for i in top if scores[i] > 0}

    def term_ids(self, tokens: Sequence[str]) -> frozenset[int]:
        """Ids of the tokens the vocabulary knows."""
        vocab = self.bm25.vocab
        return frozenset(vocab[t] for t in tokens if t in vocab)

    def coverage(self, tokens: Sequence[str]) -> float:
        """Share of distinct question tokens that occur in some live remark (0 when there are none)."""
        distinct = set(tokens)
        if not distinct:
            return 0.0
        return sum(1 for t in distinct if t in self.bm25) / len(distinct)


def _columns(rows: Sequence[Any]) -> tuple[list[str], list[str], list[str | None], np.ndarray, np.ndarray]:
    """(remark ids, documents, topics, term ids end to end, their counts) of a delta's rows; the store's
    ``CorpusRows`` has them as columns already (a row without stored tokens counts as empty)."""
    if isinstance(rows, CorpusRows):
        return rows.remark_ids, rows.documents, rows.topics, rows.terms, np.maximum(rows.lengths, 0)
    empty = np.zeros(0, np.int32)
    arrays = [empty if r.term_ids is None else np.asarray(r.term_ids) for r in rows]
    lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
    terms = np.concatenate(arrays) if arrays else empty
    return [r.remark_id for r in rows], [r.document for r in rows], [r.topic for r in rows], terms, lengths


def backfill_tokens(store: Any, tokenizer: Tokenizer, rows: Sequence[Any]) -> bool:
    """Tokenize and store the remarks of ``rows`` stored without tokens (indexes from before schema v3), once:
    the next open reads them. Returns whether there were any."""
    missing = rows.missing() if isinstance(rows, CorpusRows) else [r for r in rows if r.term_ids is None]
    if not missing:
        return False
    t0 = time.perf_counter()
    fresh = tokenizer.tokenize_many([r.text or "" for r in missing])
    store.store_tokens([(r.remark_id, toks) for r, toks in zip(missing, fresh, strict=True)])
    logger.info(
        "backfilled the lexical tokens of %d remarks indexed without them in %.1f s (stored)",
        len(missing),
        time.perf_counter() - t0,
    )
    return True
