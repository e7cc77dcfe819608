"""The collections `eval.tune` fits on: each indexed once, each question's candidates gathered once.

A collection is a minutes-native dataset folder (eval/datasets/NAME, questions with a dev/test split) or
``jsquad`` (JSQuAD validation paragraphs; articles split into dev/test by a hash of their title). Tuning
re-ranks the same candidates under many parameter settings, so the expensive parts (indexing, question
vectors, the legs' candidate lists) are done here once per collection.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eval.dataset import EvalDataset, load_dataset
from eval.runner import corpus_documents
from rag.retrieve.query import Query, parse_query
from rag.retrieve.stages import Candidates

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "eval" / "datasets"
JSQUAD = ROOT.parent / "shared" / "datasets" / "jsquad-valid-v1.1.json"


@dataclasses.dataclass
class Item:
    qid: str
    collection: str
    lang: str
    split: str  # dev | test
    gold: dict[str, int]  # doc id → grade (empty: unanswerable)
    query: Query
    cands: Candidates

    @property
    def answerable(self) -> bool:
        return any(g > 0 for g in self.gold.values())


@dataclasses.dataclass
class Collection:
    name: str
    kind: str  # minutes | beir
    fingerprint: str
    items: list[Item]
    retriever: Any  # rag.retrieve.pipeline.Retriever over the collection's index
    source: str | None = None  # a pooled collection (eval.pool): the collection its questions come from

    @property
    def origin(self) -> str:
        """The collection the questions were written for (leave-one-collection-out holds out all of its views)."""
        return self.source or self.name

    def doc_id(self, remark_id: str) -> str:
        return remark_id.rsplit("#", 1)[0] if self.kind == "beir" else remark_id


class QueryCache:
    """Wraps an embedder so that each question is embedded once, in batches."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.cache: dict[str, np.ndarray] = {}

    def __getattr__(self, name: str) -> Any:  # model_id, fingerprint, dim, prompts …: the wrapped embedder's
        return getattr(self.inner, name)

    def warm(self, texts: Sequence[str], batch: int = 128) -> None:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        for i in range(0, len(todo), batch):
            vecs = self.inner.embed_queries(todo[i : i + batch])
            self.cache.update(zip(todo[i : i + batch], np.asarray(vecs, dtype=np.float32), strict=True))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.warm(texts)
        return np.stack([self.cache[t] for t in texts])

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return np.asarray(self.inner.embed_passages(texts, progress=progress))


def jsquad_split(limit: int) -> EvalDataset:
    """JSQuAD validation, every `len // limit`-th question (all when 0), split dev/test by a hash of the article title."""
    from eval.shared_sets import load_jsquad

    ds = load_jsquad(JSQUAD)
    title = {d.id: d.title for d in ds.corpus}
    step = max(1, len(ds.queries) // limit) if limit else 1
    picked = ds.queries[::step][:limit] if limit else ds.queries
    queries = []
    for q in picked:
        (pid,) = ds.qrels[q.id]
        h = hashlib.sha256(title[pid].encode("utf-8")).digest()[0]
        queries.append(dataclasses.replace(q, split="dev" if h % 2 == 0 else "test"))
    return dataclasses.replace(ds, queries=queries, qrels={q.id: ds.qrels[q.id] for q in queries})


def tuning_retriever(service: Any) -> Any:
    """A ``Retriever`` over a loaded service's index whose embedder embeds each question once (``QueryCache``)."""
    from rag.retrieve.pipeline import Retriever

    retriever = Retriever(
        service.store(), QueryCache(service.embedder), service.settings, sentence_cache=service.embedding_cache()
    )
    retriever.calibration = dataclasses.replace(retriever.calibration, source="tuning")
    return retriever


def load_collection(name: str, model: str, work: Path, *, jsquad_limit: int = 600) -> Collection:
    """Index the collection under `work` (reused when its data and model are unchanged) and gather candidates."""
    from rag.service import RagService
    from rag.settings import Settings

    ds = jsquad_split(jsquad_limit) if name == "jsquad" else load_dataset(str(DATASETS / name))
    fingerprint = ds.fingerprint()
    missing = [q.id for q in ds.queries if q.split not in ("dev", "test")]
    if missing:
        raise ValueError(f"{name}: questions without a dev/test split: {missing[:5]}; give each a 'split'")
    index_dir = work / f"{name}-{fingerprint[:12]}-{hashlib.sha256(model.encode()).hexdigest()[:8]}"
    service = RagService(Settings(index_dir=index_dir, model=model, ingest_samples_on_start=False))
    store = service.store()
    if not store.all_remarks():
        report = service.ingest(ds.minutes) if ds.kind == "minutes" else service.ingest_parsed(corpus_documents(ds))
        if report.failed:
            raise ValueError(f"{name}: could not index {sorted(report.failed)[:3]}")
    service.load()
    retriever = tuning_retriever(service)
    retriever.embedder.warm([q.text for q in ds.queries])
    items = []
    for q in ds.queries:
        if q.type == "metadata" and not ds.qrels.get(q.id):  # about the header: neither ranked nor unanswerable
            continue
        query = parse_query(q.text)
        cands = retriever.candidates(query, k=10, filters=None, mode="hybrid", timings={}, topics=True)
        items.append(Item(q.id, name, q.lang, str(q.split), dict(ds.qrels.get(q.id, {})), query, cands))
    logger.info("%s: %d questions over %d remarks", name, len(items), len(store.all_remarks()))
    return Collection(name, ds.kind, fingerprint, items, retriever)
