"""Undo of a failed replace on Milvus: the old version's rows are read before the write, and put back if it fails.

Milvus has no transactions across collections, so a replace deletes the document's rows and then inserts the new
version's (``MilvusStore.upsert_many``). When a step of that raises (a rejected row, a timeout, a dropped
connection that comes back), ``restore`` removes whatever the failed write left of the documents and writes the
old rows back, document rows last as in any write, so the index serves the old version instead of none. The old
chunks get new auto ids (Milvus assigns them), so the remarks' chunk lists are mapped to those. A process that
dies in the middle still leaves rows without their document row, which ``verify`` reports and the next write of
that document removes (``index.milvus_store``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from index import milvus_schema as ms

log = logging.getLogger(__name__)

INSERT_BATCH = 1_000
# every field of each collection's rows but the placeholder vector "_v" (written back as ms.NO_VECTOR)
FIELDS: dict[str, tuple[str, ...]] = {
    "documents": ("document", "sha256", "date", "data"),
    "remarks": ("remark_id", "document", "ordinal", "text", "data", "tokens", "has_tokens", *ms.FILTER_FIELDS),
    "chunks": ("chunk_id", "remark_id", "document", "ordinal", "text", "char_start", "char_end", "vector",
               *ms.FILTER_FIELDS),
    "blobs": ("key", "document", "data"),
}


@dataclass
class Previous:
    """The rows of the documents a write is about to replace, by collection kind."""

    documents: list[str]
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def read(client: Any, names: dict[str, str], documents: Sequence[str]) -> Previous:
    """Every row of ``documents`` in the four collections a write replaces."""
    previous = Previous(list(documents))
    for kind, fields in FIELDS.items():
        # chunk rows carry a vector and blob rows up to 60 KB: smaller batches keep one result under Milvus's cap
        batch = ms.IN_BATCH if kind in ("documents", "remarks") else 50
        previous.rows[kind] = [dict(r) for r in ms.rows_in(client, names[kind], "document", documents, fields,
                                                           batch_size=batch)]
    return previous


def restore(client: Any, names: dict[str, str], previous: Previous, remove: Callable[..., None],
            written: Sequence[str]) -> None:
    """Remove what a failed write left of ``written`` (``remove``: the store's row deletion), then write the old
    rows of ``previous`` back: chunks first (new ids), remarks with their chunk lists mapped, blobs, and the
    document rows last."""
    remove(*written)
    chunks = [dict(r) for r in previous.rows.get("chunks", [])]
    old_ids = [int(r.pop("chunk_id")) for r in chunks]
    new_ids: list[int] = []
    for begin in range(0, len(chunks), INSERT_BATCH):
        done = client.insert(names["chunks"], chunks[begin : begin + INSERT_BATCH])
        new_ids += [int(i) for i in done["ids"]]
    mapped = dict(zip(old_ids, new_ids, strict=True))
    remarks = []
    for row in previous.rows.get("remarks", []):
        data = json.loads(row["data"])
        data["chunk_ids"] = [mapped[int(c)] for c in data.get("chunk_ids", []) if int(c) in mapped]
        remarks.append(dict(row, data=json.dumps(data, ensure_ascii=False)))
    for kind, rows in (("remarks", remarks), ("blobs", previous.rows.get("blobs", [])),
                       ("documents", previous.rows.get("documents", []))):
        rows = [dict(r, _v=ms.NO_VECTOR) for r in rows]
        for begin in range(0, len(rows), INSERT_BATCH):
            client.upsert(names[kind], rows[begin : begin + INSERT_BATCH])
    log.warning("a failed write was rolled back: %d document(s) restored to their previous version",
                len(previous.rows.get("documents", [])))
