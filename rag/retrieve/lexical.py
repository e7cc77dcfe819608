"""Lexical leg: a Japanese tokenizer (SudachiPy, sudachidict-core) feeding BM25 (`rag.retrieve.bm25`) over remarks.

Tokens are Sudachi's normalized forms of content words (nouns, verbs, adjectives, …; particles,
auxiliaries and symbols dropped) after NFKC width folding, so ＤＡＲＰＡ, DARPA and darpa meet, and
つく/つい share one form. Latin words are lower-cased.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

# Part-of-speech heads that carry no topic: particles, auxiliaries, symbols, blanks, conjunctions …
_STOP_POS = {"助詞", "助動詞", "補助記号", "空白", "記号", "接続詞", "感動詞", "フィラー", "代名詞", "接尾辞"}
# Very frequent verbs/nouns of questions and minutes that only add noise.
_STOP_WORDS = {
    "する",
    "ある",
    "いる",
    "なる",
    "れる",
    "られる",
    "こと",
    "もの",
    "よう",
    "ため",
    "これ",
    "それ",
    "その",
    "この",
    "どう",
    "どの",
    "どのよう",
    "何",
    "なに",
    "について",
    "つく",
    "いう",
    "言う",
    "思う",
    "考える",
    "おる",
    "できる",
    "出来る",
    "ない",
    "中",
    "的",
    "等",
    # Sudachi normalized forms of the light verbs and honorifics above (する → 為る, いる → 居る …)
    "為る",
    "居る",
    "成る",
    "有る",
    "在る",
    "御",
    "付く",
    "致す",
    "下さる",
    "頂く",
    "良い",
    "無い",
    "what",
    "which",
    "who",
    "how",
    "why",
    "when",
    "where",
    "was",
    "were",
    "is",
    "are",
    "the",
    "a",
    "an",
    "of",
    "to",
    "in",
    "on",
    "for",
    "and",
    "or",
    "about",
    "said",
    "say",
    "do",
    "does",
    "did",
    "be",
    "it",
    "its",
    "this",
    "that",
    "with",
    "by",
    "as",
    "at",
    "from",
    "any",
    "there",
    "their",
    "they",
}
_CJK_GAP_RE = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])")
_SPLIT_MODES = {"A", "B", "C"}
_KATAKANA_RE = re.compile(r"[\u30a0-\u30ff]{2,}")


def fold(text: str) -> str:
    """NFKC width folding, with the spaces PDF extraction leaves between CJK characters removed."""
    return _CJK_GAP_RE.sub("", unicodedata.normalize("NFKC", text))


class Tokenizer(Protocol):
    """What `LexicalIndex` needs from a tokenizer (`JapaneseTokenizer`, or another one to compare)."""

    def tokenize(self, text: str, *, bridge: bool = False) -> list[str]: ...

    def tokenize_many(self, texts: Sequence[str]) -> list[list[str]]: ...


class JapaneseTokenizer:
    """SudachiPy content-word tokenizer; thread-safe (one Sudachi tokenizer per thread)."""

    def __init__(self, mode: str = "A") -> None:
        if mode not in _SPLIT_MODES:
            raise ValueError(f"Sudachi split mode must be one of A, B, C, got {mode!r}.")
        from sudachipy import dictionary, tokenizer

        self.mode_name = mode
        self._dictionary = dictionary.Dictionary(dict="core")
        self._mode = getattr(tokenizer.Tokenizer.SplitMode, mode)
        self._local = threading.local()
        self._cached = lru_cache(maxsize=4096)(self._tokenize_uncached)

    def _sudachi(self) -> Any:
        tok = getattr(self._local, "tok", None)
        if tok is None:
            tok = self._dictionary.create(self._mode)
            self._local.tok = tok
        return tok

    def _tokenize_uncached(self, text: str, bridge: bool) -> tuple[str, ...]:
        folded = fold(text)
        out: list[str] = []
        # Sudachi refuses inputs over ~49,000 bytes: tokenize long texts in pieces.
        for start in range(0, len(folded), 8000):
            for m in self._sudachi().tokenize(folded[start : start + 8000]):
                if m.part_of_speech()[0] in _STOP_POS:
                    continue
                surface = m.surface().strip()
                if surface.isascii():
                    # Latin words keep their spelling (Sudachi would turn "what" into ホワット).
                    word = surface.lower()
                    if not word or word in _STOP_WORDS or not any(ch.isalnum() for ch in word):
                        continue
                    out.append(word)
                    form = m.normalized_form()
                    if bridge and _KATAKANA_RE.fullmatch(form):
                        out.append(form)  # loanword bridge: risk money → リスク マネー
                    continue
                form = m.normalized_form().lower()
                if not form.strip() or form in _STOP_WORDS:
                    continue
                out.append(form)
        return tuple(out)

    def tokenize(self, text: str, *, bridge: bool = False) -> list[str]:
        """Content-word tokens; with `bridge`, English words also yield Sudachi's katakana reading."""
        return list(self._cached(text, bridge))

    def tokenize_many(self, texts: Sequence[str]) -> list[list[str]]:
        return [self.tokenize(t) for t in texts]

    def tokenize_corpus(self, texts: Sequence[str]) -> list[list[str]]:
        """Tokens of remark texts at ingest (bypassing the LRU, which is for questions and titles)."""
        return [list(self._tokenize_uncached(t, False)) for t in texts]


class LexicalIndex:
    """BM25 (`rag.retrieve.bm25`, bm25s's scores) over a fixed list of remark texts; scores every remark.

    The Retriever keeps its corpus in `rag.retrieve.corpus.Corpus` (stored tokens, incremental); this one
    tokenizes the texts it is given, for comparisons and small tools."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        remark_ids: Sequence[str],
        texts: Sequence[str],
        k1: float = 1.2,
        b: float = 0.75,
    ) -> None:
        from rag.retrieve.bm25 import BM25

        self.tokenizer = tokenizer
        self.remark_ids = list(remark_ids)
        self.position = {rid: i for i, rid in enumerate(self.remark_ids)}
        corpus_tokens = tokenizer.tokenize_many(texts)
        self.vocabulary: set[str] = {t for doc in corpus_tokens for t in doc}
        self._bm25 = BM25.build(corpus_tokens, k1=k1, b=b)

    def __len__(self) -> int:
        return len(self.remark_ids)

    def query_tokens(self, text: str, *, bridge: bool = False) -> list[str]:
        return self.tokenizer.tokenize(text, bridge=bridge)

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every remark (in `remark_ids` order) for the question tokens."""
        return self._bm25.scores(tokens)

    def coverage(self, tokens: Sequence[str]) -> float:
        """Share of distinct question tokens that occur anywhere in the corpus (0 when there are none)."""
        distinct = set(tokens)
        if not distinct:
            return 0.0
        return sum(1 for t in distinct if t in self.vocabulary) / len(distinct)
