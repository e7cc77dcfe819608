"""The one facade that the CLI, the API, the brief builder and eval call: ingest, search, documents.

Both faces go through this module so there is exactly one code path for ingest and search. The model and
the index are loaded lazily, once per service; writes are serialized by a lock, reads are not.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.errors import NotFoundError
from rag.files import SUPPORTED_SUFFIXES as SUPPORTED_SUFFIXES  # re-exported: api.routes.documents
from rag.files import iter_minutes_files as iter_minutes_files  # re-exported: rag.cli
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
    def write_lock(self) -> threading.Lock:
        """Serializes this service's writes to the store (held for the store write only, not the embedding)."""
        return self._write_lock

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

    # --- writes (the bookkeeping is rag.ingest) ---------------------------------------------
    def ingest(
        self,
        paths: Sequence[Path],
        *,
        progress: bool = False,
        on_file: Callable[[str, str], None] | None = None,
    ) -> IngestReport:
        """Parse, chunk, embed and index files or folders; one commit per batch of documents.

        Bad files are reported in ``IngestReport.failed`` (path → one-line reason) and do not stop the others.
        ``on_file(path, outcome)`` is called after each file with added/unchanged/replaced/failed.
        """
        from rag import ingest

        return ingest.ingest_paths(self, paths, progress=progress, on_file=on_file)

    def ingest_bytes(self, name: str, data: bytes) -> IngestReport:
        """Same as ``ingest`` for one uploaded file (its name decides PDF or text)."""
        from rag import ingest

        return ingest.ingest_bytes(self, name, data)

    def ingest_parsed(self, docs: Sequence[ParsedDocument], *, progress: bool = False) -> IngestReport:
        """Index already-parsed documents (eval loads BEIR corpora this way: one remark per entry)."""
        from rag import ingest

        return ingest.ingest_parsed(self, docs, progress=progress)

    def index_batch(self, docs: Sequence[ParsedDocument]) -> list[str]:
        """Chunk, embed (one pass over all the documents' chunks), tokenize and store documents, in one
        transaction: "added" | "replaced" | "unchanged" for each."""
        from rag import ingest

        return ingest.index_batch(self, docs)

    def embedding_cache(self) -> EmbeddingCache:
        return self._embedding_cache()

    def delete(self, document: str) -> None:
        """Remove a document, its remarks and its stored source PDF; raises NotFoundError when absent."""
        self.store(create=False)  # refuses to create an index just to delete from it
        store = self.store(create=True)
        with self._write_lock:
            store.delete(document)  # each store removes the document's source PDF with it

    # --- reads -----------------------------------------------------------------------------
    def search(
        self,
        question: str,
        *,
        k: int | None = None,
        filters: Filters | None = None,
        mode: str | None = None,
        rerank: bool | None = None,
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

    def store_source(self, document: str, data: bytes) -> None:
        """Keep an uploaded PDF's bytes as the document's source: ``{index_dir}/sources/{document}.pdf``
        (atomic replace) with the embedded index, in Milvus with the Milvus store (every replica serves it)."""
        self.store(create=True).sources.put(document, data)

    def remove_source(self, document: str) -> None:
        self.store(create=True).sources.delete(document)

    def has_source(self, document: str) -> bool:
        """Cheap check for links: a source is stored for ``document`` (serving checks more)."""
        return self.store(create=False).sources.has(document)

    def sources_stored(self, documents: Iterable[str]) -> set[str]:
        """Which of ``documents`` have a stored source (one look-up for all: a search's links)."""
        return self.store(create=False).sources.stored(documents)

    def source_bytes(self, document: str) -> bytes | None:
        """The stored source PDF of an indexed PDF document, or None: only bytes that hash to the indexed
        document's sha256 count (embedded: only a regular file directly in the sources folder, no links)."""
        found = self.source(document)
        return None if found is None else found[0]

    def source(self, document: str) -> tuple[bytes, str] | None:
        """``source_bytes`` with the sha256 the bytes were checked against (the HTTP route's ETag)."""
        from rag.sources import matches, source_name

        try:
            source_name(document)
            doc = self.document(document)
        except NotFoundError:
            return None
        if doc.format != "pdf":
            return None
        data = self.store(create=False).sources.get(document)
        return (data, doc.sha256) if data is not None and matches(data, doc.sha256) else None
