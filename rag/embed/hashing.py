"""A deterministic, instantaneous test embedder: hashed character bigrams, L2-normalized.

Model id ``hash:<dim>`` (e.g. ``hash:64``). Texts sharing many character bigrams get similar
vectors, which is enough to exercise index, API and crash tests without loading a real model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

from rag.embed.model import Embedder
from rag.errors import ModelError

_BOS, _EOS = "\x02", "\x03"
_VERSION = 1


def _bigrams(text: str) -> Iterable[str]:
    padded = f"{_BOS}{text}{_EOS}"
    return (padded[i : i + 2] for i in range(len(padded) - 1))


class HashingEmbedder(Embedder):
    """Bag of character bigrams hashed into ``dim`` signed buckets, then L2-normalized."""

    def __init__(self, dim: int = 64) -> None:
        if dim < 2 or dim > 65536:
            raise ModelError(f"hash embedder dimension {dim} is out of range: use e.g. RAG_MODEL=hash:64")
        self.dim = int(dim)
        self.model_id = f"hash:{self.dim}"
        self.fingerprint = hashlib.sha256(f"hash-bigram-v{_VERSION}:{self.dim}".encode()).hexdigest()
        self.query_prompt = ""
        self.passage_prompt = ""
        self.device = "cpu"

    @classmethod
    def from_model_id(cls, model_id: str) -> HashingEmbedder:
        try:
            dim = int(model_id.split(":", 1)[1])
        except (IndexError, ValueError) as exc:
            raise ModelError(f"bad hash model id {model_id!r}: use 'hash:<dim>', e.g. hash:64") from exc
        return cls(dim)

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for gram in _bigrams(text):
            digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest()
            value = int.from_bytes(digest, "little")
            vec[value % self.dim] += 1.0 if (value >> 63) & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:  # every bigram cancelled out: fall back to a fixed unit vector
            vec[0] = 1.0
            return vec
        return vec / norm

    def _encode(self, texts: list[str], prompt: str, *, progress: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._vector(prompt + text)
        return out
