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
    """Postings of a batch of rows: term → (rows, term frequencies), term-major like a CSC matrix."""

    vocab: dict[str, int]
    indptr: np.ndarray  # int64, len(vocab) + 1
    rows: np.ndarray  # int64 global row of each posting
    tfs: np.ndarray  # float32

    @classmethod
    def build(cls, rows: np.ndarray, token_lists: Sequence[Sequence[str]]) -> Segment:
        vocab: dict[str, int] = {}
        lengths = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=len(token_lists))
        total = int(lengths.sum())
        term_ids = np.fromiter(
            (vocab.setdefault(t, len(vocab)) for toks in token_lists for t in toks), dtype=np.int64, count=total
        )
        row_of_token = np.repeat(np.asarray(rows, dtype=np.int64), lengths)
        return cls.from_triples(vocab, term_ids, row_of_token, np.ones(total, dtype=np.float32))

    @classmethod
    def from_triples(cls, vocab: dict[str, int], terms: np.ndarray, rows: np.ndarray, tfs: np.ndarray) -> Segment:
        """Postings from (term id, row, tf) triples, duplicates summed."""
        if not len(terms):
            return cls(vocab, np.zeros(len(vocab) + 1, dtype=np.int64), terms.astype(np.int64), tfs.astype(np.float32))
        span = int(rows.max()) + 1
        keys, inverse = np.unique(terms * span + rows, return_inverse=True)
        summed = np.bincount(inverse, weights=tfs).astype(np.float32)
        key_terms = keys // span
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(key_terms, minlength=len(vocab)), out=indptr[1:])
        return cls(vocab, indptr, keys % span, summed)

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        col = self.vocab.get(term)
        if col is None:
            return None
        a, b = self.indptr[col], self.indptr[col + 1]
        return self.rows[a:b], self.tfs[a:b]

    def triples(self, merged_vocab: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(term id in ``merged_vocab``, row, tf) of every posting; adds this segment's terms to the vocab."""
        local_to_merged = np.fromiter(
            (merged_vocab.setdefault(t, len(merged_vocab)) for t in self.vocab), dtype=np.int64, count=len(self.vocab)
        )
        local = np.repeat(np.arange(len(self.vocab), dtype=np.int64), np.diff(self.indptr))
        return local_to_merged[local] if len(local) else local, self.rows, self.tfs


def merge(segments: Sequence[Segment]) -> Segment:
    vocab: dict[str, int] = {}
    parts = [s.triples(vocab) for s in segments]
    terms = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    rows = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    tfs = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, np.float32)
    return Segment.from_triples(vocab, terms, rows, tfs)


class BM25:
    """An immutable BM25 index over rows 0..n-1; ``updated`` returns a new one sharing the untouched parts."""

    def __init__(self, segments: Sequence[Segment], doc_len: np.ndarray, alive: np.ndarray,
                 k1: float = K1, b: float = B) -> None:
        self.segments = tuple(segments)
        self.doc_len = doc_len  # float32, one per row (>= 1)
        self.alive = alive  # bool, one per row
        self.k1, self.b = k1, b
        self.n = int(alive.sum())
        self.avgdl = float(doc_len[alive].sum() / self.n) if self.n else 1.0

    @classmethod
    def build(cls, token_lists: Sequence[Sequence[str]], k1: float = K1, b: float = B) -> BM25:
        rows = np.arange(len(token_lists), dtype=np.int64)
        seg = Segment.build(rows, token_lists)
        return cls([seg], _lengths(token_lists), np.ones(len(token_lists), dtype=bool), k1, b)

    def __len__(self) -> int:
        return len(self.alive)

    def updated(self, dead_rows: np.ndarray, token_lists: Sequence[Sequence[str]]) -> BM25:
        """A new index with ``dead_rows`` dropped and ``token_lists`` appended as rows len(self)…"""
        alive = self.alive.copy()
        alive[np.asarray(dead_rows, dtype=np.int64)] = False
        segments = list(self.segments)
        doc_len = self.doc_len
        if token_lists:
            rows = np.arange(len(self), len(self) + len(token_lists), dtype=np.int64)
            segments.append(Segment.build(rows, token_lists))
            doc_len = np.concatenate([doc_len, _lengths(token_lists)])
            alive = np.concatenate([alive, np.ones(len(token_lists), dtype=bool)])
        if len(segments) > MAX_SEGMENTS:
            segments = [segments[0], merge(segments[1:])]
        return BM25(segments, doc_len, alive, self.k1, self.b)

    def df(self, token: str) -> int:
        count = 0
        for seg in self.segments:
            found = seg.postings(token)
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
            found = [p for seg in self.segments if (p := seg.postings(token)) is not None]
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


def _lengths(token_lists: Sequence[Sequence[str]]) -> np.ndarray:
    return np.fromiter((max(len(t), 1) for t in token_lists), dtype=np.float32, count=len(token_lists))
