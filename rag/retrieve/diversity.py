"""Diversity of the top k: near-duplicate collapse and maximal marginal relevance (MMR).

Similarity between remarks is measured on character bigrams of their width-folded text, which is
cheap, needs no vectors, and works for Japanese without a tokenizer:

- near-duplicates (the same remark in two documents, or one text contained in another) have an
  *overlap coefficient* |A∩B| / min(|A|, |B|) ≥ `threshold`; only the better-ranked one is kept;
- MMR trades relevance for novelty with the Jaccard similarity |A∩B| / |A∪B|.
"""

from __future__ import annotations

from collections.abc import Sequence

from rag.normalize import search_key


def bigrams(text: str) -> frozenset[str]:
    """Character bigrams of the folded text with whitespace removed (a single character → itself)."""
    s = "".join(search_key(text).split())
    if len(s) < 2:
        return frozenset([s]) if s else frozenset()
    return frozenset(s[i : i + 2] for i in range(len(s) - 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def collapse_near_duplicates(
    order: Sequence[int], grams: Sequence[frozenset[str]], threshold: float = 0.9, keep: int | None = None
) -> list[int]:
    """Keep candidates in `order`, dropping any whose bigrams overlap an already-kept one ≥ threshold.

    With `keep`, stop checking once that many are kept and append the rest of `order` as it is: the
    caller shows `keep` hits, so the cost is about len(scanned) × keep overlaps, not len(order)².
    """
    kept: list[int] = []
    for pos, i in enumerate(order):
        if keep is not None and len(kept) >= keep:
            return kept + list(order[pos:])
        if all(overlap(grams[i], grams[j]) < threshold for j in kept):
            kept.append(i)
    return kept


def mmr(
    order: Sequence[int],
    relevance: Sequence[float],
    grams: Sequence[frozenset[str]],
    k: int,
    lam: float = 0.7,
) -> list[int]:
    """Maximal marginal relevance: pick, k times, argmax λ·rel(i) − (1 − λ)·max_j∈picked sim(i, j).

    `order` lists the candidates best first (ties in the MMR score keep that order); `relevance`
    should lie on a 0–1 scale like the similarities. λ = 1 returns the first k of `order`.
    """
    pool = list(order)
    picked: list[int] = []
    max_sim = {i: 0.0 for i in pool}
    while pool and len(picked) < k:
        best = max(pool, key=lambda i: lam * relevance[i] - (1.0 - lam) * max_sim[i])
        picked.append(best)
        pool.remove(best)
        for i in pool:
            max_sim[i] = max(max_sim[i], jaccard(grams[i], grams[best]))
    return picked
