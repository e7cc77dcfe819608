"""Consistency check of a Milvus store (``rag index verify`` with RAG_STORE set)."""

from __future__ import annotations

import json
from collections import Counter

from index import milvus_schema as ms
from index.backend import parse_target
from index.milvus_store import MilvusStore
from rag.errors import IndexStoreError


def verify_milvus(spec: str) -> list[str]:
    """Problems found in the Milvus store ``spec``; empty when its collections agree.

    Checks: the manifest and all collections exist; every remark and chunk belongs to a listed document;
    every document has the number of remarks it records; every chunk has its remark, which lists it, its offsets map into
    the remark text and its vector has the manifest's dimension; every remark has its lexical tokens; the
    long values of documents and remarks, and the stored source PDFs, have all their parts; the log counts at
    least one write per document.
    """
    try:
        store = MilvusStore.open_existing(parse_target(spec))
    except (IndexStoreError, ValueError) as exc:
        return [str(exc)]
    with store:
        client, names = store._client, store._names
        problems: list[str] = []
        docs = {
            r["document"]: json.loads(r["data"])
            for r in ms.rows(client, names["documents"], "", ["document", "data"])
        }
        remarks = list(
            ms.rows(client, names["remarks"], "", ["remark_id", "document", "text", "data", "has_tokens"])
        )
        per_doc = Counter(r["document"] for r in remarks)
        orphan_remarks = [r["remark_id"] for r in remarks if r["document"] not in docs]
        if orphan_remarks:
            problems.append(
                f"{len(orphan_remarks)} remarks without their document (e.g. {orphan_remarks[:3]})"
            )
        wrong = [d for d, data in docs.items() if per_doc.get(d, 0) != data.get("remarks")]
        if wrong:
            problems.append(
                f"{len(wrong)} documents whose remark count differs from their rows (e.g. {wrong[:3]})"
            )
        untokenized = [r["remark_id"] for r in remarks if not r["has_tokens"] and r["document"] in docs]
        if untokenized:
            problems.append(f"{len(untokenized)} remarks without lexical tokens (a search stores them)")
        texts: dict[str, str] = {}
        listed: dict[int, str] = {}  # chunk id → the remark that lists it
        wanted_parts: list[str] = []
        for r in remarks:
            data = json.loads(r["data"])
            listed.update({int(c): r["remark_id"] for c in data.get("chunk_ids", [])})
            parts = data.get("parts", {})
            wanted_parts += [f"{r['remark_id']}|{f}|{i}" for f, n in parts.items() for i in range(n)]
            texts[r["remark_id"]] = r["text"] if "text" not in parts else ""
        for document, data in docs.items():
            wanted_parts += [f"{document}|text|{i}" for i in range(data.get("parts", {}).get("text", 0))]
        have = {r["key"] for r in ms.rows(client, names["blobs"], "", ["key"])}
        missing_parts = sorted(set(wanted_parts) - have)
        if missing_parts:
            problems.append(
                f"{len(missing_parts)} parts of long values are missing (e.g. {missing_parts[:3]})"
            )
        broken = store.sources.incomplete(docs, have)
        if broken:
            problems.append(f"{len(broken)} stored source PDFs miss parts (e.g. {broken[:3]})")
        long_texts = [rid for rid, t in texts.items() if not t]
        if long_texts:
            texts.update({rid: r.text for rid, r in store.remarks(long_texts).items()})
        orphan_chunks = bad_offsets = bad_vectors = unlisted = 0
        fields = ["chunk_id", "remark_id", "text", "char_start", "char_end", "vector"]
        for c in ms.rows(client, names["chunks"], "", fields):
            unlisted += listed.pop(int(c["chunk_id"]), None) != c["remark_id"]
            text = texts.get(c["remark_id"])
            if text is None:
                orphan_chunks += 1
                continue
            if text[int(c["char_start"]) : int(c["char_end"])] != c["text"]:
                bad_offsets += 1
            if len(c["vector"]) != store.dim:
                bad_vectors += 1
        for n, what in (
            (orphan_chunks, "chunks without their remark"),
            (bad_offsets, "chunks whose offsets do not map into their remark"),
            (bad_vectors, f"chunk vectors that are not {store.dim} values"),
            (unlisted, "chunks that their remark does not list"),
            (len(listed), "chunk ids listed by remarks that have no chunk"),
        ):
            if n:
                problems.append(f"{n} {what}")
        if store.generation < len(docs):
            problems.append(f"the log holds {store.generation} writes for {len(docs)} documents")
        return problems
