"""BM25 over stored token lists, updated in place of a rebuild: segments of postings plus a live-row mask.

Scores are those of bm25s's default (method "lucene", k1 1.2, b 0.75): idf = ln(1 + (N - df + 0.5) / (df + 0.5)),
tf part = tf / (tf + k1 · (1 - b + b · dl / avgdl)), summed over the question's tokens (a repeated token counts
each time; tokens no live remark has are skipped). N, df and avgdl count live rows only, and an empty remark
has length 1 (bm25s is given a placeholder token for it), so the scores match a bm25s index built over the live
remarks alone (tested). Postings keep raw term frequencies; the statistics are applied at query time, so adding
a segment or marking rows dead never touches the other rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

K1 = 1.2
B = 0.75
MAX_SEGMENTS = 8  # past this many, the small segments are merged into one


@dataclass(frozen=True)
class Segment:
    """Postings of a batch of rows: term id → (rows, term frequencies), term-major like a CSC matrix."""

    indptr: np.ndarray  # int64, (highest term id in the segment + 2)
    rows: np.ndarray  # int64 global row of each posting
    tfs: np.ndarray  # float32

    @classmethod
    def build(cls, rows: np.ndarray, term_ids: Sequence[np.ndarray]) -> Segment:
        """Postings of ``rows`` (one array of term ids per row)."""
        lengths = np.fromiter((len(t) for t in term_ids), dtype=np.int64, count=len(term_ids))
        terms = np.concatenate(term_ids) if len(term_ids) else np.zeros(0, np.int64)
        return cls.from_tokens(np.repeat(np.asarray(rows, dtype=np.int64), lengths), terms)

    @classmethod
    def from_tokens(cls, rows: np.ndarray, terms: np.ndarray) -> Segment:
        """Postings of tokens given as parallel arrays (the row and the term id of each token occurrence):
        one sort of (term, row) keys, whose runs are the term frequencies (what ``from_triples`` gives with
        every tf 1, without its inverse index)."""
        if not len(terms):
            return cls(np.zeros(1, dtype=np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))
        rows = np.asarray(rows, dtype=np.int64)
        span = int(rows.max()) + 1
        keys = np.sort(np.asarray(terms, dtype=np.int64) * span + rows)
        starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
        tfs = np.diff(np.append(starts, len(keys))).astype(np.float32)
        return cls._from_keys(keys[starts], span, tfs)

    @classmethod
    def from_triples(cls, terms: np.ndarray, rows: np.ndarray, tfs: np.ndarray) -> Segment:
        """Postings from (term id, row, tf) triples, duplicates summed."""
        if not len(terms):
            return cls(np.zeros(1, dtype=np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))
        span = int(rows.max()) + 1
        keys, inverse = np.unique(terms * span + rows, return_inverse=True)
        summed = np.bincount(inverse, weights=tfs).astype(np.float32)
        return cls._from_keys(keys, span, summed)

    @classmethod
    def _from_keys(cls, keys: np.ndarray, span: int, tfs: np.ndarray) -> Segment:
        """From sorted distinct (term · span + row) keys and their term frequencies."""
        key_terms = keys // span
        n_terms = int(key_terms[-1]) + 1
        indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(np.bincount(key_terms, minlength=n_terms), out=indptr[1:])
        return cls(indptr, keys % span, tfs)

    def postings(self, term: int) -> tuple[np.ndarray, np.ndarray] | None:
        if term + 1 >= len(self.indptr):
            return None
        a, b = self.indptr[term], self.indptr[term + 1]
        if a == b:
            return None
        return self.rows[a:b], self.tfs[a:b]

    def triples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(term id, row, tf) of every posting."""
        return (
            np.repeat(np.arange(len(self.indptr) - 1, dtype=np.int64), np.diff(self.indptr)),
            self.rows,
            self.tfs,
        )


def merge(segments: Sequence[Segment]) -> Segment:
    parts = [s.triples() for s in segments]
    return Segment.from_triples(*(np.concatenate([p[k] for p in parts]) for k in range(3)))


class BM25:
    """An immutable BM25 index over rows 0..n-1; ``updated`` returns a new one sharing the untouched parts."""

    def __init__(
        self,
        vocab: dict[str, int],
        segments: Sequence[Segment],
        doc_len: np.ndarray,
        alive: np.ndarray,
        k1: float = K1,
        b: float = B,
    ) -> None:
        self.vocab = vocab  # term → id; append-only, so snapshots may share it
        self.segments = tuple(segments)
        self.doc_len = doc_len  # float32, one per row (>= 1)
        self.alive = alive  # bool, one per row
        self.k1, self.b = k1, b
        self.n = int(alive.sum())
        self.avgdl = float(doc_len[alive].sum() / self.n) if self.n else 1.0

    @classmethod
    def empty(cls, vocab: dict[str, int] | None = None) -> BM25:
        return cls({} if vocab is None else vocab, [], np.zeros(0, np.float32), np.zeros(0, bool))

    @classmethod
    def build(cls, token_lists: Sequence[Sequence[str]], k1: float = K1, b: float = B) -> BM25:
        """From token strings (ids given here, in order of first use)."""
        vocab: dict[str, int] = {}
        ids = [
            np.array([vocab.setdefault(t, len(vocab)) for t in toks], dtype=np.int64) for toks in token_lists
        ]
        return cls(vocab, [], np.zeros(0, np.float32), np.zeros(0, bool), k1, b).updated(
            np.zeros(0, np.int64), ids
        )

    def __len__(self) -> int:
        return len(self.alive)

    def updated(self, dead_rows: np.ndarray, token_lists: Sequence[np.ndarray]) -> BM25:
        """A new index with ``dead_rows`` dropped and rows len(self)… appended (one array of term ids each)."""
        lengths = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=len(token_lists))
        terms = np.concatenate(token_lists) if len(token_lists) else np.zeros(0, np.int64)
        return self.updated_flat(dead_rows, terms, lengths)

    def updated_flat(self, dead_rows: np.ndarray, terms: np.ndarray, lengths: np.ndarray) -> BM25:
        """``updated`` with the new rows' term ids end to end in ``terms`` and their counts in ``lengths``."""
        alive = self.alive.copy()
        alive[np.asarray(dead_rows, dtype=np.int64)] = False
        segments = list(self.segments)
        doc_len = self.doc_len
        if len(lengths):
            rows = np.arange(len(self), len(self) + len(lengths), dtype=np.int64)
            segments.append(Segment.from_tokens(np.repeat(rows, lengths), terms))
            doc_len = np.concatenate([doc_len, np.maximum(lengths, 1).astype(np.float32)])
            alive = np.concatenate([alive, np.ones(len(lengths), dtype=bool)])
        if len(segments) > MAX_SEGMENTS:
            segments = [segments[0], merge(segments[1:])]
        return BM25(self.vocab, segments, doc_len, alive, self.k1, self.b)

    def df(self, token: str) -> int:
        term = self.vocab.get(token)
        if term is None:
            return 0
        count = 0
        for seg in self.segments:
            found = seg.postings(term)
            if found is not None:
                count += int(self.alive[found[0]].sum())
        return count

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and self.df(token) > 0

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every row (dead rows 0) for the question tokens."""
        out = np.zeros(len(self), dtype=np.float32)
        if not self.n:
            return out
        norm = self.k1 * (1.0 - self.b)
        scale = self.k1 * self.b / self.avgdl
        for token in tokens:
            term = self.vocab.get(token)
            if term is None:
                continue
            found = [p for seg in self.segments if (p := seg.postings(term)) is not None]
            if not found:
                continue
            live = [(rows[m], tfs[m]) for rows, tfs in found if (m := self.alive[rows]).any()]
            df = sum(len(r) for r, _ in live)
            if not df:
                continue
            idf = math.log(1.0 + (self.n - df + 0.5) / (df + 0.5))
            for rows, tfs in live:
                out[rows] += (idf * tfs / (tfs + norm + scale * self.doc_len[rows])).astype(np.float32)
        return out

