"""Data for tools/tune_retrieval.py: the seed questions, the seed and JSQuAD indexes, and an embedder
that embeds each question once (tuning re-ranks the same questions many times)."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.retrieve.pipeline import Retriever  # noqa: E402
from rag.retrieve.query import Query, parse_query  # noqa: E402
from rag.retrieve.stages import Candidates  # noqa: E402
from rag.settings import Settings  # noqa: E402

log = logging.getLogger("tune")
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seeds" / "000_1e1e3ba0d71176a4.txt"
QUESTIONS = ROOT / "eval" / "datasets" / "seed" / "questions.jsonl"
JSQUAD = SHARED / "datasets" / "jsquad-valid-v1.1.json"


@dataclasses.dataclass
class Item:
    qid: str
    question: str
    lang: str
    kind: str  # answerable | unanswerable | metadata (empty gold, left out)
    split: str
    gold: dict[str, int]  # remark id → grade
    query: Query | None = None
    cands: Candidates | None = None


class CachedEmbedder:
    """Wraps an embedder; questions embedded once, in one batch (tuning re-ranks them many times)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.fingerprint = inner.fingerprint
        self.dim = inner.dim
        self.cache: dict[str, np.ndarray] = {}

    def warm(self, texts: Sequence[str], batch: int = 256) -> None:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        for i in range(0, len(todo), batch):
            vecs = self.inner.embed_queries(todo[i : i + batch])
            self.cache.update(zip(todo[i : i + batch], vecs, strict=True))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.warm(texts)
        return np.stack([self.cache[t] for t in texts])

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return np.asarray(self.inner.embed_passages(texts, progress=progress))


# --- data -------------------------------------------------------------------------------------
def load_seed_items(path: Path = QUESTIONS) -> list[Item]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        q = json.loads(line)
        gold = {f"{g['document']}#{g['ordinal']}": int(g["grade"]) for g in q["gold"]}
        kind = "answerable" if gold else ("unanswerable" if q["type"] == "unanswerable" else "metadata")
        items.append(Item(q["qid"], q["question"], q["lang"], kind, q["split"], gold))
    return items


def build_service(index_dir: Path, model: str) -> Any:
    from rag.service import RagService

    service = RagService(Settings(index_dir=index_dir, model=model))
    report = service.ingest([SEED])
    if report.failed:
        raise SystemExit(f"seed ingest failed: {report.failed}")
    return service


def make_retriever(service: Any) -> tuple[Retriever, CachedEmbedder]:
    service.load()
    embedder = CachedEmbedder(service.embedder)
    return Retriever(service.store(), embedder, service.settings), embedder



def prepare(retriever: Retriever, embedder: CachedEmbedder, items: Sequence[Item], depth: int) -> None:
    embedder.warm([it.question for it in items])
    retriever.calibration = dataclasses.replace(retriever.calibration, depth=depth)
    for it in items:
        it.query = parse_query(it.question)
        it.cands = retriever.candidates(it.query, k=10, filters=None, mode="hybrid", timings={})


# --- JSQuAD -----------------------------------------------------------------------------------
def jsquad_items(limit: int) -> tuple[list[Any], list[Item]]:
    """One ParsedDocument per JSQuAD article (one remark per paragraph) and the first `limit` questions."""
    from rag.types import Meeting, ParsedDocument, Remark

    data = json.loads(JSQUAD.read_text(encoding="utf-8"))["data"]
    docs: list[Any] = []
    items: list[Item] = []
    for a, article in enumerate(data):
        doc_id = f"jsquad_{a:04d}"
        remarks = []
        for p, para in enumerate(article["paragraphs"]):
            text = para["context"].split("[SEP]", 1)[-1].strip()
            remarks.append(Remark(id=f"{doc_id}#{p + 1}", ordinal=p + 1, text=text))
            for qa in para["qas"]:
                items.append(Item(qa["id"], qa["question"], "ja", "answerable", "jsquad", {f"{doc_id}#{p + 1}": 1}))
        docs.append(ParsedDocument(document=doc_id, source=doc_id, sha256=doc_id, meeting=Meeting(title=article["title"]),
                                   topics=(), remarks=tuple(remarks), text=""))
    step = max(1, len(items) // limit) if limit else 1
    return docs, items[::step][:limit] if limit else items


def open_jsquad(model: str, limit: int, index_dir: Path, depth: int) -> tuple[Retriever, list[Item]]:
    """A retriever over JSQuAD's paragraphs (indexed once into `index_dir`, reused after) and `limit`
    questions; even positions are "dev" (may be tuned on), odd ones "test"."""
    from rag.service import RagService

    docs, items = jsquad_items(limit)
    service = RagService(Settings(index_dir=index_dir, model=model))
    if not service.store().all_remarks():
        t0 = time.perf_counter()
        service.ingest_parsed(docs)
        log.info("JSQuAD: %d paragraphs indexed in %.0f s", sum(len(d.remarks) for d in docs), time.perf_counter() - t0)
    retriever, embedder = make_retriever(service)
    prepare(retriever, embedder, items, depth)
    for i, it in enumerate(items):
        it.split = "dev" if i % 2 == 0 else "test"
    return retriever, items


# --- latency ----------------------------------------------------------------------------------
