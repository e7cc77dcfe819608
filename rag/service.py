"""The one facade that the CLI, the API and the brief builder call: ingest, search, documents.

Both faces go through this module so there is exactly one code path for ingest and search.
(Being implemented: signatures are the contract.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rag.settings import Settings, get_settings
from rag.types import Filters, IngestReport, ParsedDocument, SearchResult


class RagService:
    """Owns one embedder, one index store and one retriever; loads them lazily, once."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    # --- lifecycle -------------------------------------------------------------------------
    def load(self) -> None:
        """Load the model and open the index (called once at API start-up)."""
        raise NotImplementedError

    @property
    def ready(self) -> bool:
        raise NotImplementedError

    @property
    def model_id(self) -> str:
        raise NotImplementedError

    # --- writes ----------------------------------------------------------------------------
    def ingest(
        self, paths: Sequence[Path], *, progress: bool = False, on_file: Callable[[str, str], None] | None = None
    ) -> IngestReport:
        """Parse, chunk, embed and index files or folders; one commit per document; bad files are reported
        in ``IngestReport.failed`` and do not stop the others."""
        raise NotImplementedError

    def ingest_bytes(self, name: str, data: bytes) -> IngestReport:
        """Same as ``ingest`` for one uploaded file (name decides PDF or text)."""
        raise NotImplementedError

    def delete(self, document: str) -> None:
        """Remove a document and its remarks; raises NotFoundError when absent."""
        raise NotImplementedError

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
    ) -> SearchResult:
        """Validate the question (InputError), retrieve, rank and return cited hits."""
        raise NotImplementedError

    def documents(self) -> list[dict[str, Any]]:
        """[{document, title, body, session, date, remarks, sha256, source}] sorted by date."""
        raise NotImplementedError

    def document(self, document: str) -> ParsedDocument:
        raise NotImplementedError

    def facets(self) -> dict[str, list[Any]]:
        """{"bodies": [...], "meetings": [...], "dates": [...], "topics": [...], "speakers": [...], "documents": [...]}"""
        raise NotImplementedError

    def info(self) -> dict[str, Any]:
        """Manifest and counts of the index."""
        raise NotImplementedError
