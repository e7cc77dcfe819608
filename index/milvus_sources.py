"""Uploaded source PDFs in the Milvus store, so that every replica serves ``GET /documents/{id}/source``.

The bytes go to the ``blobs`` collection as base64 parts (one VARCHAR each), every row under the document's
id, so that deleting or replacing the document (``MilvusStore._remove_rows``) takes its source with it:

  ``{document}|source``               a head: JSON {"sha256", "size", "parts"}, written after the parts, so a
                                      source exists exactly when its head does
  ``{document}|source|{sha256}|{i}``  part i: base64 of at most PART_BYTES bytes of the PDF

A replacement writes the new parts, then the head, then drops the old parts (named after another sha256), so a
reader sees the old PDF or the new one. Whether the bytes are the indexed document's is the service's check
(``RagService.source_bytes``); here a source whose parts are missing or do not add up to its head is None.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Iterable
from typing import Any

from index import milvus_schema as ms
from rag.errors import NotFoundError
from rag.sources import source_name

log = logging.getLogger(__name__)

PART_BYTES = 45_000  # base64 of this is 60,000 characters: ms.MAX_BYTES, one VARCHAR
BATCH = 32  # parts per insert or query (~2 MB), well under the server's message limits
SOURCE = "source"


def head_key(document: str) -> str:
    return f"{document}|{SOURCE}"


def part_key(document: str, sha256: str, number: int) -> str:
    return f"{document}|{SOURCE}|{sha256}|{number}"


def source_part_keys(keys: Iterable[str], document: str) -> list[str]:
    """The part keys among a document's blob ``keys`` (the head and other long values excluded)."""
    prefix = f"{head_key(document)}|"
    return [k for k in keys if k.startswith(prefix)]


class MilvusSources:
    """put / get / delete / stored of source PDFs by document id (the embedded twin: ``rag.sources.FileSources``)."""

    def __init__(self, client: Any, collection: str) -> None:
        self._client = client
        self._collection = collection

    def _heads(self, documents: list[str]) -> dict[str, dict[str, Any]]:
        keys = {head_key(d): d for d in documents}
        got = ms.rows_in(self._client, self._collection, "key", list(keys), ["key", "data"], unique=True)
        return {keys[str(r["key"])]: json.loads(r["data"]) for r in got}

    def _drop(self, keys: list[str]) -> None:
        ms.delete_in(self._client, self._collection, "key", keys)

    def _part_keys(self, document: str) -> list[str]:
        """Every part row of the document's sources (the current one's and any left by a crashed write)."""
        rows = ms.matching(self._client, self._collection, f"document == {ms.literal(document)}", ["key"])
        return source_part_keys((str(r["key"]) for r in rows), document)

    @ms.guarded
    def put(self, document: str, data: bytes) -> None:
        """Store ``data`` as the source of ``document`` (replacing any); NotFoundError for an id that cannot
        name a source (as the embedded store)."""
        source_name(document)
        sha = hashlib.sha256(data).hexdigest()
        rows = [
            {
                "key": part_key(document, sha, n),
                "document": document,
                "data": base64.b64encode(data[begin : begin + PART_BYTES]).decode("ascii"),
                "_v": ms.NO_VECTOR,
            }
            for n, begin in enumerate(range(0, len(data), PART_BYTES))
        ]
        for begin in range(0, len(rows), BATCH):
            self._client.upsert(self._collection, rows[begin : begin + BATCH])
        head = {"sha256": sha, "size": len(data), "parts": len(rows)}
        self._client.upsert(
            self._collection,
            [{"key": head_key(document), "document": document, "data": json.dumps(head), "_v": ms.NO_VECTOR}],
        )
        current = f"{head_key(document)}|{sha}|"
        self._drop([k for k in self._part_keys(document) if not k.startswith(current)])

    @ms.guarded
    def get(self, document: str) -> bytes | None:
        """The stored bytes, or None when there is no (complete) source for ``document``."""
        try:
            source_name(document)
        except NotFoundError:
            return None
        head = self._heads([document]).get(document)
        if head is None:
            return None
        keys = [part_key(document, head["sha256"], n) for n in range(int(head["parts"]))]
        got = ms.rows_in(self._client, self._collection, "key", keys, ["key", "data"], unique=True, batch_size=BATCH)
        parts = {str(r["key"]): str(r["data"]) for r in got}
        if len(parts) != len(keys):
            log.warning("the source of %s misses %d of its %d parts", document, len(keys) - len(parts), len(keys))
            return None
        data = b"".join(base64.b64decode(parts[k]) for k in keys)
        if len(data) != int(head["size"]) or hashlib.sha256(data).hexdigest() != head["sha256"]:
            log.warning("the stored source of %s does not match its head", document)
            return None
        return data

    @ms.guarded
    def delete(self, document: str) -> None:
        """Remove the source of ``document`` (the head first, so readers stop finding it); absent is fine."""
        try:
            source_name(document)
        except NotFoundError:
            return
        self._drop([head_key(document)])
        self._drop(self._part_keys(document))

    @ms.guarded
    def stored(self, documents: Iterable[str]) -> set[str]:
        """Which of ``documents`` have a source: one query for all (a search links its hits' sources)."""
        wanted = []
        for document in dict.fromkeys(documents):
            try:
                wanted.append(source_name(document))
            except NotFoundError:
                continue
        return set(self._heads(wanted)) if wanted else set()

    def has(self, document: str) -> bool:
        return document in self.stored([document])

    @ms.guarded
    def incomplete(self, documents: Iterable[str], keys: set[str]) -> list[str]:
        """Documents whose stored source misses parts among the blob ``keys`` (``rag index verify``)."""
        heads = self._heads(list(documents))
        return sorted(
            d for d, h in heads.items() if any(part_key(d, h["sha256"], n) not in keys for n in range(h["parts"]))
        )
