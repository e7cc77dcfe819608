from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.parse import parse_file, to_json
from rag.types import Attendee, ParsedDocument


@pytest.fixture(scope="module")
def seed_docs(seed_txt: Path, seed_pdf: Path) -> dict[str, ParsedDocument]:
    return {"txt": parse_file(seed_txt), "pdf": parse_file(seed_pdf)}


@pytest.mark.parametrize("kind", ["txt", "pdf"])
def test_seed_meeting(seed_docs: dict[str, ParsedDocument], kind: str) -> None:
    doc = seed_docs[kind]
    m = doc.meeting
    assert doc.document == "000_1e1e3ba0d71176a4"
    assert doc.format == ("pdf" if kind == "pdf" else "text")
    assert len(doc.sha256) == 64
    assert m.title == "官民技術協力に関する検討会合（第１回）議事要旨"
    assert m.body == "官民技術協力に関する検討会合"
    assert m.session == 1
    assert m.date == "2021-12-09"
    assert (m.start_time, m.end_time) == ("17:15", "18:40")
    assert m.place == "オンライン"
    assert len(m.attendees) == 9
    assert m.attendees[4] == Attendee("長澤 健一", "キヤノン株式会社", "専務執行役員 知的財産法務本部長")
    assert m.attendees[0] == Attendee("青木 節子", "慶應義塾大学大学院法務研究科", "教授")
    assert m.attendees[5] == Attendee("羽藤 秀雄", "住友電気工業株式会社", "代表取締役 専務取締役")
    assert m.attendees[6] == Attendee("原 一郎", "日本経済団体連合会", "常務理事")
    assert m.attendees[7] == Attendee("松本洋一郎", "東京大学", "名誉教授")


@pytest.mark.parametrize("kind", ["txt", "pdf"])
def test_seed_topics_and_remarks(seed_docs: dict[str, ParsedDocument], kind: str) -> None:
    doc = seed_docs[kind]
    assert len(doc.remarks) == 23
    issues = [t for t in doc.topics if t.kind == "issue"]
    assert [t.number for t in issues] == [1, 2, 3]
    assert issues[0].title == "先端技術の研究開発への投資をどのように推進していくべきか。"
    assert [(t.number, t.title) for t in doc.topics if t.kind == "section"] == [
        (1, "事務局説明等"),
        (2, "意見交換"),
    ]
    assert {r.topic for r in doc.remarks} == {t.title for t in issues}
    assert [sum(r.topic_number == n for r in doc.remarks) for n in (1, 2, 3)] == [10, 9, 4]
    assert [r.ordinal for r in doc.remarks] == list(range(1, 24))
    assert doc.remarks[0].id == "000_1e1e3ba0d71176a4#1"
    for r in doc.remarks:
        assert doc.text[r.start : r.end] == r.text
        assert r.speaker is None and r.role is None
        assert "資料８" not in r.text and "○" not in r.text
        assert not re.search(r"- ?\d+ ?-|\d+/\d+", r.text)
        assert "\n" not in r.text and not re.search(r"[^\x00-\x7f] [^\x00-\x7f]", r.text)


@pytest.mark.parametrize("kind", ["txt", "pdf"])
def test_seed_remark_across_page_break_is_whole(seed_docs: dict[str, ParsedDocument], kind: str) -> None:
    doc = seed_docs[kind]
    found = [r for r in doc.remarks if r.text.startswith("我が国のベンチャーキャピタル")]
    assert len(found) == 1
    assert found[0].text.endswith("という課題がある。")
    assert (
        "類のシーズである。" in found[0].text
    )  # the line after the original page break joined without a space


def test_seed_text_details(seed_docs: dict[str, ParsedDocument]) -> None:
    texts = [r.text for r in seed_docs["txt"].remarks]
    assert texts[4].startswith("2025 年にコンピュータ技術")
    assert "この win-winの構造を作らないといけない。" in texts[18]
    assert "RAND 研究所は、シンクタンクであると同時に PhDコース" in texts[21]
    assert "資料８" not in seed_docs["txt"].text


def test_seed_txt_and_pdf_give_the_same_remarks(seed_docs: dict[str, ParsedDocument]) -> None:
    assert [r.text for r in seed_docs["txt"].remarks] == [r.text for r in seed_docs["pdf"].remarks]
    assert seed_docs["txt"].meeting == seed_docs["pdf"].meeting
    assert seed_docs["txt"].topics == seed_docs["pdf"].topics


def test_seed_pages(seed_docs: dict[str, ParsedDocument]) -> None:
    assert {r.pages for r in seed_docs["txt"].remarks} == {(1,)}
    pdf = seed_docs["pdf"].remarks
    assert pdf[0].pages == (1,) and pdf[9].pages == (3, 4) and pdf[22].pages == (6, 7)


def test_to_json_shape(seed_docs: dict[str, ParsedDocument]) -> None:
    data = to_json(seed_docs["pdf"])
    assert data["format"] == "pdf" and data["document"] == "000_1e1e3ba0d71176a4"
    assert set(data["meeting"]) >= {
        "title",
        "body",
        "session",
        "date",
        "start_time",
        "end_time",
        "place",
        "attendees",
    }
    assert data["meeting"]["attendees"][4] == {
        "name": "長澤 健一",
        "affiliation": "キヤノン株式会社",
        "title": "専務執行役員 知的財産法務本部長",
    }
    assert data["topics"][2] == {
        "number": 1,
        "title": "先端技術の研究開発への投資をどのように推進していくべきか。",
        "kind": "issue",
    }
    remark = data["remarks"][9]
    assert set(remark) >= {
        "id",
        "ordinal",
        "topic",
        "topic_number",
        "speaker",
        "role",
        "text",
        "pages",
        "start",
        "end",
    }
    assert remark["pages"] == [3, 4]
