"""The seed question set: format, coverage, split, paraphrasing, and agreement with the parser's ordinals."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from eval.dataset import load_dataset

SEED_DIR = Path(__file__).resolve().parents[1] / "eval" / "datasets" / "seed"
DOC = "000_1e1e3ba0d71176a4"
TYPES = {"paraphrase", "cross-lingual", "multi-answer", "unanswerable", "metadata"}


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return [json.loads(line) for line in (SEED_DIR / "questions.jsonl").read_text(encoding="utf-8").splitlines()]


def test_format_and_counts(rows: list[dict]) -> None:
    assert len({r["qid"] for r in rows}) == len(rows)
    for r in rows:
        assert set(r) == {"qid", "question", "lang", "type", "gold", "split"}
        assert r["lang"] in ("ja", "en") and r["type"] in TYPES and r["split"] in ("dev", "test")
        assert r["qid"].startswith(r["lang"] + "-")
        for g in r["gold"]:
            assert g["document"] == DOC and 1 <= g["ordinal"] <= 23 and g["grade"] in (1, 2)
        assert (r["type"] == "unanswerable") <= (r["gold"] == [])
        if r["lang"] == "en":
            assert r["type"] != "paraphrase"  # English questions are cross-lingual (or a more specific type)
    by = Counter((r["lang"], r["type"]) for r in rows)
    for lang in ("ja", "en"):
        assert sum(n for (lg, _), n in by.items() if lg == lang) >= 45
        assert by[(lang, "unanswerable")] >= 6
        assert by[(lang, "multi-answer")] >= 6
        assert by[(lang, "metadata")] >= 3


def test_every_remark_is_covered_in_both_languages(rows: list[dict]) -> None:
    for lang in ("ja", "en"):
        covered = {g["ordinal"] for r in rows if r["lang"] == lang for g in r["gold"]}
        assert covered == set(range(1, 24))


def test_split_is_forty_to_fifty_percent_dev_in_each_language(rows: list[dict]) -> None:
    for lang in ("ja", "en"):
        mine = [r for r in rows if r["lang"] == lang]
        share = sum(r["split"] == "dev" for r in mine) / len(mine)
        assert 0.35 <= share <= 0.5
        for t in TYPES:
            group = [r for r in mine if r["type"] == t]
            if group:  # stratified: every (language, type) group has held-out questions
                assert any(r["split"] == "test" for r in group), (lang, t)


def test_questions_do_not_copy_the_minutes(rows: list[dict], seed_txt: Path) -> None:
    body = re.sub(r"\s+", "", seed_txt.read_text(encoding="utf-8"))
    for r in rows:
        q = re.sub(r"\s+", "", r["question"])
        copied = [q[i : i + 8] for i in range(len(q) - 7) if q[i : i + 8] in body]
        assert not copied, (r["qid"], copied)


def test_gold_ordinals_match_the_parser(seed_txt: Path) -> None:
    from rag.parse import parse_file

    doc = parse_file(seed_txt)
    assert doc.document == DOC
    assert [r.ordinal for r in doc.remarks] == list(range(1, 24))
    assert [r.id for r in doc.remarks][12] == f"{DOC}#13"
    text = {r.ordinal: unicodedata.normalize("NFKC", r.text) for r in doc.remarks}
    # a few distinctive words anchor the ordinals the gold labels rely on
    for ordinal, word in [(3, "サイバー"), (7, "DARPA"), (8, "ARIA"), (10, "バリュエーション"), (11, "先願権"),
                          (18, "エンダウメント"), (21, "電波望遠鏡"), (22, "RAND"), (23, "ノーベル賞")]:
        assert word in text[ordinal], ordinal
    assert {r.topic_number for r in doc.remarks if r.ordinal <= 10} == {1}
    assert {r.topic_number for r in doc.remarks if 11 <= r.ordinal <= 19} == {2}
    assert {r.topic_number for r in doc.remarks if r.ordinal >= 20} == {3}


def test_seed_dataset_loads_with_its_minutes(seed_txt: Path) -> None:
    ds = load_dataset(str(SEED_DIR))
    assert ds.kind == "minutes"
    assert [p.resolve() for p in ds.minutes] == [seed_txt.resolve()]
    assert len(ds.unanswerable()) >= 12
    assert ds.qrels["ja-005"][f"{DOC}#4"] == 2
    other = load_dataset(str(SEED_DIR / "questions.jsonl"), minutes=[seed_txt])
    assert other.fingerprint() == ds.fingerprint()


HOLDOUT_DIR = SEED_DIR.parent / "seed-holdout"


def test_holdout_set_is_well_formed_and_paraphrased(seed_txt: Path) -> None:
    rows = [json.loads(line) for line in (HOLDOUT_DIR / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len({r["qid"] for r in rows}) == len(rows) == 60
    body = re.sub(r"\s+", "", seed_txt.read_text(encoding="utf-8"))
    for r in rows:
        assert r["split"] == "holdout" and r["lang"] in ("ja", "en") and r["type"] in TYPES
        assert all(g["document"] == DOC and 1 <= g["ordinal"] <= 23 for g in r["gold"])
        assert (r["type"] == "unanswerable") == (r["gold"] == [])
        q = re.sub(r"\s+", "", r["question"])
        assert not [q[i : i + 8] for i in range(len(q) - 7) if q[i : i + 8] in body], r["qid"]
    ds = load_dataset(str(HOLDOUT_DIR))
    assert [p.resolve() for p in ds.minutes] == [seed_txt.resolve()] and len(ds.unanswerable()) == 8
