"""The issue-12 development collections load from a clean checkout and pass tools/check_questions.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from eval.dataset import load_dataset

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from check_questions import check_set, shared_run  # noqa: E402

COLLECTIONS = {"samples": 70, "env-real": 100, "council": 141, "assembly": 120}


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_dir: Path) -> None:
    monkeypatch.setenv("RAG_EVAL_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize("name", sorted(COLLECTIONS))
def test_collection_loads_and_passes_the_checks(name: str) -> None:
    folder = ROOT / "eval" / "datasets" / name
    ds = load_dataset(str(folder))
    assert len(ds.queries) == COLLECTIONS[name]
    assert {q.split for q in ds.queries} == {"dev", "test"}
    assert ds.unanswerable() and ds.answerable()
    errors, counts = check_set(folder, show=False, copy_check=True)
    assert errors == []
    for lang in ("ja", "en"):  # at least five unanswerable per language
        assert counts[(lang, "unanswerable", "dev")] + counts[(lang, "unanswerable", "test")] >= 5


def test_the_copy_check_finds_a_copied_run() -> None:
    minutes = "".join("○ クラウド移行の費用は初年度に集中する。".split())
    assert shared_run("クラウド 移行の費用 について", minutes) == "クラウド移行の費用"[:8]
    assert shared_run("クラウド化の経費について", minutes) is None


def test_a_broken_set_fails_the_checks(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    minutes = ROOT / "eval" / "datasets" / "council" / "minutes" / "iryo_dx_04.txt"
    (folder / "dataset.yaml").write_text(f"name: b\nsplit_rule: stratified-5\nminutes:\n  - {minutes}\n", encoding="utf-8")
    lines = [
        '{"qid": "ja-001", "question": "共有する情報の範囲は？", "lang": "ja", "type": "paraphrase", "split": "dev",'
        ' "gold": [{"document": "iryo_dx_04", "ordinal": 99, "grade": 2}]}',
        '{"qid": "ja-002", "question": "別の話", "lang": "ja", "type": "unanswerable", "split": "test",'
        ' "gold": [{"document": "iryo_dx_04", "ordinal": 1, "grade": 2}]}',
    ]
    (folder / "questions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors, _ = check_set(folder, show=False, copy_check=True)
    text = "\n".join(errors)
    assert "shares '共有する情報の範'" in text  # 8 characters copied from remark 1
    assert "iryo_dx_04#99 does not exist" in text
    assert "unanswerable but has gold" in text
    assert "stratified-5 rule says 'test'" in text  # ja-001 is position 0 of its group
