"""Issue 3's crash bar: SIGKILL `rag ingest` of many files at ≥ 20 random moments; the index always loads
afterwards and agrees with its metadata (every FAISS id has its row and the reverse)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from crash_util import kill_at_random_moments

from index import IndexStore, verify
from rag.embed import load_embedder
from rag.settings import Settings

SAMPLES = Path(__file__).resolve().parents[1] / "rag" / "samples"
MODEL = "hash:64"


def _make_corpus(folder: Path, seed_txt: Path, run: int) -> int:
    """Thirty minutes files whose bytes change every run (trailing blank lines), so each run rewrites them."""
    folder.mkdir(exist_ok=True)
    sources = [seed_txt, *sorted(SAMPLES.glob("*.txt"))]
    for i in range(30):
        src = sources[i % len(sources)]
        (folder / f"m{i:02d}_{src.stem}.txt").write_bytes(src.read_bytes() + b"\n" * (run + 1))
    # and a PDF that is not a twin of any text file
    shutil.copy(SAMPLES / "digital_infra_02.pdf", folder / "pdf_only.pdf")
    return 31


@pytest.mark.timeout(900)
def test_rag_ingest_survives_sigkill(tmp_path: Path, seed_txt: Path) -> None:
    index_dir, corpus = tmp_path / "index", tmp_path / "corpus"
    env = dict(os.environ, RAG_MODEL=MODEL, RAG_INDEX_DIR=str(index_dir), RAG_MODEL_CACHE=str(tmp_path / "m"))
    emb = load_embedder(Settings(model=MODEL))
    _make_corpus(corpus, seed_txt, 0)
    expected_remarks: dict[str, int] = {}

    def check(i: int) -> None:
        if IndexStore.read_manifest(index_dir) is not None:
            # First as a reader (nothing repaired on disk), then as the next writer, which catches a lagging
            # vectors.faiss up from SQLite; then the files on disk agree exactly.
            for read_only in (True, False):
                with IndexStore(
                    index_dir, model_id=emb.model_id, fingerprint=emb.fingerprint, dim=emb.dim, read_only=read_only
                ) as store:
                    info = store.info()
                    docs = store.documents()
                    assert info["counts"]["documents"] == len(docs)
                    assert info["counts"]["remarks"] == sum(d["remarks"] for d in docs)
                    for d in docs:  # whole documents only, never half of one
                        assert d["remarks"] == expected_remarks.setdefault(d["document"], d["remarks"]), d
                    if docs:
                        hits = store.search(emb.embed_queries(["会議"])[0], 5)
                        assert hits and set(c.chunk_id for c in store.chunks([h for h, _ in hits])) == {
                            h for h, _ in hits
                        }
            assert verify(index_dir) == [], f"after kill {i}"
        _make_corpus(corpus, seed_txt, i + 1)

    kill_at_random_moments(
        [sys.executable, "-m", "rag.cli", "ingest", str(corpus)],
        env,
        n=24,
        seed=20261128,
        min_delay_s=0.4,
        max_delay_s=2.2,
        after_kill=check,
    )
    # A last, uninterrupted run completes the index; everything is there and searchable.
    done = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ingest", str(corpus)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert verify(index_dir) == []
    with IndexStore(index_dir, model_id=emb.model_id, fingerprint=emb.fingerprint, dim=emb.dim) as store:
        assert store.info()["counts"]["documents"] == 31
        top = store.search(emb.embed_queries(["量子"])[0], 3)
        assert len(top) == 3
