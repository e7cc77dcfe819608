"""The BM25 leg over stored tokens: the same scores as bm25s, through adds, removals and segment merges."""

from __future__ import annotations

import random

import bm25s
import numpy as np
import pytest

from index.tokens import CorpusDelta, CorpusRow
from rag.retrieve.bm25 import BM25, MAX_SEGMENTS
from rag.retrieve.corpus import Corpus
from rag.retrieve.lexical import JapaneseTokenizer

WORDS = [f"w{i}" for i in range(30)]


def corpus(n: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    # a Zipf-ish vocabulary, some empty remarks, repeated words
    return [[rng.choice(WORDS[: rng.randint(3, 30)]) for _ in range(rng.randint(0, 15))] for _ in range(n)]


def reference(docs: list[list[str]], query: list[str]) -> np.ndarray:
    ref = bm25s.BM25(k1=1.2, b=0.75)
    ref.index([d or ["\u0000"] for d in docs], show_progress=False)  # how the old LexicalIndex fed bm25s
    known = [t for t in query if t in ref.vocab_dict]
    return np.asarray(ref.get_scores(known)) if known else np.zeros(len(docs))


QUERIES = [["w1"], ["w2", "w7", "w2"], ["w29", "nope"], ["nope"], ["w0", "w3", "w5", "w8", "w13"]]


@pytest.mark.parametrize("query", QUERIES)
def test_scores_equal_bm25s(query: list[str]) -> None:
    docs = corpus(400, seed=1)
    np.testing.assert_allclose(BM25.build(docs).scores(query), reference(docs, query), rtol=1e-5, atol=1e-6)


def test_updates_equal_a_fresh_bm25s_over_the_live_rows() -> None:
    docs = corpus(300, seed=2)
    index = BM25.build(docs)
    live = list(range(300))
    rng = random.Random(3)
    for step in range(2 * MAX_SEGMENTS + 3):  # enough batches to merge segments twice
        dead = rng.sample(live, 10)
        live = [r for r in live if r not in dead]
        extra = corpus(rng.randint(0, 20), seed=100 + step)
        ids = [np.array([index.vocab.setdefault(t, len(index.vocab)) for t in d], np.int32) for d in extra]
        index = index.updated(np.array(dead, dtype=np.int64), ids)
        live.extend(range(len(docs), len(docs) + len(extra)))
        docs.extend(extra)
    assert len(index.segments) <= MAX_SEGMENTS
    for query in QUERIES:
        mine = index.scores(query)
        assert not mine[[r for r in range(len(docs)) if r not in set(live)]].any()  # dead rows score 0
        np.testing.assert_allclose(mine[live], reference([docs[r] for r in live], query), rtol=1e-5, atol=1e-6)
        assert all(index.df(t) == sum(t in docs[r] for r in live) for t in query)


def delta(gen: int, shas: dict[str, str], removed: list[str], rows: list[tuple[str, str, str | None, list[str]]],
          vocab: dict[str, int]) -> CorpusDelta:
    """A store's delta: rows (remark, document, topic, tokens), with term ids from ``vocab`` (new terms listed)."""
    before = len(vocab)
    built = [CorpusRow(rid, doc, topic, np.array([vocab.setdefault(t, len(vocab) + 1) for t in toks], np.int32))
             for rid, doc, topic, toks in rows]
    terms = [(i, t) for t, i in vocab.items() if i > before]
    return CorpusDelta(gen, shas, removed, built, terms)


def test_corpus_snapshot_follows_deltas_and_keeps_the_old_one_intact() -> None:
    tok = JapaneseTokenizer("A")
    vocab: dict[str, int] = {}
    first = Corpus(tok).apply(delta(1, {"a": "s1"}, [], [("a#0", "a", "論点1", ["量子", "研究"]),
                                                          ("a#1", "a", "論点1", ["資金", "調達"])], vocab))
    assert first.top(["量子"], 5) == {"a#0": pytest.approx(float(first.scores(["量子"])[0]))}
    # document a changes (its remark a#0 now speaks of 資金) and b arrives with a new word
    second = first.apply(delta(2, {"a": "s2", "b": "s1"}, ["a"], [("a#0", "a", "論点2", ["資金"]),
                                                                 ("b#0", "b", None, ["量子", "漁業"])], vocab))
    assert set(second.top(["量子"], 5)) == {"b#0"} and set(second.top(["資金"], 5)) == {"a#0"}
    assert second.size == 2 and len(second) == 4 and second.titles() == {"論点2"} and second.max_term == 5
    assert set(first.top(["量子"], 5)) == {"a#0"} and first.titles() == {"論点1"}  # the old snapshot is unchanged
    assert not first.top(["漁業"], 5) and "漁業" not in first.vocabulary
    assert set(second.top(["資金", "量子"], 5, allowed={"b#0"})) == {"b#0"}
    assert second.coverage(["量子", "宇宙"]) == 0.5 and "研究" not in second.vocabulary


def test_top_breaks_ties_by_row_like_a_full_sort() -> None:
    docs = [["x"]] * 10 + [["x", "x"]]
    c = Corpus(JapaneseTokenizer("A")).apply(delta(1, {"d": "s"}, [], [(f"d#{i}", "d", None, t) for i, t in enumerate(docs)], {}))
    assert list(c.top(["x"], 3)) == ["d#10", "d#0", "d#1"]
