"""Second-stage reranking of the top candidates.

- With a cross-encoder (`Settings.cross_encoder`, a local path: nothing is downloaded, or one the
  caller hands the Retriever): a sentence-transformers `CrossEncoder` rescores the top candidates.
- Without one, a cheap stage: each top candidate's dense score is mixed with the best cosine of its
  single *sentences* with the question (`SentenceScorer`). A remark often makes several points and
  the question asks about one; the whole-remark vector blurs them. Sentence vectors are embedded at
  query time, only for the few candidates the stage rescores (`remark_sentences` lists them), and kept in
  the index's persistent embedding cache and an in-memory LRU here, so a remark's sentences are embedded
  once, the first time it reaches the head of a ranking (ingest embeds the chunks alone).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from rag.errors import ModelError
from rag.retrieve.highlight import split_sentences

logger = logging.getLogger(__name__)


class PairScorer(Protocol):
    def predict(self, sentences: Any, *args: Any, **kwargs: Any) -> Any: ...


def load_cross_encoder(name_or_path: str, device: str | None = None) -> PairScorer:
    """Load a CrossEncoder from a local path (or a model already in the local HF cache)."""
    try:
        from sentence_transformers import CrossEncoder

        model: PairScorer = CrossEncoder(name_or_path, device=device, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any loader failure is the same problem for the user
        raise ModelError(
            f"cannot load the cross-encoder {name_or_path!r} ({exc}); set RAG_CROSS_ENCODER to a local "
            "model directory, or unset it to rank without one"
        ) from exc
    return model


def cross_encoder_scores(
    model: PairScorer, question: str, texts: Sequence[str], batch_size: int = 16
) -> np.ndarray:
    """Relevance score of each text for the question (higher is better)."""
    if not texts:
        return np.zeros(0, dtype=np.float32)
    pairs = [(question, t) for t in texts]
    scores = model.predict(pairs, batch_size=batch_size, show_progress_bar=False)
    return np.asarray(scores, dtype=np.float32).reshape(len(texts), -1)[:, -1]


def to_unit(scores: np.ndarray) -> np.ndarray:
    """Min–max map onto 0–1 (constant → ones), so reranked scores fit MMR and confidence features."""
    if scores.size == 0:
        return scores.astype(np.float64)
    span = float(scores.max() - scores.min())
    if span <= 1e-12:
        return np.ones_like(scores, dtype=np.float64)
    return (scores.astype(np.float64) - float(scores.min())) / span


def remark_sentences(text: str) -> list[str]:
    """The sentences the rerank stage scores for one remark (the remark itself when it has one sentence)."""
    return [text[a:b] for a, b in split_sentences(text)] or [text]


class SentenceScorer:
    """Best sentence-level cosine of each text with a question vector.

    Sentence vectors come from an in-memory LRU, then from ``cache`` (the index's persistent embedding cache),
    and are embedded only when missing from both. Ingest embeds chunks, not sentences, so a remark's sentences
    are embedded the first time it reaches the head of a ranking and are read from ``cache`` after that.
    """

    def __init__(self, embedder: Any, max_cache: int = 50_000, cache: Any | None = None) -> None:
        self.embedder = embedder
        self.max_cache = max_cache
        self.persistent = cache
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def vectors(self, sentences: Sequence[str]) -> np.ndarray:
        """Passage vectors of the sentences (embedding only those not cached)."""
        with self._lock:
            missing = [s for s in dict.fromkeys(sentences) if s not in self._cache]
        if missing:
            if self.persistent is not None:
                from rag.embed.cache import embed_passages_cached

                fresh = embed_passages_cached(self.embedder, missing, self.persistent)
            else:
                fresh = np.asarray(self.embedder.embed_passages(missing), dtype=np.float32)
            with self._lock:
                for s, v in zip(missing, fresh, strict=True):
                    self._cache[s] = v
                while len(self._cache) > self.max_cache:
                    self._cache.popitem(last=False)
        with self._lock:
            out = []
            for s in sentences:
                v = self._cache.get(s)
                if v is None:  # evicted meanwhile (tiny cache): embed it alone
                    v = np.asarray(self.embedder.embed_passages([s]), dtype=np.float32)[0]
                else:
                    self._cache.move_to_end(s)
                out.append(v)
        return np.stack(out) if out else np.zeros((0, 1), dtype=np.float32)

    def sentences(self, text: str) -> list[str]:
        return remark_sentences(text)

    def best(self, vector: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """max over each text's sentences of cos(sentence, question)."""
        per_text = [self.sentences(t) for t in texts]
        flat = [s for group in per_text for s in group]
        if not flat:
            return np.zeros(len(texts))
        sims = self.vectors(flat) @ np.asarray(vector, dtype=np.float32)
        out = np.empty(len(texts))
        pos = 0
        for i, group in enumerate(per_text):
            out[i] = float(sims[pos : pos + len(group)].max())
            pos += len(group)
        return out

    def cached_similarities(self, vector: np.ndarray, sentences: Sequence[str]) -> list[float] | None:
        """cos(sentence, question) of each sentence when all are cached, else None (never embeds:
        highlights must stay cheap)."""
        with self._lock:
            vecs = [self._cache.get(s) for s in sentences]
        if not sentences or any(v is None for v in vecs):
            return None
        return [float(x) for x in np.stack(vecs) @ np.asarray(vector, dtype=np.float32)]  # type: ignore[arg-type]
