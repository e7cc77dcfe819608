from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from index_docs import FINGERPRINT, MODEL_ID, chunks_of, embed, make_doc

from index import IndexStore, verify
from index.lock import WriteLock
from rag.errors import IndexStoreError, InputError, NotFoundError
from rag.types import Filters

DIM = 16


def open_store(path: Path, **kw: object) -> IndexStore:
    return IndexStore(path, model_id=MODEL_ID, fingerprint=FINGERPRINT, dim=DIM, **kw)  # type: ignore[arg-type]


def add(store: IndexStore, doc) -> str:  # type: ignore[no-untyped-def]
    chunks = chunks_of(doc)
    return store.upsert(doc, chunks, embed([c.text for c in chunks], DIM))


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = open_store(tmp_path / "idx")
    yield s
    s.close()


def test_add_status_unchanged_replace_delete(store: IndexStore, tmp_path: Path) -> None:
    doc = make_doc("a")
    assert store.generation == 0
    assert store.document_status("a", doc.sha256) == "new"
    assert add(store, doc) == "added"
    assert store.generation == 1
    assert store.document_status("a", doc.sha256) == "unchanged"
    assert store.document_status("a", "other") == "changed"
    assert add(store, doc) == "unchanged"
    assert store.generation == 1

    old_ids = store.chunk_ids_for(Filters(document="a"))
    assert old_ids is not None and len(old_ids) == 3
    v2 = make_doc("a", version="v2")
    assert add(store, v2) == "replaced"
    assert store.generation == 2
    new_ids = store.chunk_ids_for(Filters(document="a"))
    assert new_ids is not None and len(new_ids) == 3 and not set(old_ids) & set(new_ids)
    assert store.chunks(list(old_ids)) == []
    assert [c.text for c in store.chunks(list(new_ids))] == [r.text for r in v2.remarks]
    # the replaced text is what search finds now
    query = embed([v2.remarks[1].text], DIM)[0]
    top_id, top_score = store.search(query, 1)[0]
    assert store.chunks([top_id])[0].text == v2.remarks[1].text and top_score == pytest.approx(1.0, abs=1e-5)

    add(store, make_doc("b"))
    assert store.info()["counts"] == {"documents": 2, "remarks": 6, "chunks": 6}
    store.delete("a")
    assert store.generation == 4
    assert [d["document"] for d in store.documents()] == ["b"]
    assert {cid for cid, _ in store.search(query, 10)}.isdisjoint(set(new_ids))
    with pytest.raises(NotFoundError, match="no document 'a'"):
        store.delete("a")
    with pytest.raises(NotFoundError):
        store.get_document("a")
    store.close()
    assert verify(tmp_path / "idx") == []
    manifest = IndexStore.read_manifest(tmp_path / "idx")
    assert manifest is not None and manifest["counts"] == {"documents": 1, "remarks": 3, "chunks": 3}
    assert json.loads((tmp_path / "idx" / "manifest.json").read_text())["counts"] == manifest["counts"]


def test_get_document_round_trip_and_documents(store: IndexStore) -> None:
    doc = make_doc("r1")
    add(store, doc)
    assert store.get_document("r1") == doc
    [row] = store.documents()
    assert {k: row[k] for k in ("document", "sha256", "format", "title", "session", "date", "remarks")} == {
        "document": "r1",
        "sha256": doc.sha256,
        "format": "text",
        "title": doc.meeting.title,
        "session": 1,
        "date": "2021-12-09",
        "remarks": 3,
    }
    remarks = store.remarks(["r1#2", "missing"])
    assert list(remarks) == ["r1#2"]
    r = remarks["r1#2"]
    assert (r.speaker, r.role, r.topic, r.topic_number, r.pages, r.date) == (
        "佐藤",
        "委員",
        "国際連携",
        2,
        (2,),
        "2021-12-09",
    )
    assert r.citation().title == doc.meeting.title
    assert [x.remark_id for x in store.all_remarks()] == ["r1#1", "r1#2", "r1#3"]


def _seed_filters(store: IndexStore) -> None:
    add(store, make_doc("m1", title="技術協力に関する検討会合（第１回）議事要旨", date="2021-12-09"))
    add(
        store,
        make_doc("m2", title="技術協力に関する検討会合（第２回）議事要旨", date="2022-01-20", session=2),
    )
    add(
        store,
        make_doc(
            "m3",
            title="Energy Policy Council (3rd) minutes",
            body="Energy Policy Council",
            date="2022-03-01",
            session=3,
            remarks=[
                ("Smith", "chair", "Grid reform", 1, "We should modernise the grid."),
                ("Tanaka", "member", "Hydrogen", 2, "Hydrogen needs support."),
            ],
        ),
    )


def test_filters(store: IndexStore) -> None:
    _seed_filters(store)

    def remarks(**kw: str) -> set[str]:
        found = store.remark_ids_for(Filters(**kw))
        assert found is not None
        ids = store.chunk_ids_for(Filters(**kw))
        assert ids is not None
        assert {c.remark_id for c in store.chunks(list(ids))} == found
        return found

    assert store.chunk_ids_for(None) is None and store.chunk_ids_for(Filters()) is None
    assert store.remark_ids_for(None) is None
    assert remarks(meeting="第1回") == {"m1#1", "m1#2", "m1#3"}  # half width matches full width
    assert remarks(meeting="energy policy") == {"m3#1", "m3#2"}  # body, any case
    assert remarks(date_from="2022-01-20", date_to="2022-01-20") == {"m2#1", "m2#2", "m2#3"}
    assert remarks(date_from="2022-01") == {"m2#1", "m2#2", "m2#3", "m3#1", "m3#2"}
    assert remarks(date_to="2021") == {"m1#1", "m1#2", "m1#3"}
    assert remarks(topic="国際") == {"m1#2", "m2#2"}
    assert remarks(topic="2") == {"m1#2", "m2#2", "m3#2"}
    assert remarks(topic="２") == {"m1#2", "m2#2", "m3#2"}
    assert remarks(speaker="青木") == {"m1#1", "m2#1"}
    assert remarks(speaker="事務局") == {"m1#3", "m2#3"}  # role
    assert remarks(speaker="CHAIR") == {"m3#1"}
    assert remarks(document="m2", speaker="佐藤") == {"m2#2"}
    assert remarks(document="m") == set()  # exact, not substring
    with pytest.raises(InputError, match="ISO date"):
        store.chunk_ids_for(Filters(date_from="9 Dec 2021"))


def test_facets(store: IndexStore) -> None:
    _seed_filters(store)
    assert store.facets() == {
        "bodies": ["Energy Policy Council", "技術協力に関する検討会合"],
        "meetings": [
            "Energy Policy Council (3rd) minutes",
            "技術協力に関する検討会合（第１回）議事要旨",
            "技術協力に関する検討会合（第２回）議事要旨",
        ],
        "dates": ["2021-12-09", "2022-01-20", "2022-03-01"],
        "topics": ["Grid reform", "Hydrogen", "人材育成", "国際連携"],
        "speakers": ["Smith", "Tanaka", "佐藤", "青木"],
        "documents": ["m1", "m2", "m3"],
    }


def test_restricted_search_returns_k(store: IndexStore) -> None:
    for i in range(30):
        add(store, make_doc(f"d{i:02d}"))
    allowed = store.chunk_ids_for(Filters(document="d07"))
    assert allowed is not None and len(allowed) == 3
    query = embed(["unrelated question"], DIM)[0]
    hits = store.search(query, 3, chunk_ids=allowed)
    assert sorted(cid for cid, _ in hits) == sorted(allowed.tolist())
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert store.search(query, 5, chunk_ids=np.array([], np.int64)) == []
    assert len(store.search(query, 500)) == 90


def test_mismatched_model_or_dim_refused(tmp_path: Path) -> None:
    with open_store(tmp_path / "idx") as s:
        add(s, make_doc("a"))
    with pytest.raises(IndexStoreError, match=f"RAG_MODEL={MODEL_ID}.*another --index directory.*rebuild"):
        IndexStore(tmp_path / "idx", model_id="other/model", fingerprint="fp-other", dim=DIM)
    with pytest.raises(IndexStoreError, match="dim 16"):
        IndexStore(tmp_path / "idx", model_id=MODEL_ID, fingerprint=FINGERPRINT, dim=32)
    with open_store(tmp_path / "idx", read_only=True) as s:  # the right model still opens it
        assert s.documents()[0]["document"] == "a"


def test_read_only_missing_and_read_only_writes(tmp_path: Path) -> None:
    with pytest.raises(IndexStoreError, match="no index at .*run `rag ingest` first"):
        open_store(tmp_path / "none", read_only=True)
    assert not (tmp_path / "none").exists()
    assert IndexStore.read_manifest(tmp_path / "none") is None
    open_store(tmp_path / "idx").close()
    with open_store(tmp_path / "idx", read_only=True) as s, pytest.raises(IndexStoreError, match="read-only"):
        add(s, make_doc("a"))


def test_bad_vectors_rejected(store: IndexStore) -> None:
    doc = make_doc("a")
    chunks = chunks_of(doc)
    with pytest.raises(ValueError, match=r"shape \(3, 16\)"):
        store.upsert(doc, chunks, np.zeros((2, DIM), np.float32))
    bad = embed([c.text for c in chunks], DIM)
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        store.upsert(doc, chunks, bad)
    assert store.generation == 0 and store.documents() == []


def test_reader_sees_writes_of_another_store(tmp_path: Path) -> None:
    writer = open_store(tmp_path / "idx", save_interval_s=3600)
    add(writer, make_doc("a"))
    reader = open_store(tmp_path / "idx", read_only=True)
    doc_b = make_doc("b")
    add(writer, doc_b)  # the FAISS file lags (save interval): the reader catches up from SQLite
    query = embed([doc_b.remarks[0].text], DIM)[0]
    [(top, score)] = reader.search(query, 1)
    assert reader.chunks([top])[0].text == doc_b.remarks[0].text and score == pytest.approx(1.0, abs=1e-5)
    writer.delete("b")
    assert reader.chunks([cid for cid, _ in reader.search(query, 10)]) != [] and all(
        c.remark_id.startswith("a#") for c in reader.chunks([cid for cid, _ in reader.search(query, 10)])
    )
    assert verify(tmp_path / "idx") != []  # vectors.faiss is behind until the writer saves
    writer.close()
    reader.close()
    assert verify(tmp_path / "idx") == []


def test_second_writer_gets_clear_error(tmp_path: Path) -> None:
    store = open_store(tmp_path / "idx", lock_timeout_s=0.2)
    with (
        WriteLock(tmp_path / "idx" / "write.lock").hold(),
        pytest.raises(IndexStoreError, match="wait for it"),
    ):
        add(store, make_doc("a"))
    assert add(store, make_doc("a")) == "added"
    store.close()


def test_lost_or_foreign_faiss_file_is_rebuilt(tmp_path: Path) -> None:
    with open_store(tmp_path / "idx") as s:
        for name in ("a", "b"):
            add(s, make_doc(name))
    (tmp_path / "idx" / "vectors.faiss").unlink()
    with open_store(tmp_path / "idx") as s:
        assert s.info()["vectors"]["ntotal"] == 6
    assert verify(tmp_path / "idx") == []
    # a vectors.faiss from another index (same ids, other vectors) must not be trusted
    with open_store(tmp_path / "other") as s:
        add(s, make_doc("zzz"))
    for name in ("vectors.faiss", "vectors.gen"):
        (tmp_path / "idx" / name).write_bytes((tmp_path / "other" / name).read_bytes())
    assert any("another database" in p for p in verify(tmp_path / "idx"))
    with open_store(tmp_path / "idx") as s:
        query = embed([make_doc("a").remarks[0].text], DIM)[0]
        assert s.chunks([s.search(query, 1)[0][0]])[0].remark_id == "a#1"
    assert verify(tmp_path / "idx") == []


@pytest.mark.parametrize("index_type", ["hnsw", "ivf"])
def test_other_index_types_add_replace_delete(tmp_path: Path, index_type: str) -> None:
    with open_store(tmp_path / "idx", index_type=index_type) as s:
        for i in range(5):
            add(s, make_doc(f"d{i}"))
        add(s, make_doc("d1", version="v2"))
        s.delete("d3")
        query = embed([make_doc("d1", version="v2").remarks[2].text], DIM)[0]
        assert s.chunks([s.search(query, 1)[0][0]])[0].text == make_doc("d1", version="v2").remarks[2].text
        assert len(s.search(query, 100)) == 12
        assert s.info()["index_type"] == index_type
    assert verify(tmp_path / "idx") == []
    with open_store(tmp_path / "idx") as s:  # the stored type wins over the argument
        assert s.index_type == index_type and len(s.search(query, 100)) == 12


def test_open_while_another_process_writes_does_not_wait(tmp_path: Path) -> None:
    writer = open_store(tmp_path / "idx", save_interval_s=3600)
    add(writer, make_doc("a"))
    add(writer, make_doc("b"))  # vectors.faiss lags behind
    with WriteLock(tmp_path / "idx" / "write.lock").hold():
        other = open_store(tmp_path / "idx", lock_timeout_s=30)  # would wait 30 s if it insisted on repairing
        assert len(other.search(embed(["x"], DIM)[0], 10)) == 6
        other.close()  # cannot save either: skipped, not waited for
    writer.close()
    assert verify(tmp_path / "idx") == []


def test_chunk_vectors_returns_stored_rows_in_order(store: IndexStore) -> None:
    doc = make_doc("a")
    add(store, doc)
    ids = store.chunk_ids_for(Filters(document="a"))
    assert ids is not None
    got = store.chunk_vectors([int(ids[2]), 999, int(ids[0])])
    expected = embed([doc.remarks[2].text, doc.remarks[0].text], DIM)
    assert np.array_equal(got[0], expected[0]) and np.array_equal(got[2], expected[1])
    assert not got[1].any()


def test_document_without_chunks(store: IndexStore) -> None:
    doc = make_doc("empty", remarks=[])
    assert store.upsert(doc, [], np.empty(0, np.float32)) == "added"
    assert store.documents()[0]["remarks"] == 0 and store.search(embed(["x"], DIM)[0], 3) == []
