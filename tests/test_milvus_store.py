"""The Milvus store against a real `milvus-lite server`, side by side with the embedded IndexStore: the same
documents give the same records, filters, listings and search results; replace, delete, no-op re-ingest."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from index_docs import FINGERPRINT, MODEL_ID, chunks_of, embed, make_doc

from index.backend import Store, is_milvus, parse_target
from index.milvus_schema import MAX_BYTES, filter_expr
from index.milvus_store import MilvusStore
from index.milvus_verify import verify_milvus
from index.store import IndexStore
from rag.errors import IndexStoreError, NotFoundError
from rag.types import Filters, ParsedDocument

DIM = 16


def _docs() -> list[ParsedDocument]:
    a = make_doc("doc_a", date="2021-12-09")
    b = make_doc(
        "doc_b",
        title="地域防災に関する懇談会（第２回）議事録",
        body="地域防災に関する懇談会",
        session=2,
        date="2023-04-01",
        remarks=[
            ("高橋", "座長", "避難計画", 1, "doc_b：避難所の運営を見直す。"),
            ("田中", "委員", "避難計画", 1, "doc_b：高齢者の避難支援が課題だ。"),
            ("鈴木", "委員", "予算", 2, "doc_b：補修の予算が足りない。"),
        ],
    )
    groups = ("自由民主党・無所属の会", "立憲民主党", None)
    b = replace(b, remarks=tuple(replace(r, speaker_group=g) for r, g in zip(b.remarks, groups, strict=True)))
    c = make_doc("doc_c", date=None, title="無日付の会合", body=None, session=None)
    return [a, b, c]


def _tokens(doc: ParsedDocument) -> list[list[str]]:
    return [list(r.text.replace("：", " ").replace("。", " ").split()) for r in doc.remarks]


def _fill(store: Store, docs: list[ParsedDocument]) -> None:
    for doc in docs:
        chunks = chunks_of(doc)
        assert store.upsert(doc, chunks, embed([c.text for c in chunks], DIM), _tokens(doc)) == "added"


@pytest.fixture
def pair(milvus_store: str, tmp_path: Path) -> tuple[IndexStore, MilvusStore]:
    embedded = IndexStore(tmp_path / "index", model_id=MODEL_ID, fingerprint=FINGERPRINT, dim=DIM)
    milvus = MilvusStore(parse_target(milvus_store), model_id=MODEL_ID, fingerprint=FINGERPRINT, dim=DIM)
    docs = _docs()
    _fill(embedded, docs)
    _fill(milvus, docs)
    yield embedded, milvus
    embedded.close()
    milvus.close()


FILTERS = [
    Filters(document="doc_b"),
    Filters(date_from="2022"),
    Filters(date_to="2021-12"),
    Filters(date_from="2021-12-09", date_to="2021-12-09"),
    Filters(speaker="青木"),
    Filters(speaker="委員"),
    Filters(topic="避難"),
    Filters(topic="2"),
    Filters(meeting="防災"),
    Filters(meeting="第１回"),
    Filters(speaker_group="民主"),
    Filters(speaker_group="自由民主党"),
    Filters(speaker="高橋", date_from="2023"),
    Filters(speaker="存在しない人"),
    Filters(speaker='a"b_%\\'),
]


def test_targets_parse() -> None:
    assert parse_target("milvus://db.example:19531?prefix=prod").uri == "http://db.example:19531"
    assert parse_target("milvus://db.example:19531?prefix=prod").prefix == "prod"
    assert parse_target("milvus://u:p%40ss@h:1").token == "u:p@ss"
    assert parse_target("/tmp/x.db").uri == "/tmp/x.db"
    assert is_milvus("https://h:443") and not is_milvus("data/index") and not is_milvus(None)
    with pytest.raises(ValueError, match="prefix"):
        parse_target("milvus://h:1?prefix=bad-name")
    with pytest.raises(ValueError, match="not a Milvus address"):
        parse_target("data/index")
    assert filter_expr(Filters()) is None
    assert filter_expr(Filters(speaker="x")) == '(f_speaker like "%x%" or f_role like "%x%")'


def test_records_match_the_embedded_store(pair: tuple[IndexStore, MilvusStore]) -> None:
    embedded, milvus = pair
    assert [d["document"] for d in milvus.documents()] == [d["document"] for d in embedded.documents()]
    strip = [{k: v for k, v in d.items() if k != "ingested_at"} for d in embedded.documents()]
    assert [{k: v for k, v in d.items() if k != "ingested_at"} for d in milvus.documents()] == strip
    for name in ("doc_a", "doc_b", "doc_c"):
        assert milvus.get_document(name) == embedded.get_document(name)
    ids = [r.remark_id for r in embedded.all_remarks()]
    assert [r.remark_id for r in milvus.all_remarks()] == ids
    assert milvus.remarks(ids) == embedded.remarks(ids)
    assert milvus.remarks(["doc_b#2"])["doc_b#2"].citation().speaker_group == "立憲民主党"
    assert milvus.facets() == embedded.facets()
    assert milvus.remark_tokens(ids) == embedded.remark_tokens(ids)
    with pytest.raises(NotFoundError):
        milvus.get_document("nope")
    info = milvus.info()
    assert info["counts"] == {
        "documents": 3,
        "remarks": 9,
        "chunks": len(milvus.chunk_ids_for(Filters(meeting="会"))),
    }
    assert info["model_id"] == MODEL_ID and info["generation"] == 3
    assert verify_milvus(f"{milvus.target.uri}?prefix={milvus.target.prefix}") == []


@pytest.mark.parametrize("in_milvus", [False, True], ids=["exact-here", "filter-in-milvus"])
def test_filters_match_the_embedded_store(
    pair: tuple[IndexStore, MilvusStore], in_milvus: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedded, milvus = pair
    if in_milvus:  # past EXACT_FEW ids, the filter's expression goes to Milvus with the dense query
        monkeypatch.setattr("index.milvus_store.EXACT_FEW", 0)
    query = embed(["研究者の育成"], DIM)[0]

    def hits(store: Store, chunk_ids: np.ndarray) -> list[tuple[str, float]]:
        found = store.search(query, 5, chunk_ids=chunk_ids)
        owners = {c.chunk_id: c.remark_id for c in store.chunks([i for i, _ in found])}
        return [(owners[i], round(s, 4)) for i, s in found]

    for filters in FILTERS:
        assert milvus.remark_ids_for(filters) == embedded.remark_ids_for(filters), filters
        m_chunks, e_chunks = milvus.chunk_ids_for(filters), embedded.chunk_ids_for(filters)
        assert m_chunks is not None and e_chunks is not None
        m_owners = sorted(c.remark_id for c in milvus.chunks(list(m_chunks)))
        assert m_owners == sorted(c.remark_id for c in embedded.chunks(list(e_chunks))), filters
        assert hits(milvus, m_chunks) == hits(embedded, e_chunks), filters
    assert milvus.remark_ids_for(Filters(speaker_group="民主")) == {"doc_b#1", "doc_b#2"}
    assert milvus.remark_ids_for(Filters(date_to="2021")) == {"doc_a#1", "doc_a#2", "doc_a#3"}


def test_search_and_vectors(pair: tuple[IndexStore, MilvusStore]) -> None:
    embedded, milvus = pair
    for text in ("研究者の育成", "避難所の運営", "予算"):
        query = embed([text], DIM)[0]
        m = milvus.search(query, 4)
        e = embedded.search(query, 4)
        assert [c.remark_id for c in milvus.chunks([i for i, _ in m])] == [
            c.remark_id for c in embedded.chunks([i for i, _ in e])
        ]
        assert np.allclose([s for _, s in m], [s for _, s in e], atol=1e-5)
    ids = [i for i, _ in milvus.search(embed(["予算"], DIM)[0], 3)]
    vectors = milvus.chunk_vectors([*ids, 10**15])
    assert vectors.shape == (4, DIM) and not vectors[-1].any()
    assert np.allclose(vectors[0], embed([milvus.chunks(ids[:1])[0].text], DIM)[0], atol=1e-6)
    with pytest.raises(ValueError, match="16-d"):
        milvus.search(np.zeros(3, np.float32), 3)


def test_replace_delete_and_noop(pair: tuple[IndexStore, MilvusStore]) -> None:
    _, milvus = pair
    doc = make_doc("doc_a", date="2021-12-09", version="v2")
    chunks = chunks_of(doc)
    gen = milvus.generation
    assert milvus.upsert(doc, chunks, embed([c.text for c in chunks], DIM), _tokens(doc)) == "replaced"
    assert milvus.upsert(doc, chunks, embed([c.text for c in chunks], DIM), _tokens(doc)) == "unchanged"
    assert milvus.generation == gen + 1
    assert milvus.document_status("doc_a", doc.sha256) == "unchanged"
    assert all(r.text.endswith("v2") for r in milvus.get_document("doc_a").remarks)
    assert milvus.info()["counts"]["remarks"] == 9
    delta = milvus.corpus_delta({"doc_a": "old", "doc_b": milvus.documents()[1]["sha256"]})
    assert delta.removed == ["doc_a"] and {r.document for r in delta.rows} == {"doc_a", "doc_c"}
    assert delta.generation == gen + 1 and delta.terms
    milvus.delete("doc_b")
    assert [d["document"] for d in milvus.documents()] == ["doc_a", "doc_c"]
    assert milvus.remark_ids_for(Filters(document="doc_b")) == set()
    assert milvus.remark_chunk_ids(["doc_b#1"]) == {}
    with pytest.raises(NotFoundError, match="rag index ls"):
        milvus.delete("doc_b")
    assert milvus.generation == gen + 2


def test_long_values_are_stored_in_parts(milvus_store: str) -> None:
    store = MilvusStore(parse_target(milvus_store), model_id=MODEL_ID, fingerprint=FINGERPRINT, dim=DIM)
    long_text = "長い発言です。" * (MAX_BYTES // 10)
    doc = make_doc(
        "doc_long", remarks=[("青木", "委員", None, None, long_text), ("佐藤", "委員", None, None, "短い。")]
    )
    doc = replace(doc, text="前書き" * (MAX_BYTES // 4))
    chunks = chunks_of(doc)
    tokens = [["長い", "発言"] * (MAX_BYTES // 5), ["短い"]]
    store.upsert(doc, chunks, embed([c.text for c in chunks], DIM), tokens)
    assert store.get_document("doc_long") == doc
    assert store.remark_tokens(["doc_long#1"])["doc_long#1"] == tokens[0]
    assert store.remarks(["doc_long#1"])["doc_long#1"].text == long_text
    spec = f"{store.target.uri}?prefix={store.target.prefix}"
    assert verify_milvus(spec) == []
    store.store_tokens([("doc_long#1", ["再"] * 5)])
    assert store.remark_tokens(["doc_long#1"])["doc_long#1"] == ["再"] * 5
    store.close()


def test_open_rules(milvus_store: str) -> None:
    target = parse_target(milvus_store)
    with pytest.raises(IndexStoreError, match="rag ingest"):
        MilvusStore(target, model_id=MODEL_ID, fingerprint=FINGERPRINT, dim=DIM, read_only=True)
    MilvusStore(target, model_id=MODEL_ID, fingerprint=FINGERPRINT, dim=DIM).close()
    with pytest.raises(IndexStoreError, match="RAG_MODEL"):
        MilvusStore(target, model_id="other", fingerprint="other-fp", dim=DIM)
    assert MilvusStore.open_existing(target).dim == DIM
    problems = verify_milvus(milvus_store.replace("?prefix=", "?prefix=absent"))
    assert problems and "no index" in problems[0]


def test_verify_finds_damage(pair: tuple[IndexStore, MilvusStore]) -> None:
    _, milvus = pair
    spec = f"{milvus.target.uri}?prefix={milvus.target.prefix}"
    assert verify_milvus(spec) == []
    first = milvus.remark_chunk_ids(["doc_a#1"])["doc_a#1"][0]
    milvus._client.delete(milvus._names["chunks"], filter=f"chunk_id == {first}")
    milvus._client.delete(milvus._names["documents"], filter='document == "doc_c"')  # as a crash mid-write leaves it
    problems = "\n".join(verify_milvus(spec))
    assert "1 chunk ids listed by remarks that have no chunk" in problems
    assert "3 remarks without their document" in problems
    assert [d["document"] for d in milvus.documents()] == ["doc_a", "doc_b"]
    doc = make_doc("doc_c", date=None, title="無日付の会合", body=None, session=None)
    chunks = chunks_of(doc)
    assert milvus.upsert(doc, chunks, embed([c.text for c in chunks], DIM), _tokens(doc)) == "added"
    assert "remarks without their document" not in "\n".join(verify_milvus(spec))  # the rewrite cleaned up


def test_missing_client_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pymilvus", None)  # as if pymilvus were not installed
    with pytest.raises(ImportError, match=r"minutes-rag\[milvus\]"):
        MilvusStore(parse_target("milvus://127.0.0.1:9"), model_id=MODEL_ID, fingerprint=FINGERPRINT, dim=DIM)


def test_upsert_many_writes_a_batch(pair: tuple[IndexStore, MilvusStore]) -> None:
    """One batch with an unchanged, a changed, a new document and the new one twice: each outcome as one
    ``upsert`` at a time would give, one generation step per written document, the last version kept."""
    _, milvus = pair
    old = milvus.get_document("doc_b")
    changed = make_doc("doc_a", date="2021-12-09", version="v3")
    new, newer = make_doc("doc_n", version="v1"), make_doc("doc_n", version="v2")

    def item(doc: ParsedDocument) -> tuple[ParsedDocument, list, np.ndarray, list[list[str]]]:
        chunks = chunks_of(doc)
        return doc, chunks, embed([c.text for c in chunks], DIM), _tokens(doc)

    gen = milvus.generation
    outcomes = milvus.upsert_many([item(old), item(changed), item(new), item(newer), item(newer)])
    assert outcomes == ["unchanged", "replaced", "added", "replaced", "unchanged"]
    assert milvus.generation == gen + 2
    assert milvus.get_document("doc_n") == newer and milvus.get_document("doc_a") == changed
    assert milvus.remark_ids_for(Filters(document="doc_n")) == {r.id for r in newer.remarks}
    assert verify_milvus(f"{milvus.target.uri}?prefix={milvus.target.prefix}") == []


@pytest.mark.parametrize("fails", ["chunks", "remarks", "documents"])
def test_a_failed_replace_keeps_the_old_version(
    pair: tuple[IndexStore, MilvusStore], monkeypatch: pytest.MonkeyPatch, fails: str
) -> None:
    """A replace deletes the old rows before it writes the new ones; when one of its writes fails (here once, as a
    dropped connection would), the old version is put back, so the document is not lost until the next ingest."""
    from pymilvus import MilvusException

    _, milvus = pair
    spec = f"{milvus.target.uri}?prefix={milvus.target.prefix}"
    before = milvus.get_document("doc_a")
    counts, gen = milvus.info()["counts"], milvus.generation
    client = milvus._client
    calls = {"n": 0}

    def once(real: Any) -> Any:
        def write(collection: str, rows: Any, **kw: Any) -> Any:
            if collection == milvus._names[fails] and not calls["n"]:
                calls["n"] += 1
                raise MilvusException(message="injected: the connection dropped")
            return real(collection, rows, **kw)

        return write

    monkeypatch.setattr(client, "insert", once(client.insert))
    monkeypatch.setattr(client, "upsert", once(client.upsert))
    doc = make_doc("doc_a", date="2021-12-09", version="v2")
    chunks = chunks_of(doc)
    with pytest.raises(IndexStoreError, match="injected"):
        milvus.upsert(doc, chunks, embed([c.text for c in chunks], DIM), _tokens(doc))
    assert calls["n"] == 1
    after = milvus.get_document("doc_a")
    assert after.sha256 == before.sha256
    assert [r.text for r in after.remarks] == [r.text for r in before.remarks]
    assert milvus.info()["counts"] == counts
    assert verify_milvus(spec) == []
    ids = milvus.remark_chunk_ids(["doc_a#1"])["doc_a#1"]  # the remarks name the restored chunks (new ids)
    assert ids and {c.remark_id for c in milvus.chunks(ids)} == {"doc_a#1"}
    first = chunks_of(before)[0]
    assert milvus.search(embed([first.text], DIM)[0], 1)[0][0] in milvus.remark_chunk_ids([first.remark_id])[first.remark_id]
    assert milvus.generation > gen  # readers' caches of the old chunk ids are dropped
    assert milvus.upsert(doc, chunks, embed([c.text for c in chunks], DIM), _tokens(doc)) == "replaced"
    assert all(r.text.endswith("v2") for r in milvus.get_document("doc_a").remarks)
