"""Copy an embedded index (SQLite + FAISS folder) into a Milvus store, vectors included: nothing is re-embedded.

Documents go one by one through ``MilvusStore.upsert`` (the same write as an ingest), with their stored
chunk vectors and lexical tokens, so a second run copies only what changed (content hash), and the target
works with the same model as the source (its manifest carries the source's model and fingerprint). Stored
source PDFs (``{index_dir}/sources``) that match their document go along, once (``MilvusStore.sources``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from index.backend import parse_target
from index.milvus_store import MilvusStore
from index.store import IndexStore
from rag.errors import IndexStoreError
from rag.sources import matches
from rag.types import Chunk, ParsedDocument

log = logging.getLogger(__name__)


@dataclass
class MigrateReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    chunks: int = 0
    tokenized: int = 0  # remarks of the source stored without tokens (tokenized here, once)
    sources: int = 0  # source PDFs copied


def _copy_source(source: IndexStore, target: MilvusStore, doc: ParsedDocument) -> bool:
    """The document's stored PDF into the target, when it is the indexed one and the target lacks it."""
    if doc.format != "pdf" or target.sources.has(doc.document):
        return False
    data = source.sources.get(doc.document)
    if data is None or not matches(data, doc.sha256):
        return False
    target.sources.put(doc.document, data)
    return True


def migrate(
    index_dir: Path,
    spec: str,
    *,
    on_document: Callable[[str, str], None] | None = None,
) -> MigrateReport:
    """Copy every document of the embedded index at ``index_dir`` into the Milvus store ``spec``."""
    manifest = IndexStore.read_manifest(Path(index_dir))
    if manifest is None:
        raise IndexStoreError(f"no index at {index_dir} to migrate; run `rag ingest` first or pass --index")
    source = IndexStore(
        Path(index_dir),
        model_id=str(manifest["model_id"]),
        fingerprint=str(manifest["fingerprint"]),
        dim=int(manifest["dim"]),
        index_type=str(manifest.get("index_type", "flat")),
        read_only=True,
    )
    report = MigrateReport()
    tokenizer = None
    with (
        source,
        MilvusStore(
            parse_target(spec),
            model_id=str(manifest["model_id"]),
            fingerprint=str(manifest["fingerprint"]),
            dim=int(manifest["dim"]),
        ) as target,
    ):
        for listed in source.documents():
            doc = source.get_document(listed["document"])
            if target.document_status(doc.document, doc.sha256) == "unchanged":
                report.unchanged.append(doc.document)
                report.sources += _copy_source(source, target, doc)
                if on_document is not None:
                    on_document(doc.document, "unchanged")
                continue
            remark_ids = [r.id for r in doc.remarks]
            by_remark = source.remark_chunk_ids(remark_ids)
            chunk_ids = [c for rid in remark_ids for c in by_remark.get(rid, [])]
            stored = source.chunks(chunk_ids)
            chunks = [Chunk(c.remark_id, c.ordinal, c.text, c.start, c.end) for c in stored]
            vectors = source.chunk_vectors([c.chunk_id for c in stored])
            tokens = source.remark_tokens(remark_ids)
            missing = [r for r in doc.remarks if r.id not in tokens]
            if missing:
                if tokenizer is None:
                    from rag.retrieve.lexical import JapaneseTokenizer

                    tokenizer = JapaneseTokenizer("A")
                fresh = tokenizer.tokenize_corpus([r.text for r in missing])
                tokens.update({r.id: list(t) for r, t in zip(missing, fresh, strict=True)})
                report.tokenized += len(missing)
            outcome = target.upsert(doc, chunks, vectors, [tokens[rid] for rid in remark_ids])
            getattr(report, outcome).append(doc.document)
            report.sources += _copy_source(source, target, doc)
            report.chunks += len(chunks)
            if on_document is not None:
                on_document(doc.document, outcome)
    return report
