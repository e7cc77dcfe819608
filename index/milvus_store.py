"""MilvusStore: the index in Milvus (a server, a cluster, or Milvus Lite), with the same interface as IndexStore.

Every record lives in Milvus (``index.milvus_schema`` lists the collections), so API replicas and ingest
workers on any number of machines share one index and keep nothing of their own. A write of one document:
delete its old rows (document row first), insert its chunks, remarks and long values, then its document row
(the commit marker), then one row in the log. The log's row count is the generation: readers (the
Retriever's BM25 corpus) catch up when it moves. Inserts from concurrent writers all count, so no write is
ever missed. ``upsert_many`` writes a batch of documents the same way: one delete per collection, batched
inserts, one log insert (a row per document). Chunk ids are Milvus auto ids: unique and never reused.
Re-ingesting a document with the same sha256 is a no-op. A write that raises is rolled back: its partial rows
are removed and a replaced document's old rows put back (``index.milvus_rollback``). A crash in the middle of a
write leaves rows without their document row: not listed, reported by ``verify``, removed by the next write.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import numpy as np

from index import exact
from index import milvus_rollback as rollback
from index import milvus_schema as ms
from index import milvus_snapshot as snapshot
from index.backend import MilvusTarget
from index.manifest import mismatch, now_iso
from index.milvus_cache import GenerationCache
from index.milvus_reads import MilvusReads, vocabulary
from index.milvus_rows import document_rows, long_value
from index.milvus_sources import MilvusSources
from index.queries import check_upsert
from rag.errors import IndexStoreError, NotFoundError
from rag.types import Chunk, ParsedDocument

log = logging.getLogger(__name__)

EXACT_FEW = 512  # restricted searches over at most this many chunks are scored exactly, here
MAX_LIMIT = 16_384  # Milvus' largest top-k
EF_MIN = 128  # HNSW search breadth (at least the top-k)
GENERATION_TTL_S = 0.2  # how long a read generation is trusted before asking Milvus again
INSERT_BATCH = 1_000
SEAL_ROWS = 10_000  # chunks inserted by one handle before it asks Milvus to seal them (see ``flush``)
Item = tuple[ParsedDocument, Sequence[Chunk], np.ndarray, Sequence[Sequence[str]] | None]


class MilvusStore(MilvusReads):
    """``read_only`` only means: do not create the collections. Any open handle can write."""

    def __init__(
        self,
        target: MilvusTarget,
        *,
        model_id: str,
        fingerprint: str,
        dim: int,
        index_type: str = "hnsw",
        read_only: bool = False,
        check_model: bool = True,
    ) -> None:
        self.target = target
        self.dim = int(dim)
        self.index_type = "hnsw"
        self.read_only = False
        self._names = ms.names(target.prefix)
        self._vocab = vocabulary(target.uri, target.prefix)
        self._lock = threading.RLock()
        self._gen: tuple[int, float] = (-1, 0.0)
        self._remark_cache = GenerationCache()
        self._vector_cache = GenerationCache()
        self._filter_cache = GenerationCache()
        self._unsealed = 0
        try:
            self._client = ms.connect(target)
            manifest = self._open_manifest(model_id, fingerprint, read_only)
        except (ImportError, IndexStoreError):
            raise
        except Exception as exc:  # noqa: BLE001 - any client failure: say where and what to check
            raise IndexStoreError(
                f"cannot open the Milvus store at {target.display}: {exc}; check RAG_STORE and that Milvus runs"
            ) from exc
        if check_model:
            problem = mismatch(manifest, model_id=model_id, fingerprint=fingerprint, dim=self.dim)
            if problem:
                raise IndexStoreError(f"{problem} (Milvus store at {target.display})")
        self.manifest = manifest
        self.dim = int(manifest["dim"])
        self.uid = str(manifest.get("uid", ""))
        self.sources = MilvusSources(self._client, self._names["blobs"])  # uploaded PDFs, in blobs
        if index_type not in ("hnsw", "flat"):
            log.info(
                "the Milvus store always uses HNSW (RAG_INDEX_TYPE=%s applies to the embedded index)",
                index_type,
            )

    @classmethod
    def open_existing(cls, target: MilvusTarget) -> MilvusStore:
        """Open an existing store whatever its model (verify, migrate): dim and model come from its manifest."""
        return cls(target, model_id="", fingerprint="", dim=0, read_only=True, check_model=False)

    def _open_manifest(self, model_id: str, fingerprint: str, read_only: bool) -> dict[str, Any]:
        have = ms.existing(self._client, self.target.prefix)
        manifest = self._read_manifest() if "meta" in have else None
        if manifest is not None and len(have) == len(ms.COLLECTIONS):
            return manifest
        if read_only:
            raise IndexStoreError(
                f"no index in the Milvus store at {self.target.display}; run `rag ingest` first"
            )
        if manifest is None and self.dim <= 0:
            raise IndexStoreError(f"the Milvus store at {self.target.display} has no manifest")
        ms.create_missing(self._client, self.target.prefix, self.dim or int(manifest["dim"]))  # type: ignore[index]
        if manifest is None:
            manifest = {
                "schema": ms.SCHEMA,
                "model_id": model_id,
                "fingerprint": fingerprint,
                "dim": self.dim,
                "metric": "ip",
                "index_type": "hnsw",
                "uid": uuid.uuid4().hex,
                "created": now_iso(),
            }
            self._client.upsert(
                self._names["meta"],
                [{"key": "manifest", "value": json.dumps(manifest, ensure_ascii=False), "_v": ms.NO_VECTOR}],
            )
            manifest = self._read_manifest() or manifest  # a concurrent creator's manifest wins the same way
        return manifest

    def _read_manifest(self) -> dict[str, Any] | None:
        got = self._client.query(self._names["meta"], filter='key == "manifest"', output_fields=["value"])
        return dict(json.loads(got[0]["value"])) if got else None

    # --- generation ------------------------------------------------------------------------
    @property
    def generation(self) -> int:
        value, at = self._gen
        now = time.monotonic()
        if value < 0 or now - at > GENERATION_TTL_S:
            value = ms.count(self._client, self._names["log"])
            self._gen = (value, now)
        return value

    def _logged(self, *documents: str, action: str) -> None:
        """One log row per document (each counts in the generation), in one insert."""
        self._client.insert(
            self._names["log"], [{"document": d, "action": action, "_v": ms.NO_VECTOR} for d in documents]
        )
        self._gen = (-1, 0.0)

    # --- writes ----------------------------------------------------------------------------
    def document_status(self, document: str, sha256: str) -> str:
        got = ms.rows_in(
            self._client, self._names["documents"], "document", [document], ["sha256"], unique=True
        )
        if not got:
            return "new"
        return "unchanged" if got[0]["sha256"] == sha256 else "changed"

    def flush(self) -> None:
        """Seal the chunks this handle inserted (Milvus persists every write anyway): Milvus builds the HNSW
        index of sealed segments only; a growing segment is searched by brute force, which in Milvus Lite
        made every search ~10× slower (docs/deploy-milvus.md). Called every SEAL_ROWS chunks
        and on close."""
        with self._lock:
            if self._unsealed:
                self._client.flush(self._names["chunks"])
                self._unsealed = 0

    def _seal_if_due(self) -> None:
        if self._unsealed >= SEAL_ROWS:
            self.flush()

    def upsert(
        self,
        doc: ParsedDocument,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        tokens: Sequence[Sequence[str]] | None = None,
    ) -> str:
        """Add or replace one document with its chunks and vectors: "added" | "replaced" | "unchanged"."""
        return self.upsert_many([(doc, chunks, vectors, tokens)])[0]

    def upsert_many(self, items: Sequence[Item]) -> list[str]:
        """``upsert`` of several documents (all checked first), written together: one status query, one
        delete per collection for the documents that change, their rows in batched inserts (document rows
        last, each still its own document's commit marker), one write-log insert."""
        checked = []
        for doc, chunks, vectors, tokens in items:
            matrix = check_upsert(doc, chunks, vectors, self.dim)
            if tokens is not None and len(tokens) != len(doc.remarks):
                raise ValueError(
                    f"upsert of {doc.document}: {len(tokens)} token lists for {len(doc.remarks)} remarks"
                )
            checked.append((doc, chunks, matrix, tokens))
        with self._lock:
            shas = self._shas([doc.document for doc, *_ in checked])
            outcomes: list[str] = []
            todo: dict[str, Item] = {}
            for doc, chunks, matrix, tokens in checked:
                known = todo[doc.document][0].sha256 if doc.document in todo else shas.get(doc.document)
                if known == doc.sha256:
                    outcomes.append("unchanged")
                    continue
                outcomes.append(
                    "added" if doc.document not in shas and doc.document not in todo else "replaced"
                )
                todo[doc.document] = (doc, chunks, matrix, tokens)  # the last of one document's versions wins
            if todo:
                self._write(todo, replaced=[d for d in todo if d in shas])
        return outcomes

    def _write(self, todo: dict[str, Item], replaced: Sequence[str]) -> None:
        """Delete the documents' rows and insert their new versions; when that raises, the replaced documents'
        old rows (read first) are put back before the error goes on (``index.milvus_rollback``)."""
        previous = rollback.read(self._client, self._names, replaced) if replaced else None
        try:
            self._remove_rows(*todo)
            self._insert_documents(list(todo.values()))
        except Exception:
            try:  # the new versions' partial rows go, and the replaced documents' old rows come back
                if previous is None:
                    self._remove_rows(*todo)
                else:
                    rollback.restore(self._client, self._names, previous, self._remove_rows, list(todo))
                    self._logged(*replaced, action="restore")
            except Exception as exc:  # noqa: BLE001 - the write's own error is the one to raise
                log.error("could not roll back the failed write of %s: %s", sorted(todo), exc)
            raise
        self._logged(*todo, action="upsert")
        self._seal_if_due()

    def _shas(self, documents: Sequence[str]) -> dict[str, str]:
        got = ms.rows_in(
            self._client, self._names["documents"], "document", documents, ["document", "sha256"], unique=True
        )
        return {str(r["document"]): str(r["sha256"]) for r in got}

    def delete(self, document: str) -> None:
        """Remove a document, its remarks, chunks and stored source PDF; NotFoundError when it is not indexed."""
        with self._lock:
            if self.document_status(document, "") == "new":
                raise NotFoundError(
                    f"no document {document!r} in the index; list the ids with `rag index ls` or GET /documents"
                )
            self._remove_rows(document)
            self._logged(document, action="delete")

    def _remove_rows(self, *documents: str) -> None:
        """Every row of ``documents``, the document rows first (one delete per collection and IN_BATCH)."""
        for begin in range(0, len(documents), ms.IN_BATCH):
            expr = ms.in_list("document", list(documents[begin : begin + ms.IN_BATCH]))
            for kind in ("documents", "chunks", "remarks", "blobs"):
                self._client.delete(self._names[kind], filter=expr)

    def _insert_documents(self, items: Sequence[Item]) -> None:
        """Chunks, remarks and long values of all ``items`` first, the document rows (commit markers) last."""
        built = [document_rows(doc, chunks, matrix, tokens) for doc, chunks, matrix, tokens in items]
        chunk_rows = [row for b in built for row in b["chunks"]]
        ids: list[int] = []
        for begin in range(0, len(chunk_rows), INSERT_BATCH):
            done = self._client.insert(self._names["chunks"], chunk_rows[begin : begin + INSERT_BATCH])
            ids += [int(i) for i in done["ids"]]
        self._unsealed += len(ids)
        by_remark: dict[str, list[int]] = {}
        all_chunks = [c for _, chunks, _, _ in items for c in chunks]
        # the auto ids come in the order the chunks were inserted
        for cid, c in zip(ids, all_chunks, strict=True):
            by_remark.setdefault(c.remark_id, []).append(cid)
        for b in built:
            for row in b["remarks"]:  # each remark lists its chunk ids: remark → chunks is one key lookup
                row["data"]["chunk_ids"] = by_remark.get(row["remark_id"], [])
                row["data"] = json.dumps(row["data"], ensure_ascii=False)
        for kind in ("remarks", "blobs", "documents"):
            rows = [row for b in built for row in b[kind]]
            for begin in range(0, len(rows), INSERT_BATCH):
                self._client.upsert(self._names[kind], rows[begin : begin + INSERT_BATCH])

    def store_tokens(self, pairs: Sequence[tuple[str, Sequence[str]]]) -> None:
        """Set remarks' lexical tokens (for remarks stored without them; no new generation)."""
        wanted = dict(pairs)
        if not wanted:
            return
        fields = ["remark_id", "document", "ordinal", "text", "data", *ms.FILTER_FIELDS]
        with self._lock:
            rows = self._remark_rows("remark_id", list(wanted), fields, cached=False)
            blobs: list[dict[str, Any]] = []
            for row in rows:
                data = row["data"]
                data.get("parts", {}).pop("tokens", None)
                text = row.pop("text")
                data.get("parts", {}).pop("text", None)
                row["text"] = long_value(row["remark_id"], "text", text, row["document"], data, blobs)
                joined = ms.TOKEN_SEP.join(wanted[row["remark_id"]])
                row["tokens"] = long_value(row["remark_id"], "tokens", joined, row["document"], data, blobs)
                row.update(has_tokens=True, data=json.dumps(data, ensure_ascii=False), _v=ms.NO_VECTOR)
            for kind, batch_rows in (("blobs", blobs), ("remarks", rows)):
                for begin in range(0, len(batch_rows), INSERT_BATCH):
                    self._client.upsert(self._names[kind], batch_rows[begin : begin + INSERT_BATCH])
            self._remark_cache.clear()  # the tokens changed without a new generation
            snapshot.drop(self._client, self._names)  # … so the corpus snapshot may hold the old ones

    # --- search ----------------------------------------------------------------------------
    def search(
        self, vector: np.ndarray, k: int, *, chunk_ids: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(chunk_id, inner-product score) best first; only among ``chunk_ids`` when given (a filter's ids
        from ``chunk_ids_for`` are searched by the filter's expression, inside Milvus)."""
        query = exact.query_vector(vector, self.dim)
        if k <= 0:
            return []
        expr = ""
        if chunk_ids is not None:
            allowed = np.unique(np.asarray(chunk_ids, dtype=np.int64))
            if not len(allowed):
                return []
            if len(allowed) <= EXACT_FEW:
                return self._exact(query, k, allowed)
            expr = getattr(chunk_ids, "expr", "") or ms.in_list("chunk_id", allowed.tolist())
            k = min(k, len(allowed))
        limit = min(k, MAX_LIMIT)
        found = self._client.search(
            self._names["chunks"],
            data=[query.tolist()],
            anns_field="vector",
            limit=limit,
            filter=expr,
            search_params={"metric_type": "IP", "params": {"ef": max(limit, EF_MIN)}},
            output_fields=["chunk_id"],
        )
        hits = found[0] if found else []
        return [(int(h.get("chunk_id", h.get("id"))), float(h["distance"])) for h in hits]

    def _exact(self, query: np.ndarray, k: int, allowed: np.ndarray) -> list[tuple[int, float]]:
        return exact.top_k(*self._fetch_vectors(allowed.tolist()), query, k)

    def _fetch_vectors(self, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """The stored (ids, vectors) among ``ids``, by id; from the generation's cache where it has them."""
        generation = self.generation
        found, missing = self._vector_cache.get(generation, list(dict.fromkeys(int(i) for i in ids)))
        if missing:
            got = ms.rows_in(
                self._client, self._names["chunks"], "chunk_id", missing, ["chunk_id", "vector"], unique=True
            )
            fetched = {int(r["chunk_id"]): np.asarray(r["vector"], np.float32) for r in got}
            self._vector_cache.put(generation, fetched)
            found.update(fetched)
        order = sorted(found)
        matrix = np.array([found[i] for i in order], np.float32).reshape(len(order), self.dim)
        return np.array(order, np.int64), matrix

    def chunk_vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of ``chunk_ids`` in that order (rows of zeros for unknown ids)."""
        wanted = [int(i) for i in chunk_ids]
        return exact.in_order(*self._fetch_vectors(wanted), wanted, self.dim)

    # --- info and lifecycle ----------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        return {
            kind: ms.count(self._client, self._names[kind]) for kind in ("documents", "remarks", "chunks")
        }

    def info(self) -> dict[str, Any]:
        counts = self.counts()
        return {
            **self.manifest,
            "store": "milvus",
            "uri": self.target.uri,
            "prefix": self.target.prefix,
            "generation": self.generation,
            "counts": counts,
            "vectors": {"kind": "hnsw (milvus)", "ntotal": counts["chunks"]},
        }

    def close(self) -> None:
        try:
            self.flush()
            self._client.close()
        except Exception as exc:  # noqa: BLE001 - closing is best effort
            log.info("closing the Milvus client: %s", exc)

    def __enter__(self) -> MilvusStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


for _name in ("document_status", "flush", "upsert", "upsert_many", "delete", "store_tokens", "search",
              "chunk_vectors", "info", "chunk_ids_for", "remark_ids_for", "chunks", "remarks", "all_remarks",
              "documents", "get_document", "facets", "corpus_delta", "remark_tokens", "remark_term_ids",
              "remark_chunk_ids"):
    setattr(MilvusStore, _name, ms.guarded(getattr(MilvusStore, _name)))
setattr(MilvusStore, "generation", property(ms.guarded(MilvusStore.__dict__["generation"].fget)))  # noqa: B010
