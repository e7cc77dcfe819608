"""Crash safety: SIGKILL a writer at random moments; the index must always open consistent."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from crash_util import kill_at_random_moments
from index_docs import FINGERPRINT, MODEL_ID, embed

from index import IndexStore, verify
from rag.types import Filters

WRITER = Path(__file__).with_name("index_docs.py")
DIM = 32


@pytest.mark.timeout(300)
def test_store_survives_sigkill_at_random_moments(tmp_path: Path) -> None:
    index_dir, log = tmp_path / "idx", tmp_path / "writes.log"
    seen: dict[str, int] = {"generation": 0, "kills_with_writes": 0}

    def check_open(store: IndexStore) -> None:
        info = store.info()
        docs = store.documents()
        assert info["counts"]["documents"] == len(docs)
        for d in docs:  # whole documents only: 1 + n % 4 remarks, 3 chunks each
            assert d["remarks"] == 1 + int(d["document"].split("_")[1]) % 4, d
        assert info["counts"]["chunks"] == 3 * info["counts"]["remarks"]
        if docs:  # FAISS is caught up: a chunk of the newest document is its own nearest neighbour
            ids = store.chunk_ids_for(Filters(document=docs[-1]["document"]))
            assert ids is not None and len(ids) >= 3
            chunk = store.chunks([int(ids[-1])])[0]
            [(top, score)] = store.search(embed([chunk.text], DIM)[0], 1)
            assert store.chunks([top])[0].text == chunk.text and score == pytest.approx(1.0, abs=1e-5)

    def check(i: int) -> None:
        logged = [int(x) for x in log.read_text().split()] if log.exists() else []
        if IndexStore.read_manifest(index_dir) is None:
            return  # killed before the store was created
        # first as a reader would (nothing repaired on disk), then as the next writer (repairs the files)
        for read_only in (True, False):
            with IndexStore(
                index_dir, model_id=MODEL_ID, fingerprint=FINGERPRINT, dim=DIM, read_only=read_only
            ) as store:
                generation = store.generation
                # every commit logged or seen before is there; at most one more (killed before logging it)
                base = max(logged[-1] if logged else 0, seen["generation"])
                assert generation in (base, base + 1), (i, generation, base)
                check_open(store)
        if generation > seen["generation"]:
            seen["kills_with_writes"] += 1
        seen["generation"] = generation
        assert verify(index_dir) == [], i

    kill_at_random_moments(
        [sys.executable, str(WRITER), str(index_dir), str(log)],
        None,
        n=22,
        seed=1234,
        min_delay_s=0.0,
        max_delay_s=1.2,
        ready_marker="ready",
        after_kill=check,
    )
    assert seen["generation"] >= 20, seen
    assert seen["kills_with_writes"] >= 15, seen
