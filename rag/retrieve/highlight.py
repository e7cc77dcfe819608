"""Highlights: the sentence(s) of a remark that best match the question, with offsets into its text.

Sentences are scored by how much of the question they contain: the question's content words
(Sudachi tokens, width-folded) are broken into character bigrams, and a sentence scores the share
of those bigrams it holds. That needs no model call, so it costs well under a millisecond per hit.
When nothing overlaps (typically an English question about Japanese text) an optional
`fallback` scorer (sentence embeddings, mostly cached by the rerank stage) picks the one closest
sentence; without one the first sentence is returned.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rag.normalize import search_key
from rag.types import Highlight

_SENTENCE_END_RE = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+|\n|$)")

SentenceScorer = Callable[[Sequence[str]], Sequence[float] | None]  # None: no opinion


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`, surrounding whitespace excluded; empty ones skipped."""
    spans: list[tuple[int, int]] = []
    for m in _SENTENCE_END_RE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def query_grams(tokens: Sequence[str]) -> frozenset[str]:
    """Character bigrams of each content token (a one-character token counts as itself)."""
    grams: set[str] = set()
    for tok in tokens:
        t = search_key(tok).replace(" ", "")
        if len(t) == 1:
            grams.add(t)
        grams.update(t[i : i + 2] for i in range(len(t) - 1))
    return frozenset(grams)


def _overlap_score(grams: frozenset[str], sentence: str) -> float:
    if not grams:
        return 0.0
    s = "".join(search_key(sentence).split())
    return sum(1 for g in grams if g in s) / len(grams)


def highlight(
    text: str,
    tokens: Sequence[str],
    *,
    max_sentences: int = 2,
    relative: float = 0.6,
    fallback: SentenceScorer | None = None,
) -> tuple[Highlight, ...]:
    """Best-matching sentence(s) of `text` for the question tokens, in text order.

    The best sentence is always returned; up to `max_sentences − 1` more whose score is at least
    `relative` × the best join it. Every highlight satisfies text[h.start:h.end] == h.text.
    """
    spans = split_sentences(text)
    if not spans:
        return ()
    sentences = [text[a:b] for a, b in spans]
    grams = query_grams(tokens)
    scores = [_overlap_score(grams, s) for s in sentences]
    if max(scores) <= 0.0:
        fallback_scores = fallback(sentences) if fallback is not None else None
        if fallback_scores is None:
            a, b = spans[0]
            return (Highlight(text=text[a:b], start=a, end=b),)
        scores = [float(x) for x in fallback_scores]
        max_sentences = 1  # similarities are all high: show only the closest sentence
    best = max(scores)
    ranked = sorted(range(len(spans)), key=lambda i: (-scores[i], i))
    chosen = [ranked[0]] + [
        i for i in ranked[1:max_sentences] if scores[i] >= relative * best and scores[i] > 0
    ]
    return tuple(
        Highlight(text=text[spans[i][0] : spans[i][1]], start=spans[i][0], end=spans[i][1])
        for i in sorted(chosen)
    )
