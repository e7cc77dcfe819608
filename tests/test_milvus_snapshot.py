"""The Milvus store's corpus snapshot (index/milvus_snapshot.py): a cold corpus read starts from it and fetches
only the documents it lacks; it gives the same rows as reading every remark; a stale or torn one is slower,
never wrong. Against a real `milvus-lite server`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from index_docs import FINGERPRINT, MODEL_ID, chunks_of, embed, make_doc

from index import milvus_schema as ms
from index import milvus_snapshot as snapshot
from index.backend import parse_target
from index.milvus_reads import MilvusReads
from index.milvus_store import MilvusStore
from index.tokens import CorpusDelta
from rag.types import ParsedDocument

DIM = 16


def test_encode_decode_round_trip_and_garbage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "PART_BYTES", 64)  # several parts
    snap = snapshot.Snapshot({"a": "x1"}, [("a#1", "a", 1, "論点①", "研究\x1f育成", None), ("a#2", "a", 2, None, None, "本文")])
    parts = snapshot.encode(snap)
    assert len(parts) > 1 and all(len(p) <= 64 for p in parts)
    assert snapshot.decode(parts) == snap
    with pytest.raises(ValueError, match="not a corpus snapshot"):
        snapshot.decode(parts[:-1])
    with pytest.raises(ValueError, match="not a corpus snapshot"):
        snapshot.decode(["not base64!"])


def test_stale() -> None:
    snap = snapshot.Snapshot({})
    assert snapshot.stale(None, 0, 5) and not snapshot.stale(None, 0, 0)
    assert not snapshot.stale(snap, 1, 10) and snapshot.stale(snap, 2, 10)  # more than 10 % missing


def _open(spec: str) -> MilvusStore:
    return MilvusStore(parse_target(spec), model_id=MODEL_ID, fingerprint=FINGERPRINT, dim=DIM)


def _add(store: MilvusStore, doc: ParsedDocument) -> None:
    chunks = chunks_of(doc)
    tokens = [r.text.replace("。", " ").split() for r in doc.remarks]
    store.upsert(doc, chunks, embed([c.text for c in chunks], DIM), tokens)


def _rows(delta: CorpusDelta, store: MilvusStore) -> list[tuple[str, str, str | None, list[str]]]:
    terms = {i: t for i, t in store._vocab.since(0)}
    return [(r.remark_id, r.document, r.topic, [terms[int(t)] for t in r.term_ids]) for r in delta.rows]  # type: ignore[union-attr]


def _fetched(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Records which documents each corpus read fetches remark by remark."""
    calls: list[list[str]] = []
    inner = MilvusReads._remark_rows

    def spy(self: MilvusReads, field: str, values: Any, fields: Any, **kw: Any) -> Any:
        if field == "document":
            calls.append(sorted(values))
        return inner(self, field, values, fields, **kw)

    monkeypatch.setattr(MilvusReads, "_remark_rows", spy)
    return calls


def test_cold_read_starts_from_the_snapshot(milvus_store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _open(milvus_store)
    for name in ("doc_a", "doc_b", "doc_c"):
        _add(store, make_doc(name))
    fetched = _fetched(monkeypatch)
    first = store.corpus_delta({})  # no snapshot yet: every document is read, then the snapshot written
    assert fetched == [["doc_a", "doc_b", "doc_c"]]
    snap = snapshot.read(store._client, store._names)
    assert snap is not None and snap.shas == first.shas and len(snap.rows) == len(first.rows) == 9

    other = _open(milvus_store)  # another replica's cold start: nothing fetched remark by remark
    again = other.corpus_delta({})
    assert fetched == [["doc_a", "doc_b", "doc_c"]]
    assert _rows(again, other) == _rows(first, store) and again.shas == first.shas

    # a replaced and a deleted document: only the replaced one is read; the deleted one drops out
    _add(store, make_doc("doc_a", version="v2"))
    store.delete("doc_b")
    store._gen = (-1, 0.0)
    later = _open(milvus_store).corpus_delta({})
    assert fetched[-1] == ["doc_a"]
    assert {r.document for r in later.rows} == {"doc_a", "doc_c"}
    assert all(r.remark_id.startswith("doc_c") or "v2" in "".join(toks) for r, (*_, toks) in
               zip(later.rows, _rows(later, store), strict=True))
    # 1 of 2 documents was missing, over the 10 % share: the snapshot was rewritten with them
    snap = snapshot.read(store._client, store._names)
    assert snap is not None and snap.shas == later.shas
    assert _rows(_open(milvus_store).corpus_delta({}), store) == _rows(later, store)
    assert fetched[-1] == ["doc_a"]  # the read right after found everything in the new snapshot
    # the old parts went when the new pointer was written
    keys = [r["key"] for r in ms.rows(store._client, store._names["blobs"], "", ["key"])]
    assert len([k for k in keys if k.startswith(snapshot.META_KEY)]) == len(snapshot.encode(snap))


def test_torn_snapshot_and_changed_tokens(milvus_store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "PART_BYTES", 100)  # several parts, read two at a time
    monkeypatch.setattr(snapshot, "PARTS_PER_READ", 2)
    store = _open(milvus_store)
    _add(store, make_doc("doc_a"))
    full = store.corpus_delta({})
    pointer = snapshot._pointer(store._client, store._names)
    assert pointer is not None and pointer["parts"] > 2
    assert _rows(_open(milvus_store).corpus_delta({}), store) == _rows(full, store)
    store._client.delete(store._names["blobs"], filter=ms.in_list("key", snapshot._keys(pointer)[:1]))
    # a racing writer's part, left without its pointer
    dead = {"key": f"{snapshot.META_KEY}|dead|0", "document": snapshot.OWNER, "data": "x", "_v": ms.NO_VECTOR}
    store._client.upsert(store._names["blobs"], [dead])
    assert snapshot.read(store._client, store._names) is None  # a part missing: no snapshot
    assert _rows(_open(milvus_store).corpus_delta({}), store) == _rows(full, store)  # read in full, rewritten
    pointer = snapshot._pointer(store._client, store._names)
    assert pointer is not None and snapshot.read(store._client, store._names) is not None
    keys = {r["key"] for r in ms.rows(store._client, store._names["blobs"], "", ["key"])}
    assert {k for k in keys if k.startswith(snapshot.META_KEY)} == set(snapshot._keys(pointer))  # others gone
    store.store_tokens([("doc_a#1", ["別", "語"])])  # tokens changed without a new generation: dropped
    assert snapshot.read(store._client, store._names) is None
    fresh = _open(milvus_store).corpus_delta({})
    assert dict((rid, toks) for rid, _, _, toks in _rows(fresh, store))["doc_a#1"] == ["別", "語"]


def test_a_write_during_the_read_keeps_the_snapshot_out(milvus_store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _open(milvus_store)
    _add(store, make_doc("doc_a"))
    inner = MilvusReads._remark_rows

    def racing(self: MilvusReads, field: str, values: Any, fields: Any, **kw: Any) -> Any:
        got = inner(self, field, values, fields, **kw)
        if field == "document":  # a replace lands after the remarks were read
            monkeypatch.setattr(MilvusReads, "_remark_rows", inner)
            _add(store, replace(make_doc("doc_a", version="v3")))
        return got

    monkeypatch.setattr(MilvusReads, "_remark_rows", racing)
    store.corpus_delta({})
    assert snapshot.read(store._client, store._names) is None
