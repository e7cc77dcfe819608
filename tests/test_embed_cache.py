"""The SQLite embedding cache: hits skip the model entirely."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.embed import EmbeddingCache, HashingEmbedder, embed_passages_cached


class CountingEmbedder(HashingEmbedder):
    def __init__(self, dim: int = 32, prompt: str = "") -> None:
        super().__init__(dim)
        self.passage_prompt = prompt
        self.calls = 0
        self.texts_embedded: list[str] = []

    def _encode(self, texts: list[str], prompt: str, *, progress: bool) -> np.ndarray:
        self.calls += 1
        self.texts_embedded.extend(texts)
        return super()._encode(texts, prompt, progress=progress)


TEXTS = ["委員Aの発言", "委員Bの発言", "remark C"]


def test_misses_then_hits(tmp_path: Path) -> None:
    emb = CountingEmbedder()
    cache = EmbeddingCache(tmp_path / "emb.sqlite")
    first = embed_passages_cached(emb, TEXTS, cache)
    assert emb.calls == 1 and emb.texts_embedded == TEXTS
    np.testing.assert_array_equal(first, HashingEmbedder(32).embed_passages(TEXTS))

    again = embed_passages_cached(emb, TEXTS, cache)
    assert emb.calls == 1  # all hits: the model was not called
    np.testing.assert_array_equal(again, first)

    mixed = embed_passages_cached(emb, ["new remark", TEXTS[1], "new remark"], cache)
    assert emb.calls == 2 and emb.texts_embedded[3:] == ["new remark"]  # duplicate embedded once
    np.testing.assert_array_equal(mixed[1], first[1])
    np.testing.assert_array_equal(mixed[0], mixed[2])
    assert cache.count(emb.fingerprint) == 4
    cache.close()

    reopened = EmbeddingCache(tmp_path / "emb.sqlite")  # persists across processes/opens
    hits = reopened.get_many(emb.fingerprint, ["remark C", "unknown"])
    assert list(hits) == [0]
    np.testing.assert_array_equal(hits[0], first[2])
    reopened.close()


def test_keys_include_fingerprint_and_prompt(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "emb.sqlite")
    vecs = np.eye(3, 4, dtype=np.float32)
    cache.put_many("fp-a", TEXTS, vecs)
    assert cache.get_many("fp-b", TEXTS) == {}
    assert cache.get_many("fp-a", TEXTS, prompt="passage: ") == {}
    got = cache.get_many("fp-a", TEXTS)
    assert sorted(got) == [0, 1, 2]
    np.testing.assert_array_equal(np.stack([got[i] for i in range(3)]), vecs)

    emb = CountingEmbedder(prompt="passage: ")
    embed_passages_cached(emb, TEXTS, cache)
    assert emb.calls == 1  # prompted texts are different keys
    with pytest.raises(ValueError, match="one vector per text"):
        cache.put_many("fp-a", TEXTS, vecs[:2])
    cache.close()
