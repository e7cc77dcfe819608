"""The hashing test embedder: deterministic, normalized, shaped like a real Embedder."""

from __future__ import annotations

import numpy as np
import pytest

from rag.embed import Embedder, HashingEmbedder, load_embedder
from rag.errors import InputError, ModelError
from rag.settings import Settings


def test_load_embedder_returns_hashing_for_hash_ids() -> None:
    emb = load_embedder(Settings(model="hash:64"))
    assert isinstance(emb, HashingEmbedder) and isinstance(emb, Embedder)
    assert emb.model_id == "hash:64" and emb.dim == 64
    assert load_embedder(Settings(model="hash:64")) is emb
    assert load_embedder(Settings(model="hash:32")).fingerprint != emb.fingerprint


def test_deterministic_and_normalized() -> None:
    a, b = HashingEmbedder(64), HashingEmbedder(64)
    texts = ["研究開発への投資", "export controls", "", "x"]
    va, vb = a.embed_passages(texts), b.embed_queries(texts)
    assert va.dtype == np.float32 and va.shape == (4, 64)
    np.testing.assert_array_equal(va, vb)  # no prompts: queries and passages coincide
    np.testing.assert_allclose(np.linalg.norm(va, axis=1), 1.0, atol=1e-6)
    assert a.fingerprint == b.fingerprint and len(a.fingerprint) == 64
    # "ab" has three padded bigrams (^a, ab, b$): three buckets of magnitude 1/sqrt(3) (dim 4096: no collision)
    v = HashingEmbedder(4096).embed_queries(["ab"])[0]
    np.testing.assert_allclose(np.sort(np.abs(v[v != 0])), [3**-0.5] * 3, rtol=1e-6)


def test_similar_texts_score_higher() -> None:
    emb = HashingEmbedder(256)
    q = emb.embed_queries(["技術流出の防止策"])[0]
    p = emb.embed_passages(["技術流出を防止する方策が必要", "ベンチャーキャピタルの規模"])
    assert p[0] @ q > p[1] @ q


def test_bad_inputs() -> None:
    with pytest.raises(ModelError):
        load_embedder(Settings(model="hash:abc"))
    with pytest.raises(ModelError):
        HashingEmbedder(1)
    with pytest.raises(InputError):
        HashingEmbedder(8).embed_queries("not a list")
    assert HashingEmbedder(8).embed_passages([]).shape == (0, 8)
