from __future__ import annotations

from pathlib import Path

import pytest

from rag.parse import parse_bytes, parse_text
from rag.parse.remarks import parse_speaker
from rag.types import Attendee, ParsedDocument

FIXTURE = Path(__file__).parent / "fixtures" / "speaker_style.txt"


def _pages(text: str) -> str:
    # the fixture marks page ends with their page number line; make real form-feed pages of it
    return text.replace("- 2 -\n", "- 2 -\n\f").replace("- 3 -\n", "- 3 -\n\f")


@pytest.fixture(scope="module")
def doc() -> ParsedDocument:
    text = _pages(FIXTURE.read_text(encoding="utf-8"))
    return parse_text(text, document="speaker_style", source=str(FIXTURE), sha256="0" * 64)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("青木委員", ("青木", "委員")),
        ("議長（大島理森君）", ("大島理森", "議長")),
        ("委員長", (None, "委員長")),
        ("事務局", (None, "事務局")),
        ("座長", (None, "座長")),
        ("事務局（防災課長）", ("防災課長", "事務局")),
        ("山田太郎君", ("山田太郎", None)),
        ("防災課長", (None, "防災課長")),
        ("総務大臣", (None, "総務大臣")),
        ("国務大臣（川上二郎君）", ("川上二郎", "国務大臣")),
        ("優位性を高めて", None),
    ],
)
def test_parse_speaker(label: str, expected: tuple[str | None, str | None] | None) -> None:
    assert parse_speaker(label) == expected


def test_speaker_remarks(doc: ParsedDocument) -> None:
    got = [(r.speaker, r.role, r.topic, r.topic_number, r.pages) for r in doc.remarks]
    assert got == [
        (None, "委員長", "防災無線の更新について", 1, (1,)),
        ("防災課長", "事務局", "防災無線の更新について", 1, (1,)),
        ("川上", "委員", "防災無線の更新について", 1, (1,)),
        ("山川一郎", "議長", "防災無線の更新について", 1, (2,)),
        (None, "防災課長", "防災無線の更新について", 1, (2,)),
        ("谷口花子", None, "その他", 2, (2,)),
        (None, "委員長", "その他", 2, (3,)),
    ]
    texts = [r.text for r in doc.remarks]
    assert texts[0] == "ただいまから委員会を開会します。議題１について、事務局から説明をお願いします。"
    assert (
        texts[2]
        == "更新後の放送が聞き取りやすくなるのか、確認したい。\nまた、費用の見込みについても伺います。"
    )
    assert (
        texts[4]
        == "屋外スピーカーの配置を見直し、聞き取りにくい地区を減らします。費用は約３億円を見込んでいます。"
    )
    for r in doc.remarks:
        assert doc.text[r.start : r.end] == r.text
    assert "架空市議会" not in doc.text.split("\n", 1)[1]  # running header dropped from pages 2 and 3
    assert "- 2 -" not in doc.text


def test_speaker_meeting(doc: ParsedDocument) -> None:
    m = doc.meeting
    assert (m.body, m.session, m.date, m.start_time, m.end_time, m.place) == (
        "架空市議会 総務常任委員会 会議録",
        4,
        "1989-06-01",
        "10:00",
        "11:30",
        "第一委員会室",
    )
    assert m.attendees == (
        Attendee("山川", title="委員長"),
        Attendee("川上", title="委員"),
        Attendee("谷口", title="委員"),
    )
    assert [(t.number, t.title, t.kind) for t in doc.topics] == [
        (1, "防災無線の更新について", "section"),
        (2, "その他", "section"),
    ]


@pytest.mark.parametrize("codec", ["cp932", "shift_jis", "utf-8", "utf-8-sig"])
def test_encodings_give_the_same_document(doc: ParsedDocument, codec: str) -> None:
    data = _pages(FIXTURE.read_text(encoding="utf-8")).encode(codec)
    parsed = parse_bytes("speaker_style.txt", data)
    assert [r.text for r in parsed.remarks] == [r.text for r in doc.remarks]
    assert parsed.meeting == doc.meeting
    assert parsed.document == "speaker_style" and parsed.format == "text"


def test_euc_jp_is_guessed(doc: ParsedDocument) -> None:
    data = _pages(FIXTURE.read_text(encoding="utf-8")).encode("euc_jp")
    assert [r.text for r in parse_bytes("x.txt", data).remarks] == [r.text for r in doc.remarks]
