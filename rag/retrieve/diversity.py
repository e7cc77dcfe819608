"""Near-duplicate collapse of the top k.

Similarity between remarks is measured on character bigrams of their width-folded text, which is
cheap, needs no vectors, and works for Japanese without a tokenizer:

near-duplicates (the same remark in two documents, or one text contained in another) have an
*overlap coefficient* |A∩B| / min(|A|, |B|) ≥ `threshold`; only the better-ranked one is kept.
(MMR used to follow; tuned on dev its λ went to 1.0, i.e. off, so it was removed.)
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
