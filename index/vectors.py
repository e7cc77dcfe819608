"""FAISS side of the index: a derived, rebuildable copy of the chunk vectors kept in SQLite.

Three kinds, all inner product over unit vectors (= cosine):

* ``flat``: ``IndexIDMap2(IndexFlatIP)``, exact; deletes with ``remove_ids``.
* ``hnsw``: ``IndexIDMap2(IndexHNSWFlat)``; HNSW cannot delete, so deleted ids become tombstones that
  searches exclude, and the store rebuilds the graph from SQLite once tombstones pass 20 %.
* ``hnsw_sq8``: ``IndexIDMap2(IndexHNSWSQ)``, HNSW over 8-bit scalar-quantized vectors (a quarter of the
  memory of ``hnsw``, for a million remarks); SQ8 is trained on the stored vectors, so below
  ``IVF_MIN_TRAIN`` vectors it is a flat index, like ``ivf``. Tombstones as for ``hnsw``.
* ``ivf``: ``IndexIVFFlat`` with its own ids (IDMap would break after ``remove_ids``), trained on the
  stored vectors with ``nlist ≈ sqrt(n)``; below ``IVF_MIN_TRAIN`` vectors it is a flat index, and it is
  retrained once the collection has grown 4× past what it was trained on.

Files: ``vectors.faiss`` (``faiss.write_index``) and ``vectors.gen`` (JSON: the SQLite generation it was
synced to and its tombstones), each written to a temp file, fsynced, then ``os.replace``d.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import faiss as _faiss
import numpy as np

from rag.errors import IndexStoreError

log = logging.getLogger(__name__)
faiss: Any = _faiss  # the SWIG stubs shipped with faiss-cpu lack most classes and keyword arguments

INDEX_TYPES = ("flat", "hnsw", "ivf", "hnsw_sq8")
_TRAINED = ("ivf", "hnsw_sq8")  # kinds trained on the stored vectors (flat until IVF_MIN_TRAIN of them)
HNSW_M = 32
# Measured on 1M hash vectors of synthetic remarks (eval/bench_index_layer.py, hnsw_sq8, refine 4): at
# efConstruction 80 recall@10 vs exact was 0.90 even at efSearch 512; at 200 it is 0.92 at efSearch 256 and
# 0.95 at 384 (p99 2.4 ms), for about twice the build time. Below ~200k vectors both are above 0.98.
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 384
IVF_MIN_TRAIN = 1000
TOMBSTONE_REBUILD_FRACTION = 0.2
# One query gains little from OpenMP, and on a busy machine the spinning threads cost 10-30× (measured);
# builds and IVF training keep all threads.
SEARCH_THREADS = 1
SMALL_ADD = 5000  # adds of fewer vectors (one document) run single-threaded too
REFINE_FACTOR = 4  # hnsw_sq8 ranks this many candidates per hit wanted by their exact vectors
ExactRows = Callable[[np.ndarray], np.ndarray]  # ids → their float32 rows, in that order


@contextmanager
def _omp_threads(n: int | None) -> Iterator[None]:
    if n is None:
        yield
        return
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


_EMPTY = np.empty(0, dtype=np.int64)
FILE_MODE = 0o644  # mkstemp makes 0600 files; the index is shared like the SQLite file next to it


def check_index_type(index_type: str) -> str:
    if index_type not in INDEX_TYPES:
        raise ValueError(
            f"unknown index type {index_type!r}; use one of {', '.join(INDEX_TYPES)} (RAG_INDEX_TYPE)"
        )
    return index_type


def _new_faiss(kind: str, dim: int, vectors: np.ndarray) -> Any:
    """A new empty FAISS index of ``kind`` (IVF is trained on ``vectors``)."""
    if kind == "flat":
        return faiss.index_factory(dim, "IDMap2,Flat", faiss.METRIC_INNER_PRODUCT)
    if kind == "hnsw":
        index = faiss.index_factory(dim, f"IDMap2,HNSW{HNSW_M},Flat", faiss.METRIC_INNER_PRODUCT)
        faiss.downcast_index(index.index).hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        return index
    if kind == "hnsw_sq8":
        index = faiss.index_factory(dim, f"IDMap2,HNSW{HNSW_M}_SQ8", faiss.METRIC_INNER_PRODUCT)
        faiss.downcast_index(index.index).hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.train(vectors)
        return index
    nlist = max(1, int(math.sqrt(len(vectors))))
    index = faiss.index_factory(dim, f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT)
    index.train(vectors)
    return index


def _kind_of(index: Any) -> str:
    if isinstance(index, faiss.IndexIVF):
        return "ivf"
    inner = faiss.downcast_index(index.index)
    return "hnsw" if isinstance(inner, faiss.IndexHNSW) else "flat"


def _ids_in(index: Any) -> np.ndarray:
    """Every id stored in a FAISS index, sorted."""
    if isinstance(index, faiss.IndexIVF):
        parts = [_EMPTY]
        invlists = index.invlists
        for list_no in range(index.nlist):
            size = invlists.list_size(list_no)
            if size:
                parts.append(faiss.rev_swig_ptr(invlists.get_ids(list_no), size).astype(np.int64))
        return np.sort(np.concatenate(parts))
    return np.sort(faiss.vector_to_array(index.id_map).astype(np.int64))


def _fsync_replace(tmp: str, target: Path) -> None:
    os.replace(tmp, target)
    try:
        dir_fd = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def atomic_write_bytes(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _fsync_replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class VectorIndex:
    """One FAISS index plus the ids it holds (``present``) and its tombstones (``dead``, HNSW only)."""

    def __init__(self, dim: int, index_type: str) -> None:
        self.dim = dim
        self.index_type = check_index_type(index_type)
        self.kind = "flat" if index_type in _TRAINED else index_type
        self.index: Any = _new_faiss(self.kind, dim, np.empty((0, dim), np.float32))
        self.present = _EMPTY  # sorted ids stored in the FAISS index (live and dead)
        self.dead = _EMPTY  # sorted tombstones: stored but deleted (HNSW)

    # --- state -----------------------------------------------------------------------------
    @property
    def live(self) -> np.ndarray:
        return np.setdiff1d(self.present, self.dead, assume_unique=True) if len(self.dead) else self.present

    def needs_rebuild(self, live_count: int) -> bool:
        """Whether a full rebuild from the stored vectors is due (tombstones, IVF training)."""
        if self.kind == "hnsw":
            return len(self.dead) > TOMBSTONE_REBUILD_FRACTION * max(1, len(self.present))
        if self.index_type in _TRAINED and self.kind == "flat":
            return live_count >= IVF_MIN_TRAIN
        if self.index_type == "ivf":
            nlist = int(self.index.nlist)
            return live_count > 4 * nlist * nlist
        return False

    # --- writes ----------------------------------------------------------------------------
    def build(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Replace the whole index with ``vectors`` (rows) under ``ids``."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        kind = self.index_type
        if kind in _TRAINED and len(ids) < IVF_MIN_TRAIN:
            kind = "flat"
        index = _new_faiss(kind, self.dim, vectors)
        if len(ids):
            index.add_with_ids(vectors, ids)
        self.index, self.kind = index, "hnsw" if kind == "hnsw_sq8" else kind
        self.present, self.dead = np.sort(ids), _EMPTY
        log.info("built %s index with %d vectors", kind, len(ids))

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if not len(ids):
            return
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        matrix = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        with _omp_threads(1 if len(ids) < SMALL_ADD else None):
            self.index.add_with_ids(matrix, ids)
        ordered = np.sort(ids)
        if not len(self.present) or ordered[0] > self.present[-1]:  # the usual case: ids only grow
            self.present = np.concatenate([self.present, ordered])
        else:
            self.present = np.union1d(self.present, ids)

    def remove(self, ids: np.ndarray) -> None:
        if not len(ids):
            return  # (intersecting with every live id costs a sort of them all: most writes remove nothing)
        ids = np.intersect1d(np.asarray(ids, dtype=np.int64), self.live)
        if not len(ids):
            return
        if self.kind == "hnsw":
            self.dead = np.union1d(self.dead, ids)
            return
        self.index.remove_ids(faiss.IDSelectorBatch(ids))
        self.present = np.setdiff1d(self.present, ids, assume_unique=True)

    # --- search ----------------------------------------------------------------------------
    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, exact: ExactRows | None = None
    ) -> list[tuple[int, float]]:
        """Top ``k`` (id, inner product) for one query row, restricted to ``allowed`` ids when given.

        ``hnsw_sq8`` with ``exact`` (the float32 rows of given ids, in that order, e.g. from SQLite) takes
        ``REFINE_FACTOR`` × ``k`` candidates from the quantized graph and ranks them by their exact inner products,
        so the 8-bit codes only choose candidates (the float vectors stay out of memory)."""
        if exact is not None and self.index_type == "hnsw_sq8" and self.kind == "hnsw" and k > 0:
            found = self._search(query, REFINE_FACTOR * k, allowed)
            if not found:
                return []
            ids = np.array([i for i, _ in found], dtype=np.int64)
            scores = np.asarray(exact(ids), dtype=np.float32).reshape(len(ids), self.dim) @ query.reshape(-1)
            top = np.argsort(-scores, kind="stable")[:k]
            return [(int(ids[i]), float(scores[i])) for i in top]
        return self._search(query, k, allowed)

    def _search(self, query: np.ndarray, k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        if not len(self.present) or k <= 0:
            return []
        selector: Any = None
        keep: list[Any] = []  # keeps SWIG selectors alive during the search
        if allowed is not None:
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
        elif len(self.dead):
            inner = faiss.IDSelectorBatch(self.dead)
            keep.append(inner)
            selector = faiss.IDSelectorNot(inner)
        k_eff = min(k, len(self.present))
        if self.kind == "hnsw":
            params: Any = faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, 2 * k_eff))
        elif self.kind == "ivf":
            nlist = int(self.index.nlist)
            params = faiss.SearchParametersIVF(sel=selector, nprobe=min(nlist, max(32, nlist // 8)))
        else:
            params = faiss.SearchParameters(sel=selector) if selector is not None else None
        with _omp_threads(SEARCH_THREADS):
            scores, ids = self.index.search(query.reshape(1, self.dim), k_eff, params=params)
        del keep
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    # --- files -----------------------------------------------------------------------------
    def save(self, faiss_path: Path, gen_path: Path, generation: int, *, uid: str) -> None:
        """Write the index then its generation file, each atomically (temp file, fsync, replace)."""
        fd, tmp = tempfile.mkstemp(prefix=faiss_path.name + ".", suffix=".tmp", dir=faiss_path.parent)
        os.fchmod(fd, FILE_MODE)
        os.close(fd)
        try:
            faiss.write_index(self.index, tmp)
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            _fsync_replace(tmp, faiss_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        meta = {
            "generation": generation,
            "uid": uid,
            "index_type": self.index_type,
            "kind": self.kind,
            "ntotal": int(len(self.present)),
            "dead": [int(i) for i in self.dead],
        }
        atomic_write_bytes(gen_path, json.dumps(meta).encode())

    @classmethod
    def load(cls, faiss_path: Path, dim: int, index_type: str) -> VectorIndex:
        """Read ``vectors.faiss``; raises IndexStoreError when it is unreadable or of another shape."""
        try:
            index = faiss.read_index(str(faiss_path))
        except RuntimeError as exc:
            raise IndexStoreError(f"cannot read {faiss_path}: {exc}") from exc
        if index.d != dim:
            raise IndexStoreError(f"{faiss_path} holds {index.d}-d vectors, expected {dim}")
        vec = cls(dim, index_type)
        vec.index, vec.kind = index, _kind_of(index)
        vec.present = _ids_in(index)
        if len(np.unique(vec.present)) != len(vec.present):
            raise IndexStoreError(f"{faiss_path} holds duplicate ids")
        return vec


def read_gen(gen_path: Path) -> dict[str, Any] | None:
    """The contents of ``vectors.gen``, or None when absent or unreadable."""
    try:
        data = json.loads(gen_path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("generation"), int) else None
