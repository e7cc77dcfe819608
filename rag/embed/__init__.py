"""Embedding layer: the bundled e5 model, generic sentence-transformers models, a hashing test
embedder and a persistent embedding cache."""

from __future__ import annotations

from rag.embed.cache import EmbeddingCache, embed_passages_cached
from rag.embed.hashing import HashingEmbedder
from rag.embed.model import Embedder, SentenceTransformerEmbedder, clear_embedder_cache, load_embedder

__all__ = [
    "Embedder",
    "EmbeddingCache",
    "HashingEmbedder",
    "SentenceTransformerEmbedder",
    "clear_embedder_cache",
    "embed_passages_cached",
    "load_embedder",
]
