"""The scale benchmark's corpus builder and README table (no server, no model)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from eval.bench_corpus import Pool, build_corpus, load_pool, render_minutes
from eval.readme_table import bench_table
from rag.parse import parse_file


@pytest.fixture(scope="module")
def pool(shared_dir: Path) -> Pool:
    return load_pool(shared_dir)


def test_pool_has_real_sentences_and_questions(pool: Pool) -> None:
    assert len(pool.sentences) > 4000 and len(pool.questions) > 1000
    assert all(12 <= len(s) <= 160 for s in pool.sentences)
    assert len(set(pool.sentences)) == len(pool.sentences)
    assert not any("[SEP]" in s for s in pool.sentences)


def test_corpus_files_parse_into_the_remarks_drawn(tmp_path: Path, pool: Pool) -> None:
    corpus = build_corpus(tmp_path, pool, 120, per_file=50, seed=3)
    assert [f.name for f in corpus.files] == ["minutes_00000.txt", "minutes_00001.txt", "minutes_00002.txt"]
    assert corpus.remarks == 120 and len(corpus.texts) == 120
    parsed = [parse_file(f) for f in corpus.files]
    assert [len(d.remarks) for d in parsed] == [50, 50, 20]
    assert [r.text for d in parsed for r in d.remarks] == corpus.texts
    assert all(d.meeting.date and d.meeting.session == 1 and len(d.topics) >= 4 for d in parsed)
    again = build_corpus(tmp_path / "again", pool, 120, per_file=50, seed=3)
    assert [f.read_text(encoding="utf-8") for f in again.files] == [f.read_text(encoding="utf-8") for f in corpus.files]


def test_render_minutes_spreads_remarks_over_topics() -> None:
    text = render_minutes(9, ["一つ目の発言。", "二つ目の発言。", "三つ目の発言。"], random.Random(0), topics=2)
    assert text.count("○ ") == 3 and text.count("《論点") == 2 and text.rstrip().endswith("以上")
    assert "（第２回）議事要旨" in text.splitlines()[0]


def test_build_corpus_rejects_bad_sizes(tmp_path: Path, pool: Pool) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        build_corpus(tmp_path, pool, 0)


def test_bench_table_from_report() -> None:
    report = {
        "command": "python -m eval.bench_scale --remarks 10", "remarks": 10, "model": "hash:384", "index_type": "flat",
        "machine": {"cpus": 2},
        "ours": {"ingest_remarks_per_s": 600.0, "search_p50_ms": 12.0, "search_p99_ms": 30.0,
                 "serve_to_first_answer_s": 2.5, "first_search_after_upload_ms": 200.0, "peak_rss_mb": 300.0},
        "langchain": {"ingest_remarks_per_s": 300.0, "search_p50_ms": 24.0, "search_p99_ms": 40.0},
        "ratios": {"ingest_throughput_ours_over_langchain": 2.0, "search_p50_ours_http_over_langchain_in_process": 0.5},
    }
    table = bench_table(report)
    assert "| ingest (remarks/s) | 600 | 300 | 2.00× |" in table
    assert "| search p50 (ms) | 12.0 (HTTP) | 24.0 (in process) | 0.50× |" in table
    layer = bench_table({"remarks": 10, "index_layer": {"search_p99_ms": 1.234, "recall@10_vs_exact": 0.97}})
    assert "| search p99 (ms, no query embedding) | 1.23 |" in layer and "| peak RSS (MB) | – |" in layer
