"""rag/context.py and rag/retrieve/answers.py on small built documents and on the real 議事録 (rendered)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from index_docs import make_doc

from rag.context import (
    answering_remark,
    check_window,
    context_to_json,
    neighbours,
    parse_remark_id,
    remark_context,
    topic_start,
)
from rag.errors import InputError, NotFoundError
from rag.retrieve.answers import add_answer_pairs, asks_for_response
from rag.types import Citation, Hit, SearchResult

REMARKS = [
    ("青木", "委員", "人材", 1, "質問：研究者の育成をどう進めるのか。"),
    ("青木", "委員", "人材", 1, "続けて：予算はどうか。"),
    (None, "事務局", "人材", 1, "回答：来年度から奨学金を拡充する。"),
    ("佐藤", "委員", "連携", 2, "国際連携を進めるべきだ。"),
    ("佐藤", "委員", "連携", 2, "以上です。"),
]
DOC = make_doc("d", remarks=REMARKS)


def test_parse_remark_id_forms() -> None:
    assert parse_remark_id("doc_1#3") == ("doc_1", 3)
    assert parse_remark_id("doc_1:3") == ("doc_1", 3)
    assert parse_remark_id("a#b#12") == ("a#b", 12)
    for bad in ("doc", "doc#", "#3", "doc#0", "doc#x", "doc#-1"):
        with pytest.raises(InputError):
            parse_remark_id(bad)


def test_neighbours_stop_at_the_ends_and_window_is_checked() -> None:
    assert [r.ordinal for r in neighbours(DOC, 1, 1, 1)] == [1, 2]
    assert [r.ordinal for r in neighbours(DOC, 5, 1, 1)] == [4, 5]
    assert [r.ordinal for r in neighbours(DOC, 3, 20, 20)] == [1, 2, 3, 4, 5]
    assert [r.ordinal for r in neighbours(DOC, 3, 0, 0)] == [3]
    for before, after in ((-1, 0), (0, 21), (True, 0)):
        with pytest.raises(InputError):
            check_window(before, after)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        neighbours(DOC, 6, 1, 1)


def test_topic_start_and_json() -> None:
    assert [topic_start(DOC, n) for n in range(1, 6)] == [1, 1, 1, 4, 4]
    body = context_to_json(remark_context(DOC, 4, 1, 1), source="/documents/d/source")
    assert body["topic_start"] == {"remark_id": "d#4", "ordinal": 4}
    assert [r["position"] for r in body["remarks"]] == ["before", "hit", "after"]
    assert body["remarks"][0]["source_url"] == "/documents/d/source#page=1"
    assert body["remarks"][1]["source_url"] == "/documents/d/source#page=2"


def test_answering_remark_is_next_other_speaker_in_the_same_item() -> None:
    assert answering_remark(DOC, 1).id == "d#3"  # type: ignore[union-attr]
    assert answering_remark(DOC, 2).id == "d#3"  # type: ignore[union-attr]
    assert answering_remark(DOC, 3) is None  # the next remark is under another agenda item
    assert answering_remark(DOC, 4) is None  # only the same speaker follows
    assert answering_remark(DOC, 5) is None


def test_response_cues() -> None:
    for q in ("予算に対する答弁は？", "事務局の回答は", "How did the minister answer the question?", "who replied"):
        assert asks_for_response(q), q
    for q in ("研究者の育成について", "What was said about funding?"):
        assert not asks_for_response(q), q


def _hit(remark_id: str, score: float) -> Hit:
    c = Citation("d", "t", 1, None, None, None, (1,))
    return Hit(remark_id, "x", score, 0.5, c)


def test_add_answer_pairs_inserts_after_the_question_and_keeps_length() -> None:
    result = SearchResult("q", True, [_hit("d#1", 0.9), _hit("d#4", 0.8), _hit("d#5", 0.7)], "m")
    out = add_answer_pairs(result, lambda d: DOC)
    assert [h.remark_id for h in out.hits] == ["d#1", "d#3", "d#4"]
    assert out.hits[1].citation.speaker is None and out.hits[1].text.startswith("回答")
    assert out.hits[1].score == 0.9
    missing = add_answer_pairs(result, lambda d: (_ for _ in ()).throw(NotFoundError("gone")))
    assert [h.remark_id for h in missing.hits] == ["d#1", "d#4", "d#5"]


def test_on_the_real_council_minutes_the_next_remark_is_the_chair(shared_dir: Path, tmp_path: Path) -> None:
    """Why answer pairs stay off: after a member's comment comes the chair's 「ありがとうございます…」."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from render_tei_minutes import render

    from rag.parse import parse_text

    text, remarks = render(shared_dir / "real" / "env_chuokankyo_sogoseisaku_113_gijiroku.tei.xml")
    doc = parse_text(text, document="env113", source="tei", sha256="0" * 64)
    assert len(doc.remarks) == len(remarks) == 85
    member = next(r for r in doc.remarks if r.role == "委員")
    answer = answering_remark(doc, member.ordinal)
    assert answer is not None and answer.role == "部会長" and answer.ordinal == member.ordinal + 1
