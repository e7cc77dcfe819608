"""Metric wrappers, bootstrap, paired test, abstention and the dataset loaders, with values worked out by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from eval.dataset import EvalDataset, load_beir, load_dataset, load_questions, write_beir
from eval.metrics import abstention, bootstrap_ci, latency_summary, paired_test, per_query_scores, rank_order
from eval.shared_sets import load_jsquad, load_ntrex

FIXTURES = Path(__file__).parent / "fixtures"
LOG3 = math.log2(3)


def test_graded_ndcg_mrr_hit_recall() -> None:
    qrels = {"q1": {"a": 2, "b": 1}}
    run = {"q1": {"b": 0.9, "a": 0.8, "c": 0.7}}
    s = per_query_scores(qrels, run)
    # DCG = 1/log2(2) + 2/log2(3); IDCG = 2/log2(2) + 1/log2(3)  (gain = grade)
    assert s["ndcg@10"]["q1"] == pytest.approx((1 + 2 / LOG3) / (2 + 1 / LOG3))
    assert s["ndcg@10"]["q1"] == pytest.approx(0.859719, abs=1e-6)
    assert s["mrr@10"]["q1"] == 1.0  # grade 1 still counts as relevant
    assert s["hit@1"]["q1"] == 1.0
    assert s["recall@1"]["q1"] == 0.5
    assert s["recall@5"]["q1"] == 1.0


def test_mrr_and_recall_at_depth() -> None:
    qrels = {"q": {"r1": 1, "r2": 1, "r3": 1}}
    run = {"q": {"x1": 0.9, "x2": 0.8, "r1": 0.7, "x3": 0.6, "x4": 0.5, "r2": 0.4}}
    s = per_query_scores(qrels, run)
    assert s["mrr@10"]["q"] == pytest.approx(1 / 3)
    assert s["hit@1"]["q"] == 0.0
    assert s["recall@1"]["q"] == 0.0
    assert s["recall@5"]["q"] == pytest.approx(1 / 3)
    assert s["recall@10"]["q"] == pytest.approx(2 / 3)
    # DCG = 1/log2(4) + 1/log2(7); IDCG = 1 + 1/log2(3) + 1/log2(4)
    assert s["ndcg@10"]["q"] == pytest.approx((0.5 + 1 / math.log2(7)) / (1 + 1 / LOG3 + 0.5))


def test_queries_are_paired_by_id_not_by_position() -> None:
    qrels = {"q2": {"b": 1}, "q1": {"a": 1}, "q3": {"c": 1}}  # not in sorted order
    run = {"q3": {"c": 1.0, "a": 0.5}, "q1": {"a": 1.0, "b": 0.5}, "q2": {"a": 1.0, "b": 0.5}}
    s = per_query_scores(qrels, run)
    assert s["hit@1"] == {"q1": 1.0, "q2": 0.0, "q3": 1.0}
    assert s["mrr@10"] == {"q1": 1.0, "q2": 0.5, "q3": 1.0}


def test_ties_are_broken_by_doc_id_whatever_the_insertion_order() -> None:
    assert rank_order({"b": 0.5, "a": 0.5, "c": 0.9}) == ["c", "a", "b"]
    qrels = {"q": {"b": 1}}
    for run in ({"q": {"a": 0.5, "b": 0.5}}, {"q": {"b": 0.5, "a": 0.5}}):
        s = per_query_scores(qrels, run)
        assert s["mrr@10"]["q"] == 0.5
        assert s["hit@1"]["q"] == 0.0
        assert s["ndcg@10"]["q"] == pytest.approx(1 / LOG3)


def test_empty_results_and_unjudged_queries() -> None:
    qrels = {"q1": {"x": 1}, "q2": {}, "q3": {"y": 0}, "q4": {"z": 1}}
    run = {"q1": {}, "q4": {"z": 1.0}}  # q1 answered nothing, q2/q3 have no relevant doc
    s = per_query_scores(qrels, run)
    assert set(s["ndcg@10"]) == {"q1", "q4"}
    assert all(s[m]["q1"] == 0.0 for m in s)
    assert all(s[m]["q4"] == 1.0 for m in s)
    assert per_query_scores({"q": {}}, {}) == {m: {} for m in s}


def test_unknown_metric_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown metric"):
        per_query_scores({"q": {"a": 1}}, {"q": {"a": 1.0}}, ["map@7"])


def test_bootstrap_ci_contains_the_mean_and_is_seeded() -> None:
    values = [1.0, 0.0, 0.5, 1.0, 0.25, 0.0, 1.0, 0.75]
    ci = bootstrap_ci(values, seed=3)
    assert ci is not None
    lo, hi = ci
    assert lo < sum(values) / len(values) < hi
    assert 0.0 <= lo and hi <= 1.0
    assert bootstrap_ci(values, seed=3) == ci
    assert bootstrap_ci([0.4] * 5) == pytest.approx((0.4, 0.4))
    assert bootstrap_ci([]) is None


def test_paired_t_test_by_hand() -> None:
    a = {"q1": 1.0, "q2": 0.0, "q3": 1.0}
    b = {"q1": 1.0, "q2": 1.0, "q3": 1.0, "q4": 0.0}  # q4 is not shared and is ignored
    t = paired_test(a, b)
    # differences 0,1,0: mean 1/3, sd sqrt(1/3), t = 1, df = 2 → p = 2·(1 − (1/2 + 1/(2√3)))
    assert t["n"] == 3
    assert t["delta"] == pytest.approx(1 / 3)
    assert t["p_value"] == pytest.approx(1 - 1 / math.sqrt(3), abs=1e-9)
    assert paired_test(a, a)["p_value"] == 1.0
    assert paired_test({"q": 1.0}, {"q": 0.0})["p_value"] is None


def test_abstention_precision_recall() -> None:
    abstained = {"u1": True, "u2": False, "a1": True, "a2": False, "m1": True}
    out = abstention(abstained, unanswerable={"u1", "u2"}, answerable={"a1", "a2"})
    assert out["precision"] == 0.5  # m1 (neither set) is ignored
    assert out["recall"] == 0.5
    assert out["f1"] == 0.5
    assert out["false_abstention_rate"] == 0.5
    assert out["n_abstained"] == 2
    none = abstention({"a1": False}, unanswerable=set(), answerable={"a1"})
    assert none["precision"] is None and none["recall"] is None and none["false_abstention_rate"] == 0.0


def test_latency_percentiles() -> None:
    lat = latency_summary([{"total": 1.0}, {"total": 3.0}, {"total": 2.0, "embed": 4.0}])
    assert lat["total"]["p50"] == 2.0
    assert lat["total"]["p95"] == pytest.approx(2.9)
    assert lat["embed"] == {"p50": 4.0, "p95": 4.0, "mean": 4.0, "n": 1}


def test_beir_loader_and_round_trip(tmp_path: Path) -> None:
    ds = load_beir(FIXTURES / "beir_tiny")
    assert [q.id for q in ds.queries] == ["q1", "q2", "q3"]  # q9 has no judgement in test.tsv
    assert ds.qrels == {"q1": {"d1": 2, "d2": 1}, "q2": {"d2": 2}, "q3": {"d3": 1}}
    assert [d.id for d in ds.corpus] == ["d1", "d2", "d3", "d4"]
    assert ds.corpus[0].title == "量子計算" and ds.corpus[1].metadata == {"source": "fixture"}
    assert {q.id: q.lang for q in ds.queries} == {"q1": "ja", "q2": "ja", "q3": "en"}
    write_beir(ds, tmp_path / "copy")
    again = load_beir(tmp_path / "copy")
    assert again.qrels == ds.qrels and again.corpus == ds.corpus
    assert [(q.id, q.text, q.lang, q.type) for q in again.queries] == [(q.id, q.text, q.lang, q.type) for q in ds.queries]
    assert again.fingerprint() == ds.fingerprint()
    assert (tmp_path / "copy" / "qrels" / "test.tsv").read_text().splitlines()[0] == "query-id\tcorpus-id\tscore"
    assert load_dataset(str(FIXTURES / "beir_tiny")).kind == "beir"


def test_beir_loader_requires_the_header(tmp_path: Path) -> None:
    (tmp_path / "qrels").mkdir()
    (tmp_path / "corpus.jsonl").write_text('{"_id": "d", "text": "t"}\n')
    (tmp_path / "queries.jsonl").write_text('{"_id": "q", "text": "t"}\n')
    (tmp_path / "qrels" / "test.tsv").write_text("q\td\t1\n")
    with pytest.raises(ValueError, match="header"):
        load_beir(tmp_path)


def test_minutes_questions_become_remark_qrels(tmp_path: Path) -> None:
    rows = [
        {"qid": "ja-1", "question": "問い", "lang": "ja", "type": "multi-answer", "split": "dev",
         "gold": [{"document": "m", "ordinal": 3, "grade": 2}, {"document": "m", "ordinal": 5, "grade": 1}]},
        {"qid": "en-1", "question": "q", "lang": "en", "type": "unanswerable", "split": "test", "gold": []},
        {"qid": "en-2", "question": "when?", "lang": "en", "type": "metadata", "split": "test", "gold": []},
    ]
    (tmp_path / "questions.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    queries, qrels = load_questions(tmp_path / "questions.jsonl")
    assert qrels == {"ja-1": {"m#3": 2, "m#5": 1}, "en-1": {}, "en-2": {}}
    ds = EvalDataset(name="t", queries=queries, qrels=qrels, minutes=[tmp_path / "questions.jsonl"])
    assert ds.unanswerable() == {"en-1"}  # empty-gold metadata questions are not "unanswerable"
    assert ds.answerable() == {"ja-1"}
    assert [q.id for q in ds.subset(split="dev").queries] == ["ja-1"]
    with pytest.raises(ValueError, match="minutes"):
        load_dataset(str(tmp_path))  # no dataset.yaml and no --minutes


def test_jsquad_and_ntrex_loaders_on_small_files(tmp_path: Path) -> None:
    squad = {"data": [{"title": "A", "paragraphs": [
        {"context": "A [SEP] 本文その一。", "qas": [{"id": "x1", "question": "何？"}, {"id": "x2", "question": "誰？"}]},
        {"context": "本文その二。", "qas": [{"id": "x3", "question": "どこ？"}]}]}]}
    (tmp_path / "s.json").write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")
    js = load_jsquad(tmp_path / "s.json")
    assert [(d.id, d.title, d.text) for d in js.corpus] == [("p00001", "A", "本文その一。"), ("p00002", "A", "本文その二。")]
    assert js.qrels == {"x1": {"p00001": 1}, "x2": {"p00001": 1}, "x3": {"p00002": 1}}
    (tmp_path / "en.txt").write_bytes(b"One.\r\nTwo.\r\n")
    (tmp_path / "ja.txt").write_bytes("一。\r\n二。\r\n".encode())
    nt = load_dataset(f"ntrex:{tmp_path / 'en.txt'},{tmp_path / 'ja.txt'}")
    assert [(d.id, d.text) for d in nt.corpus] == [("ja00001", "一。"), ("ja00002", "二。")]
    assert nt.qrels == {"en00001": {"ja00001": 1}, "en00002": {"ja00002": 1}}
    assert {q.lang for q in nt.queries} == {"en"}
    (tmp_path / "ja.txt").write_bytes("一。\r\n".encode())
    with pytest.raises(ValueError, match="line-aligned"):
        load_ntrex(tmp_path / "en.txt", tmp_path / "ja.txt")


def test_shared_sets_have_the_documented_sizes(shared_dir: Path) -> None:
    js = load_dataset(f"jsquad:{shared_dir / 'datasets' / 'jsquad-valid-v1.1.json'}")
    assert (len(js.corpus), len(js.queries)) == (1145, 4442)
    d = shared_dir / "datasets"
    nt = load_dataset(f"ntrex:{d / 'ntrex128-newstest2019.en.txt'},{d / 'ntrex128-newstest2019.ja.txt'}")
    assert (len(nt.corpus), len(nt.queries)) == (1997, 1997)
    assert not any(d.text.endswith("\r") for d in nt.corpus)
