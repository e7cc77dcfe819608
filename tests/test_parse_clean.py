from __future__ import annotations

import pytest

from rag.parse import parse_text
from rag.parse.clean import Line, clean_pages, is_page_artifact, join_lines
from rag.parse.header import parse_attendee, split_title
from rag.types import Attendee


@pytest.mark.parametrize("line", ["資料８", "資料 1-2", "- 1 -", "－１２－", "1/7", "３", "p. 4", "12ページ"])
def test_page_artifacts(line: str) -> None:
    assert is_page_artifact(line)


@pytest.mark.parametrize("line", ["資料８について説明", "○ 1", "2025 年", "以上", "（１）事務局説明"])
def test_not_page_artifacts(line: str) -> None:
    assert not is_page_artifact(line)


def test_join_lines() -> None:
    assert join_lines(["先端技術の研究開", "発を進める。"]) == "先端技術の研究開発を進める。"
    assert join_lines(["RAND", "研究所"]) == "RAND研究所"
    assert join_lines(["public", "policy"]) == "public policy"
    assert join_lines(["win-", "winの構造"]) == "win-winの構造"
    assert join_lines(["2025", "年"]) == "2025年"


def test_running_headers_and_pages() -> None:
    pages = ["議事録（案）\n本文一\n- 1 -", "議事録（案）\n本文二\n- 2 -", "議事録（案）\n本文三\n- 3 -"]
    assert clean_pages(pages) == [Line(1, "本文一"), Line(2, "本文二"), Line(3, "本文三")]


def test_form_feed_pages_and_offsets() -> None:
    text = "テスト会議（第２回）議事要旨\n《論点１ 進め方》\n○ 一つ目の意見。前半と\n\f- 1 -\n後半。\n○ 二つ目。\n"
    doc = parse_text(text, document="t", source="t.txt", sha256="x")
    assert [(r.text, r.pages, r.topic, r.topic_number) for r in doc.remarks] == [
        ("一つ目の意見。前半と後半。", (1, 2), "進め方", 1),
        ("二つ目。", (2,), "進め方", 1),
    ]
    assert (
        doc.text
        == "テスト会議（第２回）議事要旨\n《論点１ 進め方》\n○ 一つ目の意見。前半と後半。\n○ 二つ目。\n"
    )
    assert doc.meeting.session == 2 and doc.meeting.title == "テスト会議（第２回）議事要旨"


def test_wrapped_issue_heading() -> None:
    text = "会議 議事要旨\n《論点② とても長い論点の見出しが\n二行にわたる場合。》\n○ 意見。\n"
    doc = parse_text(text, document="t", source="t.txt", sha256="x")
    assert doc.topics[0].title == "とても長い論点の見出しが二行にわたる場合。"
    assert doc.remarks[0].topic_number == 2


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "長澤 健一  キヤノン株式会社 専務執行役員 知的財産法務本部長",
            Attendee("長澤 健一", "キヤノン株式会社", "専務執行役員 知的財産法務本部長"),
        ),
        ("原  一郎  日本経済団体連合会 常務理事", Attendee("原 一郎", "日本経済団体連合会", "常務理事")),
        ("松本洋一郎  東京大学 名誉教授", Attendee("松本洋一郎", "東京大学", "名誉教授")),
        (
            "山田　花子　　東京大学大学院工学系研究科 教授",
            Attendee("山田 花子", "東京大学大学院工学系研究科", "教授"),
        ),
        ("鈴木 一 架空大学教授", Attendee("鈴木 一", "架空大学", "教授")),
        ("座長 森田 和夫 東海防災大学 名誉教授", Attendee("森田 和夫", "東海防災大学", "座長 名誉教授")),
        ("（五十音順、敬称略）", None),
    ],
)
def test_parse_attendee(line: str, expected: Attendee | None) -> None:
    assert parse_attendee(line) == expected


def test_split_title() -> None:
    assert split_title("官民技術協力に関する検討会合（第１回）議事要旨") == (
        "官民技術協力に関する検討会合",
        1,
    )
    assert split_title("第十二回 架空審議会 議事録") == ("架空審議会", 12)
    assert split_title("架空懇談会") == ("架空懇談会", None)
