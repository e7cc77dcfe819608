"""The reads of MilvusStore: filters (pushed into Milvus), records, facets and the BM25 leg's corpus delta.

The remarks' Sudachi tokens are stored as strings in Milvus (no shared vocabulary to coordinate between
writers); each process numbers the terms it meets in a ``Vocabulary`` of its own, append-only, which is all
``CorpusDelta`` and ``remark_term_ids`` need: ids are only ever compared within one process.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from index import milvus_schema as ms
from index import milvus_snapshot as snapshot
from index.milvus_cache import GenerationCache
from index.tokens import CorpusDelta, CorpusRow
from rag.errors import NotFoundError
from rag.types import (
    Attendee,
    Filters,
    Meeting,
    ParsedDocument,
    Remark,
    StoredChunk,
    StoredRemark,
    Topic,
)

log = logging.getLogger(__name__)

_REMARK_FIELDS = ("remark_id", "document", "ordinal", "text", "data")
_CACHED_FIELDS = ("remark_id", "document", "ordinal", "text", "data", "tokens", "has_tokens")


class FilteredIds(np.ndarray):
    """Chunk ids that match a filter, carrying the filter's Milvus expression, so that ``search`` can hand
    Milvus the expression instead of the id list."""

    expr: str = ""


def filtered_ids(ids: Sequence[int], expr: str) -> np.ndarray:
    arr = np.asarray(sorted(ids), dtype=np.int64).view(FilteredIds)
    arr.expr = expr
    return arr


class Vocabulary:
    """term ↔ id (1, 2, …) for one process; append-only."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._terms: list[str] = []
        self._lock = threading.Lock()

    def ids(self, tokens: Sequence[str]) -> np.ndarray:
        with self._lock:
            out = np.empty(len(tokens), dtype=np.int32)
            for pos, term in enumerate(tokens):
                tid = self._ids.get(term)
                if tid is None:
                    self._terms.append(term)
                    tid = self._ids[term] = len(self._terms)
                out[pos] = tid
            return out

    def since(self, known_term: int) -> list[tuple[int, str]]:
        with self._lock:
            return [
                (i + 1, t) for i, t in enumerate(self._terms[max(known_term, 0) :], start=max(known_term, 0))
            ]


_VOCABS: dict[tuple[str, str], Vocabulary] = {}
_VOCABS_LOCK = threading.Lock()


def vocabulary(uri: str, prefix: str) -> Vocabulary:
    """One vocabulary per process and index, shared by every handle on it (a reopened store keeps the ids)."""
    with _VOCABS_LOCK:
        return _VOCABS.setdefault((uri, prefix), Vocabulary())


class MilvusReads:
    _client: Any
    _names: dict[str, str]
    _vocab: Vocabulary
    _remark_cache: GenerationCache
    _filter_cache: GenerationCache

    @property
    def generation(self) -> int:
        raise NotImplementedError

    # --- long values -----------------------------------------------------------------------
    def _blobs(self, keys: Iterable[str]) -> dict[str, str]:
        wanted = list(keys)
        if not wanted:
            return {}
        return {
            r["key"]: r["data"]
            for r in ms.rows_in(
                self._client, self._names["blobs"], "key", wanted, ["key", "data"], unique=True
            )
        }

    def _resolve(self, owner: str, row: dict[str, Any], data: dict[str, Any], fields: Sequence[str]) -> None:
        """Put back the ``fields`` of ``row`` that were stored in parts (``data["parts"]``: field → count)."""
        parts: dict[str, int] = data.get("parts", {})
        needed = [f for f in fields if f in parts]
        if not needed:
            return
        keys = [f"{owner}|{f}|{i}" for f in needed for i in range(parts[f])]
        found = self._blobs(keys)
        for f in needed:
            row[f] = "".join(found.get(f"{owner}|{f}|{i}", "") for i in range(parts[f]))

    def _remark_rows(
        self, expr_field: str, values: Sequence[Any], fields: Sequence[str], *, cached: bool = True
    ) -> list[dict[str, Any]]:
        """Remark rows, ``data`` parsed and long values put back. By remark id (the searches' lookups) they
        come from the generation's cache, all fields at once; callers must not change them."""
        if expr_field == "remark_id" and cached:
            generation = self.generation
            keys = list(dict.fromkeys(str(v) for v in values))
            found, missing = self._remark_cache.get(generation, keys)
            if missing:
                fetched = {
                    r["remark_id"]: r for r in self._fetch_remarks("remark_id", missing, _CACHED_FIELDS)
                }
                self._remark_cache.put(generation, fetched)
                found.update(fetched)
            return [found[k] for k in keys if k in found]
        return self._fetch_remarks(expr_field, values, fields)

    def _fetch_remarks(
        self, expr_field: str, values: Sequence[Any], fields: Sequence[str]
    ) -> list[dict[str, Any]]:
        unique = expr_field == "remark_id"
        got = ms.rows_in(self._client, self._names["remarks"], expr_field, values, fields, unique=unique)
        for row in got:
            data = json.loads(row["data"])
            row["data"] = data
            self._resolve(row["remark_id"], row, data, [f for f in ("text", "tokens") if f in fields])
        return got

    # --- filters -----------------------------------------------------------------------------
    def _matching_ids(self, kind: str, field: str, expr: str) -> list[Any]:
        """The ``field`` of the ``kind`` rows matching ``expr``, cached for the generation (a filter scans)."""
        generation = self.generation
        found, _ = self._filter_cache.get(generation, [(kind, expr)])
        if (kind, expr) in found:
            return list(found[(kind, expr)])
        ids = [r[field] for r in ms.matching(self._client, self._names[kind], expr, [field])]
        self._filter_cache.put(generation, {(kind, expr): tuple(ids)})
        return ids

    def chunk_ids_for(self, filters: Filters | None) -> np.ndarray | None:
        expr = ms.filter_expr(filters)
        if expr is None:
            return None
        return filtered_ids([int(i) for i in self._matching_ids("chunks", "chunk_id", expr)], expr)

    def remark_ids_for(self, filters: Filters | None) -> set[str] | None:
        expr = ms.filter_expr(filters)
        if expr is None:
            return None
        return {str(i) for i in self._matching_ids("remarks", "remark_id", expr)}

    # --- records -----------------------------------------------------------------------------
    def chunks(self, chunk_ids: Sequence[int]) -> list[StoredChunk]:
        wanted = [int(i) for i in chunk_ids]
        fields = ["chunk_id", "remark_id", "ordinal", "text", "char_start", "char_end"]
        found = {
            int(r["chunk_id"]): StoredChunk(
                int(r["chunk_id"]),
                r["remark_id"],
                int(r["ordinal"]),
                r["text"],
                int(r["char_start"]),
                int(r["char_end"]),
            )
            for r in ms.rows_in(self._client, self._names["chunks"], "chunk_id", wanted, fields, unique=True)
        }
        return [found[i] for i in wanted if i in found]

    def remarks(self, remark_ids: Sequence[str]) -> dict[str, StoredRemark]:
        rows = self._remark_rows("remark_id", list(remark_ids), _REMARK_FIELDS)
        return {r["remark_id"]: _stored_remark(r) for r in rows}

    def all_remarks(self) -> list[StoredRemark]:
        docs = [d["document"] for d in self.documents()]
        rows = self._remark_rows("document", docs, _REMARK_FIELDS)
        rows.sort(key=lambda r: (r["document"], int(r["ordinal"])))
        return [_stored_remark(r) for r in rows]

    def _document_rows(self) -> list[dict[str, Any]]:
        return list(ms.rows(self._client, self._names["documents"], "", ["document", "sha256", "data"]))

    def documents(self) -> list[dict[str, Any]]:
        out = []
        for row in self._document_rows():
            d = json.loads(row["data"])
            out.append(
                {
                    "document": row["document"],
                    "source": d["source"],
                    "sha256": row["sha256"],
                    "format": d["format"],
                    "title": d["title"],
                    "body": d["body"],
                    "session": d["session"],
                    "date": d["date"],
                    "place": d["place"],
                    "remarks": d["remarks"],
                    "ingested_at": d["ingested_at"],
                }
            )
        out.sort(key=lambda d: (d["date"] is None, d["date"] or "", d["document"]))
        return out

    def get_document(self, document: str) -> ParsedDocument:
        found = ms.rows_in(
            self._client,
            self._names["documents"],
            "document",
            [document],
            ["document", "sha256", "data"],
            unique=True,
        )
        if not found:
            raise NotFoundError(f"no document {document!r} in the index; list the ids with `rag documents`")
        row = found[0]
        d = json.loads(row["data"])
        self._resolve(document, row, d, ["text"])
        rows = self._remark_rows("document", [document], _REMARK_FIELDS)
        rows.sort(key=lambda r: int(r["ordinal"]))

        def people(items: list[list[Any]]) -> tuple[Attendee, ...]:
            return tuple(Attendee(name=a[0], affiliation=a[1], title=a[2]) for a in items)

        meeting = Meeting(
            title=d["title"],
            body=d["body"],
            session=d["session"],
            date=d["date"],
            start_time=d["start_time"],
            end_time=d["end_time"],
            place=d["place"],
            attendees=people(d["attendees"]),
            absentees=people(d["absentees"]),
            agenda=tuple(d["agenda"]),
        )
        remarks = tuple(_remark(r) for r in rows)
        return ParsedDocument(
            document=document,
            source=d["source"],
            sha256=row["sha256"],
            meeting=meeting,
            topics=tuple(Topic(number=t[0], title=t[1], kind=t[2]) for t in d["topics"]),
            remarks=remarks,
            text=row.get("text", ""),
            format=d["format"],
            ocr_pages=tuple(d["ocr_pages"]),
            empty_pages=tuple(d["empty_pages"]),
        )

    def facets(self) -> dict[str, list[Any]]:
        docs = [json.loads(r["data"]) | {"document": r["document"]} for r in self._document_rows()]
        remarks = [json.loads(r["data"]) for r in ms.rows(self._client, self._names["remarks"], "", ["data"])]

        def distinct(values: Iterable[Any]) -> list[Any]:
            return sorted({v for v in values if v is not None and v != ""})

        return {
            "bodies": distinct(d["body"] for d in docs),
            "meetings": distinct(d["title"] for d in docs),
            "dates": distinct(d["date"] for d in docs),
            "topics": distinct(r["topic"] for r in remarks),
            "speakers": distinct(r["speaker"] for r in remarks),
            "documents": distinct(d["document"] for d in docs),
        }

    # --- the lexical leg -----------------------------------------------------------------------
    def corpus_delta(self, known: Mapping[str, str], known_term: int = 0) -> CorpusDelta:
        """Documents, remark term ids and terms changed since ``known`` (document → sha256) and ``known_term``.

        The generation is read first: a write that lands while the rest is read moves it past the one
        returned, so the Retriever asks again on its next search. A cold read (nothing ``known``) starts from
        the corpus snapshot (index.milvus_snapshot) and reads only the documents it lacks."""
        generation = self.generation
        shas = self._shas_now()
        removed = [doc for doc, sha in known.items() if shas.get(doc) != sha]
        fresh = sorted(doc for doc, sha in shas.items() if known.get(doc) != sha)
        cold = not known and bool(fresh)
        snap = snapshot.read(self._client, self._names) if cold else None
        rows: list[snapshot.Row] = []
        if snap is not None:
            covered = {doc for doc, sha in snap.shas.items() if shas.get(doc) == sha}
            rows = [r for r in snap.rows if r[1] in covered]
            fresh = [doc for doc in fresh if doc not in covered]
        fields = ["remark_id", "document", "ordinal", "data", "tokens", "has_tokens", "text"]
        got = self._remark_rows("document", fresh, fields) if fresh else []
        rows += [
            (r["remark_id"], r["document"], int(r["ordinal"]), r["data"].get("topic"),
             r["tokens"] if r["has_tokens"] else None, None if r["has_tokens"] else r["text"])
            for r in got
            if shas.get(r["document"]) is not None
        ]
        rows.sort(key=lambda r: (r[1], r[2]))
        # (not while remarks lack tokens: the Retriever is about to store them, which drops the snapshot)
        if cold and snapshot.stale(snap, len(fresh), len(shas)) and all(r[4] is not None for r in rows):
            self._write_snapshot(snapshot.Snapshot(shas, rows))
        return CorpusDelta(
            generation=generation,
            shas=shas,
            removed=removed,
            rows=[
                CorpusRow(remark_id=rid, document=doc, topic=topic, text=text,
                          term_ids=None if tokens is None else self._vocab.ids(_tokens(tokens)))
                for rid, doc, _, topic, tokens, text in rows
            ],
            terms=self._vocab.since(known_term),
        )

    def _shas_now(self) -> dict[str, str]:
        found = ms.rows(self._client, self._names["documents"], "", ["document", "sha256"])
        return {r["document"]: r["sha256"] for r in found}

    def _write_snapshot(self, snap: snapshot.Snapshot) -> None:
        """Store ``snap`` unless a write changed the documents while its rows were read (a replace deletes
        the document row first, so a changed one shows here); a failure only costs the next cold start."""
        try:
            if self._shas_now() != snap.shas:
                return
            snapshot.write(self._client, self._names, snap)
        except Exception as exc:  # noqa: BLE001 - the search goes on without a snapshot
            log.warning("corpus snapshot not written: %s", exc)

    def remark_tokens(self, remark_ids: Sequence[str]) -> dict[str, list[str]]:
        """The stored lexical tokens of these remarks (those stored without tokens are left out)."""
        rows = self._remark_rows("remark_id", list(remark_ids), ["remark_id", "data", "tokens", "has_tokens"])
        return {r["remark_id"]: _tokens(r["tokens"]) for r in rows if r["has_tokens"]}

    def remark_term_ids(self, remark_ids: Sequence[str]) -> dict[str, np.ndarray]:
        return {rid: self._vocab.ids(toks) for rid, toks in self.remark_tokens(remark_ids).items()}

    def remark_chunk_ids(self, remark_ids: Sequence[str]) -> dict[str, list[int]]:
        rows = self._remark_rows("remark_id", list(remark_ids), ["remark_id", "data"])
        return {r["remark_id"]: sorted(r["data"]["chunk_ids"]) for r in rows if r["data"].get("chunk_ids")}


def _tokens(joined: str) -> list[str]:
    return joined.split(ms.TOKEN_SEP) if joined else []


def _stored_remark(r: dict[str, Any]) -> StoredRemark:
    d = r["data"]
    return StoredRemark(
        remark_id=r["remark_id"],
        document=r["document"],
        ordinal=int(r["ordinal"]),
        text=r["text"],
        topic=d["topic"],
        topic_number=d["topic_number"],
        speaker=d["speaker"],
        role=d["role"],
        pages=tuple(d["pages"]),
        title=d["title"],
        body=d["body"],
        session=d["session"],
        date=d["date"],
        speaker_group=d["speaker_group"],
        position=d["position"],
        url=d["url"],
        directions=tuple(d["directions"]),
    )


def _remark(r: dict[str, Any]) -> Remark:
    d = r["data"]
    return Remark(
        id=r["remark_id"],
        ordinal=int(r["ordinal"]),
        text=r["text"],
        topic=d["topic"],
        topic_number=d["topic_number"],
        speaker=d["speaker"],
        role=d["role"],
        pages=tuple(d["pages"]),
        start=d["start"],
        end=d["end"],
        directions=tuple(d["directions"]),
        speaker_group=d["speaker_group"],
        position=d["position"],
        url=d["url"],
    )
