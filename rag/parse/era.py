"""Japanese era (和暦) and Western dates, times and numbers.

- `to_iso_date(text)`: the first complete date in `text` as ISO ``YYYY-MM-DD``
  (令和３年１２月９日 → 2021-12-09; 元年, full-width digits, 漢数字, 2021年12月9日, 2021-12-09, 2021/12/9, R3.12.9).
- `find_dates(text)`: every date mention in a free-text *question*, also partial ones
  (「令和３年の会合で」 → year 2021; 「2021年12月」 → 2021-12; "in 2021" → 2021), for the retrieval layer's
  date filters. `find_years(text)` is the same list as plain tuples ``(matched text, year, month, day)``
  with 0 for a missing month or day.
- `parse_time(text)`: 午後５時１５分 → "17:15", 正午 → "12:00", 17時15分 / 17:15 → "17:15".
- `parse_number(text)`: ASCII, full-width or 漢数字 numbers (１２, 十二, 元) → int.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from typing import NamedTuple

ERA_OFFSETS: dict[str, int] = {"明治": 1867, "大正": 1911, "昭和": 1925, "平成": 1988, "令和": 2018}
_ERA_LETTERS: dict[str, str] = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}
_KANJI_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_NUM = r"(?:[0-9]+|[〇零一二三四五六七八九十百千]+)"

_ERA_RE = re.compile(
    rf"(?P<era>明治|大正|昭和|平成|令和)\s*(?P<y>元|{_NUM})\s*年"
    rf"(?:\s*(?P<m>{_NUM})\s*月(?:\s*(?P<d>{_NUM})\s*日)?)?"
)
_ERA_ABBR_RE = re.compile(
    r"(?<![A-Za-z])(?P<era>[MTSHR])(?P<y>\d{1,2})\.(?P<m>\d{1,2})\.(?P<d>\d{1,2})(?!\d)"
)
_WESTERN_KANJI_RE = re.compile(
    r"(?<!\d)(?P<y>\d{4})\s*年(?:\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*日)?)?"
)
_WESTERN_NUM_RE = re.compile(r"(?<!\d)(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)")
_BARE_YEAR_RE = re.compile(r"(?<![\d.\-/])(?P<y>(?:19|20)\d{2})(?![\d年\-/.])")
_TIME_RE = re.compile(
    r"(?P<noon>正午)|(?P<ampm>午前|午後)?\s*(?P<h>\d{1,2})\s*時(?:\s*(?P<half>半)|\s*(?P<min>\d{1,2})\s*分)?"
    r"|(?<!\d)(?P<h2>\d{1,2}):(?P<min2>\d{2})(?!\d)"
)


class DateMention(NamedTuple):
    """A date found in a text: `month`/`day` are None when the text gives only a year (or year+month).

    `start`/`end` are offsets into the NFKC-normalized text (full-width digits folded).
    """

    text: str
    year: int
    month: int | None
    day: int | None
    start: int
    end: int


def parse_number(text: str) -> int | None:
    """Parse 12 / １２ / 十二 / 二〇二一 / 元 into an int; None when it is not a number."""
    s = unicodedata.normalize("NFKC", text).strip()
    if not s:
        return None
    if s == "元":
        return 1
    if s.isdigit():
        return int(s)
    if all(ch in _KANJI_DIGITS for ch in s):  # positional: 二〇二一
        return int("".join(str(_KANJI_DIGITS[ch]) for ch in s))
    total, current = 0, 0
    units = {"十": 10, "百": 100, "千": 1000}
    for ch in s:
        if ch in _KANJI_DIGITS:
            current = _KANJI_DIGITS[ch]
        elif ch in units:
            total += (current or 1) * units[ch]
            current = 0
        else:
            return None
    return total + current


def _valid(year: int, month: int | None, day: int | None) -> bool:
    if month is None:
        return 1 <= year <= 9999
    if day is None:
        return 1 <= month <= 12
    try:
        _dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _opt(value: str | None) -> int | None:
    return parse_number(value) if value else None


def find_dates(text: str, *, bare_years: bool = True) -> list[DateMention]:
    """Every era or Western date mention in `text`, in order of appearance, overlaps removed.

    Partial dates count: 「令和３年の会合」 → DateMention(year=2021, month=None, day=None).
    With `bare_years`, a lone 4-digit year 1900–2099 ("in 2021") counts too.
    """
    s = unicodedata.normalize("NFKC", text)
    found: list[DateMention] = []
    for m in _ERA_RE.finditer(s):
        era_year = parse_number(m["y"])
        if era_year is None:
            continue
        year = ERA_OFFSETS[m["era"]] + era_year
        found.append(DateMention(m[0], year, _opt(m["m"]), _opt(m["d"]), m.start(), m.end()))
    for m in _ERA_ABBR_RE.finditer(s):
        year = ERA_OFFSETS[_ERA_LETTERS[m["era"]]] + int(m["y"])
        found.append(DateMention(m[0], year, int(m["m"]), int(m["d"]), m.start(), m.end()))
    for rx in (_WESTERN_KANJI_RE, _WESTERN_NUM_RE):
        for m in rx.finditer(s):
            found.append(DateMention(m[0], int(m["y"]), _opt(m["m"]), _opt(m["d"]), m.start(), m.end()))
    if bare_years:
        for m in _BARE_YEAR_RE.finditer(s):
            found.append(DateMention(m[0], int(m["y"]), None, None, m.start(), m.end()))
    found = [f for f in found if _valid(f.year, f.month, f.day)]
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    result: list[DateMention] = []
    for f in found:
        if result and f.start < result[-1].end:
            continue  # overlaps a longer or earlier match
        result.append(f)
    return result


def find_years(text: str) -> list[tuple[str, int, int, int]]:
    """Date mentions as ``(matched text, year, month or 0, day or 0)``: 「令和３年の会合で」 → [("令和3年", 2021, 0, 0)]."""
    return [(f.text, f.year, f.month or 0, f.day or 0) for f in find_dates(text)]


def to_iso_date(text: str) -> str | None:
    """The first complete (year, month, day) date in `text` as ``YYYY-MM-DD``, or None."""
    for f in find_dates(text, bare_years=False):
        if f.month is not None and f.day is not None:
            return f"{f.year:04d}-{f.month:02d}-{f.day:02d}"
    return None


def find_times(text: str) -> list[str]:
    """Every clock time in `text` as 24h "HH:MM"; a time without 午前/午後 after a 午後 one inherits it."""
    s = unicodedata.normalize("NFKC", text)
    times: list[str] = []
    last_pm = False
    for m in _TIME_RE.finditer(s):
        if m["noon"]:
            times.append("12:00")
            continue
        if m["h2"]:
            hour, minute = int(m["h2"]), int(m["min2"])
        else:
            hour = int(m["h"])
            minute = 30 if m["half"] else int(m["min"] or 0)
            if m["ampm"] == "午後":
                last_pm = True
            elif m["ampm"] == "午前":
                last_pm = False
            if last_pm and hour < 12:
                hour += 12
        if 0 <= hour <= 24 and 0 <= minute < 60:
            times.append(f"{hour:02d}:{minute:02d}")
    return times


def parse_time(text: str) -> str | None:
    """The first clock time in `text` as "HH:MM" (午後５時１５分 → "17:15"), or None."""
    times = find_times(text)
    return times[0] if times else None
