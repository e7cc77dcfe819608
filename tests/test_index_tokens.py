"""Stored lexical tokens: written at ingest, read as a delta, migrated and backfilled once for older indexes."""

from __future__ import annotations

import logging
import shutil
import sqlite3
from pathlib import Path

import pytest
from index_docs import FINGERPRINT, MODEL_ID, chunks_of, embed, make_doc

from index import IndexStore, verify
from index.schema import SCHEMA_VERSION
from rag.service import RagService
from rag.settings import Settings

DIM = 16


def open_store(path: Path, **kw: object) -> IndexStore:
    return IndexStore(path, model_id=MODEL_ID, fingerprint=FINGERPRINT, dim=DIM, **kw)  # type: ignore[arg-type]


def add(store: IndexStore, doc, tokens=None) -> str:  # type: ignore[no-untyped-def]
    chunks = chunks_of(doc)
    return store.upsert(doc, chunks, embed([c.text for c in chunks], DIM), tokens)


def test_tokens_round_trip_and_delta(tmp_path: Path) -> None:
    with open_store(tmp_path / "idx") as store:
        a = make_doc("a")
        add(store, a, [["研究", "育成"], [], ["説明"]])
        add(store, make_doc("b"))  # without tokens: the reader tokenizes them (backfill)
        full = store.corpus_delta({})
        assert full.generation == 2 and set(full.shas) == {"a", "b"} and full.removed == []
        by_id = {r.remark_id: r for r in full.rows}
        assert [t for _, t in full.terms] == ["研究", "育成", "説明"]
        assert by_id["a#1"].term_ids.tolist() == [1, 2] and by_id["a#2"].term_ids.tolist() == []  # type: ignore[union-attr]
        assert by_id["a#1"].text is None
        assert by_id["b#1"].term_ids is None and by_id["b#1"].text and by_id["b#1"].topic == "人材育成"
        store.store_tokens([("b#1", ["x"]), ("gone#1", ["y"])])  # unknown remarks are ignored
        assert store.remark_tokens(["b#1", "a#3", "gone#1"]) == {"b#1": ["x"], "a#3": ["説明"]}
        # a change and a delete show up as documents to drop, the change's remarks as rows to add
        add(store, make_doc("a", version="v2"), [["新"], [], []])
        store.delete("b")
        delta = store.corpus_delta(full.shas, 3)
        assert sorted(delta.removed) == ["a", "b"] and [r.remark_id for r in delta.rows] == ["a#1", "a#2", "a#3"]
        assert delta.terms == [(4, "x"), (5, "新")]  # only the terms added since id 3
        assert store.remark_tokens(["a#1", "b#1"]) == {"a#1": ["新"]}  # replaced and cascaded away
    assert verify(tmp_path / "idx") == []


def downgrade_to_v1(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE remark_tokens")
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()


def test_an_index_without_tokens_is_migrated_and_backfilled_once(
    tmp_path: Path, seed_txt: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(index_dir=tmp_path / "index", model="hash:64", model_cache=tmp_path / "models")
    svc = RagService(settings)
    svc.ingest([seed_txt])
    svc.close()
    downgrade_to_v1(tmp_path / "index" / "index.db")
    caplog.set_level(logging.INFO)
    first = RagService(settings)
    hits = first.search("研究開発への投資", k=3).hits  # opened read-only, like `rag search`
    assert hits
    assert "upgraded from schema version 1" in caplog.text and "backfilled the lexical tokens of 23 remarks" in caplog.text
    first.close()
    caplog.clear()
    again = RagService(settings)
    assert [h.remark_id for h in again.search("研究開発への投資", k=3).hits] == [h.remark_id for h in hits]
    assert "backfilled" not in caplog.text and "upgraded" not in caplog.text
    with sqlite3.connect(tmp_path / "index" / "index.db") as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
        assert conn.execute("SELECT COUNT(*) FROM remark_tokens").fetchone()[0] == 23
    again.close()


def test_a_service_that_searched_can_ingest_and_finds_the_new_document(
    tmp_path: Path, seed_txt: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(index_dir=tmp_path / "index", model="hash:64", model_cache=tmp_path / "models")
    RagService(settings).ingest([seed_txt])
    svc = RagService(settings)
    assert svc.search("研究開発", k=1).hits
    assert svc.store(create=False).read_only
    extra = tmp_path / "extra_minutes.txt"
    text = seed_txt.read_text(encoding="utf-8").replace("研究", "漁業振興")
    extra.write_text(text, encoding="utf-8")
    caplog.set_level(logging.INFO)
    assert svc.ingest([extra]).added == ["extra_minutes"]
    assert not svc.store(create=False).read_only
    hits = svc.search("漁業振興", k=3, mode="lexical").hits
    assert hits and all(h.citation.document == "extra_minutes" for h in hits)
    assert "lexical index:" in caplog.text and "added 23" in caplog.text  # caught up, not reloaded
    svc.delete("extra_minutes")
    assert not svc.search("漁業振興", k=3, mode="lexical").hits
    svc.close()
    shutil.rmtree(tmp_path / "index")
