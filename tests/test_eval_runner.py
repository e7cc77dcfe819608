"""run_eval, the report files, compare and `rag eval`, against the bigram stand-in (no model needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from eval.compare import compare, format_comparison
from eval.config import BUILTIN, DEFAULT_CONFIGS, load_config
from eval.dataset import load_beir, load_dataset
from eval.metrics import HEADLINE, paired_test
from eval.report import to_markdown, write_png
from eval.runner import EvalResult, run_eval
from eval.testing import FakeService

FIXTURES = Path(__file__).parent / "fixtures"
SEED_DIR = Path(__file__).resolve().parents[1] / "eval" / "datasets" / "seed"
DOC = "000_1e1e3ba0d71176a4"


def _fake_run(ds: Any, names: tuple[str, ...] = DEFAULT_CONFIGS) -> EvalResult:
    return run_eval(
        ds, [load_config(n) for n in names], service_factory=FakeService,
        embedder_factory=lambda s, svc: svc.embedder, n_resamples=200,  # type: ignore[attr-defined]
    )


@pytest.fixture(scope="module")
def beir_result() -> EvalResult:
    return _fake_run(load_beir(FIXTURES / "beir_tiny"))


def test_configs_builtin_and_yaml(tmp_path: Path) -> None:
    assert load_config("default") == BUILTIN["default"] and BUILTIN["default"].rerank
    assert load_config("lexical").mode == "lexical"
    f = tmp_path / "mine.yaml"
    f.write_text("mode: dense\nrerank: true\nindex_type: hnsw\n")
    cfg = load_config(str(f))
    assert (cfg.name, cfg.mode, cfg.rerank, cfg.index_type) == ("mine", "dense", True, "hnsw")
    f.write_text("mode: sideways\n")
    with pytest.raises(ValueError, match="mode"):
        load_config(str(f))
    with pytest.raises(ValueError, match="unknown config"):
        load_config("nope")


def test_beir_runs_map_remarks_back_to_corpus_ids(beir_result: EvalResult) -> None:
    assert list(beir_result.runs) == [*DEFAULT_CONFIGS, "langchain-faiss"]
    for run in beir_result.runs.values():
        assert set(run) == {"q1", "q2", "q3"}
        assert set(run["q1"]) == {"d1", "d2", "d3", "d4"}
        assert max(run["q1"], key=lambda d: run["q1"][d]) == "d1"


def test_report_structure(beir_result: EvalResult) -> None:
    rep = beir_result.report
    assert rep["dataset"]["name"] == "beir_tiny" and rep["dataset"]["corpus_size"] == 4
    assert rep["dataset"]["languages"] == {"en": 1, "ja": 2}
    assert rep["model"] == {"id": "fake:bigram-hash", "fingerprint": "fake-bigram-hash-v1"}
    assert len(rep["dataset"]["hash"]) == 64
    for name, cfg in rep["configs"].items():
        for block in (cfg, cfg["by_lang"]["ja"], cfg["by_lang"]["en"]):
            for m in HEADLINE:
                assert isinstance(block["metrics"][m], float), (name, m)
        assert cfg["metrics"]["hit@1"] == 1.0 and cfg["metrics"]["mrr@10"] == 1.0
        assert cfg["by_lang"]["ja"]["n_ranked"] == 2
        assert set(cfg["per_query"]["ndcg@10"]) == {"q1", "q2", "q3"}
        assert "total" in cfg["latency_ms"] and cfg["latency_ms"]["total"]["n"] == 3
    assert rep["configs"]["langchain-faiss"]["abstention"] is None
    assert rep["configs"]["default"]["abstention"]["n_answerable"] == 3
    assert rep["configs"]["default"]["config"]["rerank"] is True
    # 10 pairs × (all, lang:en, lang:ja) × 4 headline metrics
    assert len(rep["significance"]) == 120
    json.dumps(rep)  # JSON-able as is


def test_markdown_and_png(beir_result: EvalResult, tmp_path: Path) -> None:
    md = to_markdown(beir_result.report)
    assert "## Language: ja" in md and "## Language: en" in md
    assert "| langchain-faiss | 3 | 1.000 ±0.000" in md
    png = write_png(beir_result.report, tmp_path / "r.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_minutes_native_run_scores_remark_ids(seed_txt: Path) -> None:
    ds = load_dataset(str(SEED_DIR), minutes=[seed_txt]).subset(limit=12)
    res = _fake_run(ds, ("dense",))
    some = next(iter(res.runs["dense"].values()))
    assert len(some) == 23 and all(k.startswith(f"{DOC}#") for k in some)
    assert set(res.runs["langchain-faiss"]["ja-005"]) == set(some)
    assert res.report["configs"]["dense"]["n_ranked"] == 12


def test_compare_deltas_and_paired_test() -> None:
    def report(hits: dict[str, float]) -> dict[str, Any]:
        mean = sum(hits.values()) / len(hits)
        block = {"metrics": {m: mean for m in HEADLINE}}
        return {"dataset": {"hash": "h"}, "queries": {q: {"lang": "ja"} for q in hits},
                "configs": {"default": {**block, "by_lang": {"ja": block}, "per_query": {m: hits for m in HEADLINE}}}}

    a = report({"q1": 0.0, "q2": 0.0, "q3": 1.0, "q4": 0.0})
    b = report({"q1": 1.0, "q2": 1.0, "q3": 1.0, "q4": 0.0})
    rows = compare(a, b)
    assert len(rows) == 2 * len(HEADLINE)
    row = next(r for r in rows if r["scope"] == "all" and r["metric"] == "hit@1")
    assert row["delta"] == pytest.approx(0.5)
    assert row["p_value"] == pytest.approx(paired_test(a["configs"]["default"]["per_query"]["hit@1"],
                                                       b["configs"]["default"]["per_query"]["hit@1"])["p_value"])
    assert row["significant"] is False
    b["dataset"]["hash"] = "other"
    assert all(r["p_value"] is None for r in compare(a, b))
    assert "delta" in format_comparison(rows)


def test_cli_eval_and_compare(tmp_path: Path) -> None:
    from rag.cli import app

    runner = CliRunner()
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["eval", "--dataset", str(FIXTURES / "beir_tiny"), "--fake", "--config", "dense",
                              "--config", "lexical", "--json", str(out), "--runs", str(tmp_path / "runs.json")])
    assert res.exit_code == 0, res.output
    rep = json.loads(out.read_text())
    assert list(rep["configs"]) == ["dense", "lexical", "langchain-faiss"]
    assert out.with_suffix(".md").is_file() and out.with_suffix(".png").is_file()
    assert set(json.loads((tmp_path / "runs.json").read_text())["configs"]["dense"]) == {"q1", "q2", "q3"}
    res = runner.invoke(app, ["eval", "--compare", str(out), str(out)])
    assert res.exit_code == 0, res.output
    assert "ndcg@10" in res.output and " *" not in res.output
    res = runner.invoke(app, ["eval", "--dataset", str(tmp_path / "nowhere")])
    assert res.exit_code == 2 and "cannot read dataset" in res.output


def test_paragraph_baseline_scores_a_text_by_its_best_paragraph() -> None:
    from eval.baseline import LangchainFaissBaseline
    from eval.testing import FakeEmbedder

    docs = [
        ("a", "保育所の待機児童について伺います。\n河川の改修について伺います。\n教員の働き方について伺います。"),
        ("b", "河川の改修は三か所で着工する予定であります。"),
        ("c", "デジタル化の手続きは来年度に始めます。"),
    ]
    question = "教員の働き方について伺います"
    whole = LangchainFaissBaseline(FakeEmbedder(), docs)
    para = LangchainFaissBaseline(FakeEmbedder(), docs, paragraphs=True)
    scores, _ = para.search(question, 2)
    assert len(scores) == 2 and next(iter(scores)) == "a"  # one entry per text, k texts, not k paragraphs
    # the matching paragraph alone is closer to the question than the whole three-topic remark
    assert scores["a"] > whole.search(question, 1)[0]["a"]
    assert para.search(question, 3)[0].keys() == {"a", "b", "c"}
