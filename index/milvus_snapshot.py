"""The lexical corpus of a Milvus store kept as one compressed snapshot, for a replica's cold start.

A replica's first search builds the BM25 corpus: every remark's tokens. Read row by row from Milvus that took
49 s at 100,000 remarks (milvus-lite, docs/deploy-milvus.md). The snapshot holds the same rows (remark id,
document, ordinal, topic, tokens, or the text of a remark stored without tokens) with each document's sha256,
as zlib-compressed JSON in base64 parts in the ``blobs`` collection, under a pointer in ``meta``. A cold
``corpus_delta`` reads it in a few hundred rows and fetches only the documents whose sha256 differs from the
snapshot's (new, replaced); deleted ones simply drop out. So a stale snapshot is slower, never wrong.

Written by a cold ``corpus_delta`` when there was none or it missed more than ``REFRESH_SHARE`` of the
documents, and only when the documents' sha256s are the same after the rows were read as before (a replace
deletes the document row first, so a write in progress shows). New parts go in first, then the pointer, then
every other snapshot part is deleted (an older one, or a racing writer's: its pointer then reads as no
snapshot, and the next cold start writes one again). The parts' ``document`` is empty, which no document id
is, so deleting a document never touches them.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from index import milvus_schema as ms

log = logging.getLogger(__name__)

META_KEY = "corpus_snapshot"
OWNER = ""  # the parts' `document`: no document has an empty id
REFRESH_SHARE = 0.1  # rewrite when more than this share of the documents is not in the snapshot
WRITE_BATCH = 50  # parts per upsert (each up to MAX_BYTES)
PART_BYTES = ms.MAX_BYTES  # one part fills a VARCHAR of the blobs collection
PARTS_PER_READ = 100  # parts per query: ~6 MB, well inside Milvus's cap on one result (64 MB by default)

# remark id, document, ordinal, topic, tokens (joined by ms.TOKEN_SEP) or None, text (when no tokens) or None
Row = tuple[str, str, int, "str | None", "str | None", "str | None"]


@dataclass(frozen=True)
class Snapshot:
    shas: dict[str, str]  # every document the rows are of → its sha256
    rows: list[Row] = field(default_factory=list)


def encode(snapshot: Snapshot) -> list[str]:
    """The snapshot as base64 parts of at most ``PART_BYTES`` characters (ASCII: characters are bytes)."""
    payload = {"shas": snapshot.shas, "rows": [list(r) for r in snapshot.rows]}
    raw = zlib.compress(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 6)
    text = base64.b64encode(raw).decode("ascii")
    return [text[i : i + PART_BYTES] for i in range(0, len(text), PART_BYTES)] or [""]


def decode(parts: Sequence[str]) -> Snapshot:
    """The inverse of ``encode``; ValueError when the parts do not make a snapshot."""
    try:
        payload = json.loads(zlib.decompress(base64.b64decode("".join(parts), validate=True)).decode("utf-8"))
        rows: list[Row] = [(str(a), str(b), int(c), d, e, f) for a, b, c, d, e, f in payload["rows"]]
        return Snapshot({str(k): str(v) for k, v in payload["shas"].items()}, rows)
    except (binascii.Error, zlib.error, UnicodeDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a corpus snapshot: {exc}") from exc


def _pointer(client: Any, names: dict[str, str]) -> dict[str, Any] | None:
    got = client.query(names["meta"], filter=f'key == "{META_KEY}"', output_fields=["value"])
    return dict(json.loads(got[0]["value"])) if got else None


def _keys(pointer: dict[str, Any]) -> list[str]:
    return [f"{META_KEY}|{pointer['id']}|{i}" for i in range(int(pointer["parts"]))]


def read(client: Any, names: dict[str, str]) -> Snapshot | None:
    """The current snapshot, or None (none written, being replaced, or unreadable)."""
    pointer = _pointer(client, names)
    if pointer is None:
        return None
    keys = _keys(pointer)
    got = ms.rows_in(client, names["blobs"], "key", keys, ["key", "data"], unique=True, batch_size=PARTS_PER_READ)
    found = {str(r["key"]): str(r["data"]) for r in got}
    if len(found) != len(keys):
        return None
    try:
        return decode([found[k] for k in keys])
    except ValueError as exc:
        log.warning("the corpus snapshot is unreadable (%s); reading the remarks instead", exc)
        return None


def write(client: Any, names: dict[str, str], snapshot: Snapshot) -> None:
    """Store ``snapshot`` as the current one: new parts, then the pointer, then every other part goes."""
    parts = encode(snapshot)
    pointer = {"id": uuid.uuid4().hex, "parts": len(parts)}
    rows = [{"key": k, "document": OWNER, "data": p, "_v": ms.NO_VECTOR} for k, p in zip(_keys(pointer), parts, strict=True)]
    for begin in range(0, len(rows), WRITE_BATCH):
        client.upsert(names["blobs"], rows[begin : begin + WRITE_BATCH])
    client.upsert(names["meta"], [{"key": META_KEY, "value": json.dumps(pointer), "_v": ms.NO_VECTOR}])
    _delete_parts(client, names, keep=set(_keys(pointer)))
    log.info("corpus snapshot written: %d remarks of %d documents in %d parts", len(snapshot.rows),
             len(snapshot.shas), len(parts))


def drop(client: Any, names: dict[str, str]) -> None:
    """Remove the snapshot (the stored tokens changed without a new generation)."""
    client.delete(names["meta"], filter=f'key == "{META_KEY}"')
    _delete_parts(client, names, keep=set())


def _delete_parts(client: Any, names: dict[str, str], *, keep: set[str]) -> None:
    """Delete the snapshot parts (blobs of no document) whose key is not in ``keep``."""
    found = ms.rows(client, names["blobs"], f"document == {ms.literal(OWNER)}", ["key"])
    ms.delete_in(client, names["blobs"], "key", [str(r["key"]) for r in found if r["key"] not in keep])


def stale(snapshot: Snapshot | None, missing: int, documents: int) -> bool:
    """Whether a cold read should write a new snapshot: none, or more than REFRESH_SHARE of ``documents``
    were not in it (``missing``)."""
    return documents > 0 and (snapshot is None or missing > REFRESH_SHARE * documents)
