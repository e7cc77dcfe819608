"""IndexStore.upsert_many: a batch of documents is one transaction (one generation step), and a batch that fails
inside SQLite is written again one document at a time."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from index_docs import FINGERPRINT, MODEL_ID, chunks_of, embed, make_doc

from index import IndexStore, verify
from rag.retrieve.bm25 import Segment
from rag.types import Filters, ParsedDocument

DIM = 16


def item(doc: ParsedDocument) -> tuple:  # type: ignore[type-arg]
    chunks = chunks_of(doc)
    return doc, chunks, embed([c.text for c in chunks], DIM), [[r.text[:2]] for r in doc.remarks]


def test_batch_is_one_generation_and_faiss_follows(tmp_path: Path) -> None:
    with IndexStore(tmp_path / "idx", model_id=MODEL_ID, fingerprint=FINGERPRINT, dim=DIM) as store:
        gen = store.generation
        assert store.upsert_many([item(make_doc(n)) for n in ("a", "b", "c")]) == ["added"] * 3
        assert store.generation == gen + 1
        assert sorted(d["document"] for d in store.documents()) == ["a", "b", "c"]
        b2 = make_doc("b", version="v2")
        assert store.upsert_many([item(make_doc("a")), item(b2)]) == ["unchanged", "replaced"]
        assert store.generation == gen + 2
        ids = store.chunk_ids_for(Filters(document="b"))
        assert ids is not None
        chunk = store.chunks([int(ids[0])])[0]
        [(top, score)] = store.search(embed([chunk.text], DIM)[0], 1)
        assert top == chunk.chunk_id and score == pytest.approx(1.0, abs=1e-5)
        assert store.info()["vectors"]["ntotal"] == store.info()["counts"]["chunks"]
        assert store.remark_tokens(["b#1"]) == {"b#1": [b2.remarks[0].text[:2]]}
        assert store.upsert_many([item(make_doc("a"))]) == ["unchanged"]
        assert store.generation == gen + 2  # nothing written, no new generation
    assert verify(tmp_path / "idx") == []


def test_failed_batch_is_written_one_document_at_a_time(tmp_path: Path) -> None:
    good = make_doc("x")
    # a second document whose remark ids collide with the first one's: SQLite refuses it
    other = make_doc("y")
    clash = replace(other, remarks=tuple(replace(r, id=r.id.replace("y#", "x#")) for r in other.remarks))
    with IndexStore(tmp_path / "idx", model_id=MODEL_ID, fingerprint=FINGERPRINT, dim=DIM) as store:
        gen = store.generation
        with pytest.raises(sqlite3.IntegrityError):
            store.upsert_many([item(good), item(clash)])
        assert store.generation == gen + 1  # the batch rolled back; the good document alone is one step
        assert [d["document"] for d in store.documents()] == ["x"]  # the good one committed on its own
    assert verify(tmp_path / "idx") == []


def test_postings_from_tokens_match_from_triples() -> None:
    rng = np.random.default_rng(3)
    lengths = rng.integers(0, 30, 500)
    rows = np.repeat(np.arange(500), lengths)
    terms = rng.integers(0, 200, len(rows))
    fast = Segment.from_tokens(rows, terms)
    ref = Segment.from_triples(terms.astype(np.int64), rows.astype(np.int64), np.ones(len(rows), np.float32))
    for a, b in ((fast.indptr, ref.indptr), (fast.rows, ref.rows), (fast.tfs, ref.tfs)):
        assert a.dtype == b.dtype and np.array_equal(a, b)
