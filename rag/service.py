"""The one facade that the CLI, the API, the brief builder and eval call: ingest, search, documents.

Both faces go through this module so there is exactly one code path for ingest and search. The model and
the index are loaded lazily, once per service; writes are serialized by a lock, reads are not.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.errors import NotFoundError, ParseError, RagError
from rag.files import SUPPORTED_SUFFIXES, iter_minutes_files, one_file_per_document
from rag.settings import Settings, get_settings
from rag.types import Filters, IngestReport, ParsedDocument, SearchResult

if TYPE_CHECKING:
    from index.backend import Store
    from rag.context import RemarkContext
    from rag.embed import Embedder
    from rag.embed.cache import EmbeddingCache
    from rag.retrieve.lexical import JapaneseTokenizer
    from rag.retrieve.pipeline import Retriever

logger = logging.getLogger(__name__)

EMBED_CACHE_FILE = "embeddings.sqlite"
INGEST_BATCH_DOCS = 32  # folder ingest embeds and commits this many documents together …
INGEST_BATCH_CHUNKS = 4096  # … or fewer, once their chunks reach this many


class RagService:
    """Owns one embedder, one index store and one retriever; loads them lazily, once."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._embedder: Embedder | None = None
        self._store: Store | None = None
        self._retriever: Retriever | None = None
        self._cache: EmbeddingCache | None = None
        self._tokenizer: JapaneseTokenizer | None = None
        self._load_lock = threading.RLock()
        self._write_lock = threading.Lock()

    # --- lifecycle -------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        with self._load_lock:
            if self._embedder is None:
                from rag.embed import load_embedder

                self._embedder = load_embedder(self.settings)
            return self._embedder

    @property
    def tokenizer(self) -> JapaneseTokenizer:
        """The lexical tokenizer: remarks are tokenized once, at ingest, and their tokens stored."""
        with self._load_lock:
            if self._tokenizer is None:
                from rag.retrieve.lexical import JapaneseTokenizer

                self._tokenizer = JapaneseTokenizer("A")
            return self._tokenizer

    def store(self, *, create: bool = True) -> Store:
        """The index store; ``create=False`` refuses to create an index that does not exist yet.

        A store first opened read-only (a search) is reopened for writing by the first write."""
        with self._load_lock:
            if self._store is not None and create and self._store.read_only:
                self._reopen_writable()
            if self._store is None:
                self._store = self._open_store(read_only=not create)
            return self._store

    def _open_store(self, *, read_only: bool) -> Store:
        from index.store import IndexStore

        emb = self.embedder
        if self.settings.store:  # Milvus (RAG_STORE); its handles can always write
            from index.backend import open_store

            return open_store(
                self.settings.store, model_id=emb.model_id, fingerprint=emb.fingerprint, dim=emb.dim,
                index_type=self.settings.index_type, read_only=read_only,
            )
        return IndexStore(
            Path(self.settings.index_dir),
            model_id=emb.model_id,
            fingerprint=emb.fingerprint,
            dim=emb.dim,
            index_type=self.settings.index_type,
            read_only=read_only,
        )

    def _reopen_writable(self) -> None:
        old = self._store
        if old is None:
            return
        self._store = self._open_store(read_only=False)
        if self._retriever is not None:
            self._retriever.use_store(self._store)  # its corpus stays valid: the same database
        old.close()

    @property
    def retriever(self) -> Retriever:
        with self._load_lock:
            if self._retriever is None:
                from rag.retrieve.pipeline import Retriever

                cross_encoder = None
                if self.settings.cross_encoder:
                    from rag.retrieve.rerank import load_cross_encoder

                    cross_encoder = load_cross_encoder(self.settings.cross_encoder, self.settings.device)
                self._retriever = Retriever(
                    self.store(create=False),
                    self.embedder,
                    self.settings,
                    cross_encoder=cross_encoder,
                    sentence_cache=self._embedding_cache(),
                    tokenizer=self.tokenizer,
                )
            return self._retriever

    def load(self) -> None:
        """Load the model, open (or create) the index and warm both (BM25 built, first model call made), so
        the first searches after start-up do not queue behind that work: called once at API start-up."""
        self.store(create=True)
        self.retriever.refresh()
        self.embedder.embed_queries(["warm-up"])

    @property
    def ready(self) -> bool:
        return self._embedder is not None and self._store is not None

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    def close(self) -> None:
        with self._load_lock:
            if self._store is not None:
                self._store.close()
            self._store = None
            self._retriever = None

    def _embedding_cache(self) -> EmbeddingCache:
        with self._load_lock:
            if self._cache is None:
                from rag.embed.cache import EmbeddingCache

                Path(self.settings.index_dir).mkdir(parents=True, exist_ok=True)
                self._cache = EmbeddingCache(Path(self.settings.index_dir) / EMBED_CACHE_FILE)
            return self._cache

    # --- writes ----------------------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[Path],
        *,
        progress: bool = False,
        on_file: Callable[[str, str], None] | None = None,
    ) -> IngestReport:
        """Parse, chunk, embed and index files or folders; one commit per document.

        Bad files are reported in ``IngestReport.failed`` (path → one-line reason) and do not stop the others.
        ``on_file(path, outcome)`` is called after each file with added/unchanged/replaced/failed.
        """
        files, problems = iter_minutes_files(Path(p) for p in paths)
        report = IngestReport(failed=dict(problems))
        files = one_file_per_document(files, report.skipped)
        bar = _progress(files, progress, "ingest")
        pending: list[tuple[str, ParsedDocument]] = []
        for path in bar:
            try:
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    raise ParseError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
                doc = self._parse_new(path.name, data, source=str(path), report=report)
            except RagError as exc:
                report.failed[str(path)] = str(exc)
                doc = None
                logger.warning("%s", exc)
                if on_file is not None:
                    on_file(str(path), "failed")
                continue
            if doc is None:
                if on_file is not None:
                    on_file(str(path), "unchanged")
                continue
            pending.append((str(path), doc))
            if _batch_full([d for _, d in pending], self.settings.chunk_size):
                self._flush(pending, report, on_file)
        self._flush(pending, report, on_file)
        return report

    def _parse_new(self, name: str, data: bytes, *, source: str, report: IngestReport) -> ParsedDocument | None:
        """The parsed document, or None (reported unchanged) when the index already holds these bytes."""
        from rag.parse import parse_bytes

        document = Path(name).stem
        sha = hashlib.sha256(data).hexdigest()
        if self.store(create=True).document_status(document, sha) == "unchanged":
            report.unchanged.append(document)
            return None
        doc = parse_bytes(name, data)
        return doc if doc.source == source else replace(doc, source=source)

    def _flush(
        self,
        pending: list[tuple[str, ParsedDocument]],
        report: IngestReport,
        on_file: Callable[[str, str], None] | None,
    ) -> None:
        """Index the pending documents: one embedding pass over all their chunks, then one commit each."""
        if not pending:
            return
        docs = [d for _, d in pending]
        outcomes: list[str | RagError]
        try:
            outcomes = list(self._index_batch(docs))
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

    def ingest_bytes(self, name: str, data: bytes) -> IngestReport:
        """Same as ``ingest`` for one uploaded file (its name decides PDF or text)."""
        report = IngestReport()
        suffix = Path(name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise ParseError(
                f"{name}: unsupported file type {suffix or '(none)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}"
            )
        self._ingest_one(Path(name).name, data, source=name, report=report)
        return report

    def ingest_parsed(self, docs: Sequence[ParsedDocument], *, progress: bool = False) -> IngestReport:
        """Index already-parsed documents (eval loads BEIR corpora this way: one remark per entry)."""
        report = IngestReport()
        store = self.store(create=True)
        batch: list[ParsedDocument] = []
        items = list(docs)
        for pos, doc in enumerate(_progress(items, progress, "index")):
            if store.document_status(doc.document, doc.sha256) == "unchanged":
                report.unchanged.append(doc.document)
            else:
                batch.append(doc)
            if batch and (pos == len(items) - 1 or _batch_full(batch, self.settings.chunk_size)):
                for done, outcome in zip(batch, self._index_batch(batch), strict=True):
                    _record(report, done, outcome)
                batch = []
        return report

    def _ingest_one(self, name: str, data: bytes, *, source: str, report: IngestReport) -> str:
        doc = self._parse_new(name, data, source=source, report=report)
        if doc is None:
            return "unchanged"
        outcome = self._index_parsed(doc)
        _record(report, doc, outcome)
        return outcome

    def _index_parsed(self, doc: ParsedDocument) -> str:
        return self._index_batch([doc])[0]

    def _index_batch(self, docs: Sequence[ParsedDocument]) -> list[str]:
        """Chunk, embed (one pass over all the documents' chunks), tokenize and store each document.

        Sentence vectors for the rerank are not computed here: the rerank embeds the sentences of its few top
        candidates at query time, into the same persistent cache."""
        import numpy as np

        from rag.chunk import chunk_remark
        from rag.embed.cache import embed_passages_cached

        store = self.store(create=True)
        per_doc = [
            [
                c
                for r in doc.remarks
                for c in chunk_remark(r, size=self.settings.chunk_size, overlap=self.settings.chunk_overlap)
            ]
            for doc in docs
        ]
        texts = [c.text for chunks in per_doc for c in chunks]
        if texts:
            vectors = embed_passages_cached(self.embedder, texts, self._embedding_cache())
        else:
            vectors = np.zeros((0, self.embedder.dim), dtype="float32")
        tokenizer = self.tokenizer
        outcomes: list[str] = []
        start = 0
        for doc, chunks in zip(docs, per_doc, strict=True):
            tokens = tokenizer.tokenize_corpus([r.text for r in doc.remarks])
            with self._write_lock:
                outcomes.append(store.upsert(doc, chunks, vectors[start : start + len(chunks)], tokens))
            start += len(chunks)
        return outcomes

    def delete(self, document: str) -> None:
        """Remove a document and its remarks; raises NotFoundError when absent."""
        self.store(create=False)  # refuses to create an index just to delete from it
        store = self.store(create=True)
        with self._write_lock:
            store.delete(document)

    # --- reads -----------------------------------------------------------------------------
    def search(
        self,
        question: str,
        *,
        k: int | None = None,
        filters: Filters | None = None,
        mode: str | None = None,
        rerank: bool | None = None,
        mmr: bool | None = None,
        highlights: bool = True,
    ) -> SearchResult:
        """Validate the question (InputError), retrieve, rank and return cited hits (``highlights=False``:
        skip sentence highlighting, for evaluation runs that only rank)."""
        from rag.retrieve.query import validate_options, validate_question

        # Checked here too, before the model and index are loaded, so bad input fails fast.
        validate_question(question, self.settings.max_question_chars)
        k = self.settings.default_k if k is None else k
        mode = mode or self.settings.mode
        validate_options(k, mode, self.settings.max_k)
        result = self.retriever.search(
            question,
            k=k,
            filters=filters,
            mode=mode,
            rerank=self.settings.rerank if rerank is None else rerank,
            mmr=self.settings.mmr if mmr is None else mmr,
            highlights=highlights,
        )
        if self.settings.answer_pairs:
            from rag.retrieve.answers import add_answer_pairs, asks_for_response

            if asks_for_response(question):
                result = add_answer_pairs(result, self.document, top=self.settings.answer_pairs_top)
        return result

    def documents(self) -> list[dict[str, Any]]:
        """[{document, title, body, session, date, remarks, sha256, source, …}] as the store lists them."""
        return self.store(create=True).documents()

    def document(self, document: str) -> ParsedDocument:
        return self.store(create=True).get_document(document)

    def facets(self) -> dict[str, list[Any]]:
        """{"bodies", "meetings", "dates", "topics", "speakers", "documents"} → sorted values."""
        return self.store(create=True).facets()

    def info(self) -> dict[str, Any]:
        """Manifest and counts of the index."""
        return self.store(create=False).info()

    # --- context, whole text and stored source PDFs (issue 15) ------------------------------------
    def remark_context(self, remark_id: str, before: int = 2, after: int = 2) -> RemarkContext:
        """The remark ``DOC#N`` (or ``DOC:N``) with its neighbours of the same document; NotFoundError for an
        unknown document or remark, InputError for a bad id or window (0..20)."""
        from rag.context import check_window, parse_remark_id, remark_context

        document, ordinal = parse_remark_id(remark_id)
        check_window(before, after)
        return remark_context(self.document(document), ordinal, before, after)

    def document_text(self, document: str) -> ParsedDocument:
        """The parsed document whose ``text`` the remark offsets point into (NotFoundError when absent)."""
        return self.document(document)

    def sources_dir(self) -> Path:
        from rag.sources import SOURCES_DIR

        return Path(self.settings.index_dir) / SOURCES_DIR

    def store_source(self, document: str, data: bytes) -> Path:
        """Keep an uploaded PDF's bytes under ``{index_dir}/sources/{document}.pdf`` (atomic replace)."""
        from rag import sources

        return sources.store(self.sources_dir(), document, data)

    def remove_source(self, document: str) -> None:
        from rag import sources

        sources.remove(self.sources_dir(), document)

    def has_source(self, document: str) -> bool:
        """Cheap check for links: a source file is stored for ``document`` (serving checks more)."""
        from rag import sources

        return sources.has(self.sources_dir(), document)

    def source_path(self, document: str) -> Path | None:
        """The stored source PDF of an indexed document, or None: only a regular file directly in the sources
        folder whose bytes hash to the indexed document's sha256 counts (no links, nothing outside)."""
        from rag import sources

        try:
            sources.source_name(document)
            doc = self.document(document)
        except NotFoundError:
            return None
        return sources.verified(self.sources_dir(), doc)


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
