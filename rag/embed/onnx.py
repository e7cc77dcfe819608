"""A torch-free encoder for the bundled e5 model: ONNX Runtime over a graph exported once.

The materialized sentence-transformers directory (see :mod:`rag.embed.bundled`) is exported once with
``torch.onnx.export`` into ``<that directory>/onnx-v<ONNX_FORMAT>/model.onnx``: BertModel + mean pooling
+ L2 normalization, fp32, the same weights; the word-embedding table is a memory-mapped .npy beside it.
At run time only ``onnxruntime`` and numpy load, not torch; a question is tokenized by
:mod:`rag.embed.unigram` (same ids, loads faster), large batches by ``tokenizers``. The export is keyed by the source file's sha256 and
``ONNX_FORMAT``: a marker that does not match (or a missing file) is rebuilt, under a file lock, into a
temporary directory renamed into place. The vectors match the sentence-transformers path (cosine ≥ 0.999,
tested in ``tests/test_embed_onnx.py``), so the embedder keeps the bundled model's fingerprint.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from rag.embed.model import Embedder
from rag.embed.once import build_once
from rag.embed.unigram import UnigramTokenizer
from rag.errors import ModelError

logger = logging.getLogger(__name__)

# Bump when the exported graph changes, so old exports are rebuilt.
ONNX_FORMAT = 2
_MARKER = "exported.json"
_MAX_TOKENS = 512
_TABLE = "word_embeddings.npy"
_UNIGRAM = "unigram.pkl"
SMALL_BATCH = 64  # up to this many texts go through rag.embed.unigram instead of ``tokenizers``


def onnx_available() -> bool:
    """True when onnxruntime can be imported (checked without importing it)."""
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None


def onnx_dir(st_dir: Path) -> Path:
    return Path(st_dir) / f"onnx-v{ONNX_FORMAT}"


def _is_current(out: Path, digest: str) -> bool:
    try:
        marker = json.loads((out / _MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(marker, dict)
        and marker.get("sha256") == digest
        and marker.get("format") == ONNX_FORMAT
        and (out / "model.onnx").is_file()
        and (out / "model.onnx").stat().st_size == marker.get("size")
        and (out / _TABLE).is_file()
    )


def ensure_onnx(st_dir: Path, digest: str) -> Path:
    """The exported ``model.onnx`` for the materialized model in ``st_dir`` (exported first when stale)."""
    out = onnx_dir(st_dir)
    build_once(
        Path(st_dir) / f".{out.name}.lock",
        lambda: _is_current(out, digest),
        lambda: _export(Path(st_dir), out, digest),
        str(out),
    )
    return out / "model.onnx"


def _export(st_dir: Path, out: Path, digest: str) -> None:
    logger.info("exporting the bundled model to ONNX into %s (once)", out)
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=st_dir))
    try:
        path = tmp / "model.onnx"
        _export_graph(st_dir, path)
        (tmp / _MARKER).write_text(
            json.dumps({"sha256": digest, "format": ONNX_FORMAT, "size": path.stat().st_size}, indent=1)
        )
        if out.exists():  # stale export
            shutil.rmtree(out)
        os.replace(tmp, out)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(
            f"exporting the bundled model to ONNX failed ({type(exc).__name__}: {exc}); "
            "set RAG_ENCODER=torch to use sentence-transformers instead"
        ) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info("exported %s in %.1f s", out, time.perf_counter() - t0)


def _export_graph(st_dir: Path, path: Path) -> None:
    """Export BertModel from ``inputs_embeds`` (+ positions, LayerNorm, encoder, mean pooling, L2 norm).

    The 250k-row word-embedding table stays out of the graph, in ``word_embeddings.npy`` next to it,
    memory-mapped at run time: the graph is ~90 MB instead of ~470 MB, so a session starts faster.
    """
    import torch
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(str(st_dir)).eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, inputs_embeds: Any, attention_mask: Any) -> Any:
            hidden = self.bert(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    table = bert.get_input_embeddings().weight.detach().cpu().numpy().astype(np.float32)
    np.save(path.with_name(_TABLE), table)
    embeds = torch.zeros((2, 8, table.shape[1]), dtype=torch.float32)
    mask = torch.ones((2, 8), dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            Pooled().eval(),
            (embeds, mask),
            str(path),
            input_names=["inputs_embeds", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={"inputs_embeds": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}},
            opset_version=17,
            dynamo=False,
        )


def _small_tokenizer(path: Path, tokenizer_json: Path) -> UnigramTokenizer:
    """The pickled :class:`UnigramTokenizer` next to the export, written from tokenizer.json when missing."""
    if path.is_file():
        try:
            return UnigramTokenizer.load(path)
        except Exception as exc:  # noqa: BLE001 - a damaged cache file is rebuilt
            logger.warning("rebuilding %s (%s)", path, exc)
    try:
        tok = UnigramTokenizer.from_tokenizer_json(tokenizer_json, max_tokens=_MAX_TOKENS)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"cannot read {tokenizer_json} ({exc}); delete {path.parent.parent} to re-materialize") from exc
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        tok.save(Path(tmp))
        os.replace(tmp, path)
    except OSError as exc:
        logger.warning("cannot cache %s (%s)", path, exc)
        Path(tmp).unlink(missing_ok=True)
    return tok


class OnnxEmbedder(Embedder):
    """The bundled e5 model through ONNX Runtime and the ``tokenizers`` tokenizer of its directory."""

    def __init__(
        self,
        onnx_path: Path,
        st_dir: Path,
        *,
        model_id: str,
        fingerprint: str,
        query_prompt: str,
        passage_prompt: str,
        batch_size: int = 16,
    ) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ModelError(
                "the ONNX encoder needs onnxruntime: pip install onnxruntime (or set RAG_ENCODER=torch)"
            ) from exc
        ort.disable_telemetry_events()
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(onnx_path), sess_options=opts, providers=["CPUExecutionProvider"])
        self.table = np.load(Path(onnx_path).with_name(_TABLE), mmap_mode="r")
        self._tokenizer_json = Path(st_dir) / "tokenizer.json"
        self._tokenizer: Any = None  # the ``tokenizers`` one, loaded for the first large batch
        self._lock = threading.Lock()
        self.small = _small_tokenizer(Path(onnx_path).with_name(_UNIGRAM), self._tokenizer_json)
        self.pad_id = 1
        self.model_id = model_id
        self.fingerprint = fingerprint
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.batch_size = max(1, int(batch_size))
        self.device = "cpu"
        self.dim = int(self.table.shape[1])

    @property
    def tokenizer(self) -> Any:
        with self._lock:
            if self._tokenizer is None:
                from tokenizers import Tokenizer

                tok = Tokenizer.from_file(str(self._tokenizer_json))
                tok.no_padding()
                tok.enable_truncation(max_length=_MAX_TOKENS)
                self._tokenizer = tok
            return self._tokenizer

    def _run(self, seqs: list[list[int]]) -> np.ndarray:
        width = max(len(s) for s in seqs)
        ids = np.full((len(seqs), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(seqs), width), dtype=np.int64)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = s
            mask[i, : len(s)] = 1
        embeds = np.ascontiguousarray(self.table[ids], dtype=np.float32)
        (out,) = self.session.run(["embedding"], {"inputs_embeds": embeds, "attention_mask": mask})
        return np.asarray(out, dtype=np.float32)

    def _encode(self, texts: list[str], prompt: str, *, progress: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        if len(texts) <= SMALL_BATCH:  # a question, a few sentences: no second-long tokenizer load
            seqs = [self.small.encode(prompt + t) for t in texts]
        else:
            seqs = [e.ids for e in self.tokenizer.encode_batch([prompt + t for t in texts])]
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))  # length-sorted batches: little padding
        from tqdm.auto import tqdm

        starts = range(0, len(order), self.batch_size)
        for start in tqdm(starts, desc="embedding", disable=not progress or None, leave=False):
            batch = order[start : start + self.batch_size]
            out[batch] = self._run([seqs[i] for i in batch])
        return out
