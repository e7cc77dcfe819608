"""Invented minutes in published layouts: cover pages, grouped 出席者, 欠席者, 議事次第, stage directions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from parse_fixtures import invented

from rag.parse import parse_file, parse_text
from rag.parse.header import parse_header
from rag.types import ParsedDocument


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return invented.write_invented(tmp_path_factory.mktemp("invented"))


@pytest.fixture(scope="session", params=["council.txt", "council.pdf", "council.docx"])
def council(request: pytest.FixtureRequest, files: dict[str, Path]) -> ParsedDocument:
    return parse_file(files[request.param])


@pytest.fixture(scope="session", params=["assembly.txt", "assembly.html"])
def assembly(request: pytest.FixtureRequest, files: dict[str, Path]) -> ParsedDocument:
    return parse_file(files[request.param])


def test_formats_and_no_navigation(files: dict[str, Path]) -> None:
    assert parse_file(files["council.docx"]).format == "docx"
    page = parse_file(files["assembly.html"])
    assert page.format == "html"
    for noise in ("議員名簿", "トップ", "Copyright", "tracking", "ページの先頭"):
        assert noise not in page.text


def _clean(doc: ParsedDocument) -> None:
    for r in doc.remarks:
        assert not re.search(r"[〔〕]|（拍手）|退室）|^\d+$|- \d+ -|\d+/\d+|――", r.text), r.text
        assert not re.search(r"(?m)^\s*[0-9０-９]+\s*$", r.text)


def test_council_speakers_and_header(council: ParsedDocument) -> None:
    assert [(r.speaker, r.role) for r in council.remarks] == invented.COUNCIL_LABELS
    m = council.meeting
    assert (m.body, m.session, m.date, m.start_time, m.end_time) == (
        "消費者教育推進会議", 25, "2019-07-26", "14:00", "15:56"
    )
    assert "第25回" in m.title and m.title != "第25回"
    names = {a.name for a in m.attendees}
    assert set(invented.COUNCIL_MEMBERS) <= names
    by_name = {a.name: a for a in m.attendees}
    assert (by_name["佐藤"].affiliation, by_name["佐藤"].title) == ("金融庁総合政策局", "総合政策管理官")
    assert (by_name["宮腰"].affiliation, by_name["宮腰"].title) == ("消費者庁", "大臣")
    assert [a.name for a in m.absentees] == ["大野", "加藤"]
    assert m.agenda == ("１．開会", "２．消費者教育の推進に関する基本方針の見直しについて", "３．閉会")


def test_council_noise_is_out_of_the_text(council: ParsedDocument) -> None:
    _clean(council)
    minister = council.remarks[1]
    assert minister.directions == ("拍手", "宮腰大臣退室")
    assert minister.text.endswith("進めてまいります。")
    assert council.remarks[6].directions == ("「賛成」と呼ぶ者あり",)
    assert "第25回消費者教育推進会議 議事録" not in council.remarks[2].text


def test_assembly_speakers_directions_and_members(assembly: ParsedDocument) -> None:
    assert [(r.speaker, r.role) for r in assembly.remarks] == invented.ASSEMBLY_LABELS
    _clean(assembly)
    assert assembly.remarks[1].directions == ("知事小池百合子君登壇",)
    assert assembly.remarks[2].text.endswith("ご清聴ありがとうございました。")
    assert assembly.remarks[4].directions == ("「異議なし」と呼ぶ者あり",)
    m = assembly.meeting
    assert (m.body, m.date) == ("架空都議会", "2020-02-26")
    assert [a.name for a in m.attendees] == ["古城まさお", "北山花子", "南田一郎", "西川次郎", "増子ひろき"]
    assert [a.name for a in m.absentees] == ["東野三郎"]
    assert not any(re.search(r"名$|番", a.name) for a in m.attendees)


@pytest.mark.parametrize(
    ("line", "date", "start", "end"),
    [
        ("日時：令和元年７月26日（金）14：00～15：56", "2019-07-26", "14:00", "15:56"),
        ("日時　令和二年二月二十六日（水曜日）午後５時１５分から", "2020-02-26", "17:15", None),
        ("日時：2023年6月6日 10:00-11:00", "2023-06-06", "10:00", "11:00"),
        ("日時：R5.6.6 9時30分～", "2023-06-06", "09:30", None),
    ],
)
def test_dates_and_times(line: str, date: str, start: str, end: str | None) -> None:
    m = parse_header("第１回架空会議 議事録", [line], fallback_title="x")
    assert (m.date, m.start_time, m.end_time) == (date, start, end)


def test_zero_marker_with_colon_and_glued_labels() -> None:
    text = "第３回架空会議 議事録\n〇河野大臣：本日はお集まりいただきありがとうございます。\n〇井出副大臣:補足します。\n○河野大臣　以上です。\n"
    doc = parse_text(text, document="x", source="x.txt", sha256="0" * 64)
    assert [(r.speaker, r.role, r.text) for r in doc.remarks] == [
        ("河野", "大臣", "本日はお集まりいただきありがとうございます。"),
        ("井出", "副大臣", "補足します。"),
        ("河野", "大臣", "以上です。"),
    ]


def test_unresolved_label_stays_whole_as_role() -> None:
    text = "架空会議 議事録\n○青木委員　はい。\n○川上委員　はい。\n○ＸＹＺ担当　説明します。\n"
    doc = parse_text(text, document="x", source="x.txt", sha256="0" * 64)
    last = doc.remarks[-1]
    assert (last.speaker, last.role, last.text) == (None, "ＸＹＺ担当", "説明します。")


def test_roster_names_split_labels_glued_to_the_text() -> None:
    text = (
        "第１回架空会議 議事録\n出席者\n東　珠実　会長\n青木　一郎　委員\n"
        "○東会長ただいまから開会します。\n○青木委員質問です。\n○東会長　どうぞ。\n"
    )
    doc = parse_text(text, document="x", source="x.txt", sha256="0" * 64)
    assert [(r.speaker, r.role, r.text) for r in doc.remarks] == [
        ("東", "会長", "ただいまから開会します。"),
        ("青木", "委員", "質問です。"),
        ("東", "会長", "どうぞ。"),
    ]


def test_parentheses_that_are_not_directions_stay() -> None:
    from rag.parse.noise import split_directions

    assert split_directions("令和３年度（令和４年度から再開）です。（拍手）") == (
        "令和３年度（令和４年度から再開）です。",
        ("拍手",),
    )
    assert split_directions("（午後１時再開）") == ("", ("午後１時再開",))


def test_assembly_header_with_padded_lists_and_officials() -> None:
    """A plenary 会議録 header: a counted 出席議員 list with padded names, 欠席議員 なし, the officials under
    出席説明員, and 議事日程 (each item its own section, not run into the one before)."""
    text = "\n".join([
        "令和六年第一回定例会会議録第二号",
        "令和六年二月二十八日（水曜日）",
        "場所　架空県議会議事堂本会議場",
        "出席議員（四十名のうち抄録）",
        "　　三番　　小林　　翔君",
        "　　三十番　佐藤　一郎君",
        "欠席議員　なし",
        "出席説明員",
        "　　知事　　　　　　高橋　健二君",
        "　　福祉局長　　　　中村　美咲君",
        "議事日程（第二号）",
        "第一　第一号議案から第六十二号議案まで（代表質問）",
        "",
        "○議長（山田太郎君）　これより本日の会議を開きます。",
        "○三十番（佐藤一郎君）　待機児童について伺います。",
    ])
    doc = parse_text(text, document="x", source="x.txt", sha256="0" * 64)
    m = doc.meeting
    assert (m.body, m.session, m.date, m.place) == (None, 1, "2024-02-28", "架空県議会議事堂本会議場")
    assert [(a.name, a.title) for a in m.attendees] == [
        ("小林翔", None), ("佐藤一郎", None), ("高橋健二", "知事"), ("中村美咲", "福祉局長")
    ]
    assert not m.absentees
    assert m.agenda[-1].startswith("第一　第一号議案")
    assert [(r.speaker, r.role) for r in doc.remarks] == [("山田太郎", "議長"), ("佐藤一郎", "三十番")]
