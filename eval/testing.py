"""Small deterministic stand-ins for ``RagService`` and ``Embedder``, for tests and dry runs of the
evaluator without a model (``rag eval --fake``). Character-bigram vectors; no learning, no weights."""

from __future__ import annotations

import hashlib
import time
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.errors import InputError, NotFoundError
from rag.types import Citation, Hit, IngestReport, ParsedDocument, SearchResult

DIM = 256


def _bigrams(text: str) -> Counter[str]:
    t = unicodedata.normalize("NFKC", text).lower()
    t = "".join(ch for ch in t if ch.isalnum())
    return Counter(t[i : i + 2] for i in range(max(len(t) - 1, 0)))


def _bucket(gram: str) -> int:
    return int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=4).digest(), "big") % DIM


class FakeEmbedder:
    model_id = "fake:bigram-hash"
    fingerprint = "fake-bigram-hash-v1"
    dim = DIM

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            for gram, n in _bigrams(text).items():
                out[i, _bucket(gram)] += n
            norm = float(np.linalg.norm(out[i]))
            if norm:
                out[i] /= norm
        return out

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_passages(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        return self._embed(texts)


class FakeService:
    """Same methods as ``RagService`` that the evaluator calls; scores are bigram cosine / overlap."""

    def __init__(self, settings: object | None = None, *, abstain_below: float = 0.2) -> None:
        self.embedder = FakeEmbedder()
        self.abstain_below = abstain_below
        self.docs: dict[str, ParsedDocument] = {}
        self.ids: list[str] = []
        self.texts: list[str] = []
        self.vecs = np.zeros((0, DIM), dtype=np.float32)

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    def info(self) -> dict[str, object]:
        return {"model": {"id": self.model_id, "fingerprint": self.embedder.fingerprint}}

    def ingest(self, paths: Sequence[Path]) -> IngestReport:
        from rag.parse import parse_file

        return self.ingest_parsed([parse_file(Path(p)) for p in paths])

    def ingest_parsed(self, docs: Sequence[ParsedDocument], *, progress: bool = False) -> IngestReport:
        report = IngestReport()
        for doc in docs:
            self.docs[doc.document] = doc
            report.added.append(doc.document)
            for r in doc.remarks:
                self.ids.append(r.id)
                self.texts.append(r.text)
            report.remarks += len(doc.remarks)
        self.vecs = self.embedder.embed_passages(self.texts)
        return report

    def document(self, document: str) -> ParsedDocument:
        if document not in self.docs:
            raise NotFoundError(f"no document {document!r}")
        return self.docs[document]

    def search(
        self, question: str, *, k: int | None = None, mode: str | None = None, rerank: bool | None = None,
        highlights: bool = True,
    ) -> SearchResult:
        if not question.strip():
            raise InputError("empty question")
        started = time.perf_counter()
        q = self.embedder.embed_queries([question])[0]
        t_embed = time.perf_counter()
        dense = self.vecs @ q if len(self.ids) else np.zeros(0)
        qb = _bigrams(question)
        lexical = np.asarray([sum((qb & _bigrams(t)).values()) / (1 + len(qb)) for t in self.texts])
        mode = mode or "hybrid"
        score = {"dense": dense, "lexical": lexical}.get(mode, dense + lexical)
        order = sorted(range(len(self.ids)), key=lambda i: (-float(score[i]), self.ids[i]))[: k or 5]
        hits = [
            Hit(
                remark_id=self.ids[i], text=self.texts[i], score=float(score[i]), confidence=float(score[i]),
                citation=Citation(document=self.ids[i].rsplit("#", 1)[0], title="", session=None, date=None,
                                  topic=None, speaker=None, pages=()),
            )
            for i in order
        ]
        done = time.perf_counter()
        top = float(dense[order[0]]) if order else 0.0
        return SearchResult(
            question=question, answerable=top >= self.abstain_below, hits=hits, model=self.model_id,
            timings_ms={"embed": (t_embed - started) * 1e3, "total": (done - started) * 1e3},
        )
