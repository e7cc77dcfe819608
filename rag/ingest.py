"""Ingest bookkeeping of ``RagService``: which files are new, batches of documents, outcomes in the report.

Folder ingest parses files one by one and indexes them in batches (``INGEST_BATCH_DOCS`` documents, or fewer
once their text reaches ``INGEST_BATCH_CHUNKS`` chunks): one embedding pass over all the batch's chunks, then
one SQLite transaction for the batch (``IndexStore.upsert_many``), so a crash keeps each document whole or
absent. Sentence vectors for the rerank are not computed here: the rerank embeds the sentences of its few top
candidates at query time, into the same persistent cache.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.errors import ParseError, RagError
from rag.files import SUPPORTED_SUFFIXES, iter_minutes_files, one_file_per_document
from rag.types import IngestReport, ParsedDocument

if TYPE_CHECKING:
    from rag.service import RagService

logger = logging.getLogger(__name__)

INGEST_BATCH_DOCS = 32  # folder ingest embeds and commits this many documents together …
INGEST_BATCH_CHUNKS = 4096  # … or fewer, once their chunks reach this many
OnFile = Callable[[str, str], None]


def ingest_paths(
    svc: RagService, paths: Sequence[Path], *, progress: bool = False, on_file: OnFile | None = None
) -> IngestReport:
    """``RagService.ingest``: files and folders, bad files reported in ``failed`` without stopping the others."""
    files, problems = iter_minutes_files(Path(p) for p in paths)
    report = IngestReport(failed=dict(problems))
    files = one_file_per_document(files, report.skipped)
    pending: list[tuple[str, ParsedDocument]] = []
    for path in _progress(files, progress, "ingest"):
        try:
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise ParseError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
            doc = parse_new(svc, path.name, data, source=str(path), report=report)
        except RagError as exc:
            report.failed[str(path)] = str(exc)
            logger.warning("%s", exc)
            if on_file is not None:
                on_file(str(path), "failed")
            continue
        if doc is None:
            if on_file is not None:
                on_file(str(path), "unchanged")
            continue
        pending.append((str(path), doc))
        if _batch_full([d for _, d in pending], svc.settings.chunk_size):
            _flush(svc, pending, report, on_file)
    _flush(svc, pending, report, on_file)
    return report


def ingest_bytes(svc: RagService, name: str, data: bytes) -> IngestReport:
    """``RagService.ingest_bytes``: one uploaded file (its name decides PDF or text)."""
    report = IngestReport()
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ParseError(
            f"{name}: unsupported file type {suffix or '(none)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    doc = parse_new(svc, Path(name).name, data, source=name, report=report)
    if doc is not None:
        _record(report, doc, index_batch(svc, [doc])[0])
    return report


def ingest_parsed(svc: RagService, docs: Sequence[ParsedDocument], *, progress: bool = False) -> IngestReport:
    """``RagService.ingest_parsed``: already-parsed documents, in batches."""
    report = IngestReport()
    store = svc.store(create=True)
    batch: list[ParsedDocument] = []
    items = list(docs)
    for pos, doc in enumerate(_progress(items, progress, "index")):
        if store.document_status(doc.document, doc.sha256) == "unchanged":
            report.unchanged.append(doc.document)
        else:
            batch.append(doc)
        if batch and (pos == len(items) - 1 or _batch_full(batch, svc.settings.chunk_size)):
            for done, outcome in zip(batch, index_batch(svc, batch), strict=True):
                _record(report, done, outcome)
            batch = []
    return report


def parse_new(
    svc: RagService, name: str, data: bytes, *, source: str, report: IngestReport
) -> ParsedDocument | None:
    """The parsed document, or None (reported unchanged) when the index already holds these bytes."""
    from rag.parse import parse_bytes

    document = Path(name).stem
    sha = hashlib.sha256(data).hexdigest()
    if svc.store(create=True).document_status(document, sha) == "unchanged":
        report.unchanged.append(document)
        return None
    doc = parse_bytes(name, data)
    return doc if doc.source == source else replace(doc, source=source)


def index_batch(svc: RagService, docs: Sequence[ParsedDocument]) -> list[str]:
    """Chunk, embed (one pass over all the documents' chunks), tokenize and store the documents in one
    transaction; the service's write lock is held for the store write only."""
    import numpy as np

    from rag.chunk import chunk_remark
    from rag.embed.cache import embed_passages_cached

    store = svc.store(create=True)
    settings = svc.settings
    per_doc = [
        [
            c
            for r in doc.remarks
            for c in chunk_remark(r, size=settings.chunk_size, overlap=settings.chunk_overlap)
        ]
        for doc in docs
    ]
    texts = [c.text for chunks in per_doc for c in chunks]
    if texts:
        vectors = embed_passages_cached(svc.embedder, texts, svc.embedding_cache())
    else:
        vectors = np.zeros((0, svc.embedder.dim), dtype="float32")
    tokenizer = svc.tokenizer
    items = []
    start = 0
    for doc, chunks in zip(docs, per_doc, strict=True):
        tokens = tokenizer.tokenize_corpus([r.text for r in doc.remarks])
        items.append((doc, chunks, vectors[start : start + len(chunks)], tokens))
        start += len(chunks)
    with svc.write_lock:
        return store.upsert_many(items)


def _flush(
    svc: RagService, pending: list[tuple[str, ParsedDocument]], report: IngestReport, on_file: OnFile | None
) -> None:
    """Index the pending documents as one batch and report each one's outcome."""
    if not pending:
        return
    docs = [d for _, d in pending]
    outcomes: list[str | RagError]
    try:
        outcomes = list(index_batch(svc, docs))
    except RagError as exc:
        outcomes = [exc] * len(docs)
    for (path, doc), outcome in zip(pending, outcomes, strict=True):
        if isinstance(outcome, RagError):
            report.failed[path] = str(outcome)
            logger.warning("%s", outcome)
            name = "failed"
        else:
            _record(report, doc, outcome)
            name = outcome
        if on_file is not None:
            on_file(path, name)
    pending.clear()


def _record(report: IngestReport, doc: ParsedDocument, outcome: str) -> None:
    """Count an indexed document in the report under its outcome (added / replaced / unchanged)."""
    getattr(report, outcome).append(doc.document)
    report.remarks += len(doc.remarks)
    report.topics += len(doc.topics)


def _batch_full(docs: Sequence[ParsedDocument], chunk_size: int) -> bool:
    """Whether a batch of parsed documents is big enough to embed and commit (about ``INGEST_BATCH_CHUNKS``)."""
    if len(docs) >= INGEST_BATCH_DOCS:
        return True
    chars = sum(len(r.text) for d in docs for r in d.remarks)
    return chars >= INGEST_BATCH_CHUNKS * max(chunk_size, 1)


def _progress(items: Sequence[Any], enabled: bool, desc: str) -> Iterable[Any]:
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="file", leave=False)
