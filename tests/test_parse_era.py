from __future__ import annotations

import pytest

from rag.normalize import search_key
from rag.parse.era import find_dates, find_times, find_years, parse_number, parse_time, to_iso_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和３年１２月９日（木）午後５時１５分から", "2021-12-09"),
        ("令和元年５月１日", "2019-05-01"),
        ("平成３１年４月３０日", "2019-04-30"),
        ("平成元年1月8日", "1989-01-08"),
        ("昭和６４年１月７日", "1989-01-07"),
        ("昭和二十年八月十五日", "1945-08-15"),
        ("令和 6 年 2 月 8 日", "2024-02-08"),
        ("開催：2021年12月9日", "2021-12-09"),
        ("2021-12-09", "2021-12-09"),
        ("2021/12/9 開催", "2021-12-09"),
        ("２０２１／１２／９", "2021-12-09"),
        ("R3.12.9", "2021-12-09"),
        ("令和３年の会合", None),  # a year alone is not a date
        ("令和３年２月３０日", None),  # no such day
        ("日付なし", None),
    ],
)
def test_to_iso_date(text: str, expected: str | None) -> None:
    assert to_iso_date(text) == expected


def test_find_years_in_questions() -> None:
    assert find_years("令和３年の会合で何が議論された？") == [("令和3年", 2021, 0, 0)]
    assert find_years("令和元年と平成30年12月の議論") == [
        ("令和元年", 2019, 0, 0),
        ("平成30年12月", 2018, 12, 0),
    ]
    assert find_years("What was said in 2021?") == [("2021", 2021, 0, 0)]
    assert find_years("２０２１年１２月９日の会合") == [("2021年12月9日", 2021, 12, 9)]
    assert find_years("第1回の会合") == []


def test_find_dates_fields() -> None:
    (mention,) = find_dates("昭和６０年度の予算")
    assert (mention.year, mention.month, mention.day) == (1985, None, None)
    assert find_dates("in 2021", bare_years=False) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("午後５時１５分から午後６時４０分まで", ["17:15", "18:40"]),
        ("午後２時から４時まで", ["14:00", "16:00"]),
        ("１４時００分～１５時３０分", ["14:00", "15:30"]),
        ("午前１０時半から正午まで", ["10:30", "12:00"]),
        ("10:00-11:30", ["10:00", "11:30"]),
    ],
)
def test_find_times(text: str, expected: list[str]) -> None:
    assert find_times(text) == expected


def test_parse_time_and_number() -> None:
    assert parse_time("午後５時１５分") == "17:15"
    assert parse_time("なし") is None
    assert [parse_number(s) for s in ("１２", "十二", "二十一", "元", "百五", "x")] == [
        12,
        12,
        21,
        1,
        105,
        None,
    ]


def test_search_key_folds_width_and_case() -> None:
    assert search_key("ＡＩとＤＸ、２０２５年") == "aiとdx、2025年"
    assert search_key("ｶﾀｶﾅ PhD") == "カタカナ phd"
