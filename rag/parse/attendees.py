"""Grouped, multi-line attendee lists and seat-numbered member lists.

- Group labels on their own line: 「委員：」「（委員）」「【事務局】」 set the title of the names below them.
- Ministry lines: 「幹事：金融庁総合政策局：佐藤総合政策管理官、…」「消費者庁：伊藤長官、米山企画官」 → one record
  per person, name and office split as speaker labels are (speakers.resolve_label), the ministry as affiliation.
- Assembly lists: 「出席議員　百二十三名」 then 「一番　古城まさお君　　二番　…」 → member names, without seat
  numbers or the count; one person a line, padded: 「三番　　小林　　翔君」 → 小林翔, 「知事　　高橋　健二君」 → 高橋健二
  (title 知事).
`grouped_attendees(values, fallback)` handles the lines it recognizes and hands any other line to `fallback`
(header.py's one-person-per-line parser), so plain lists parse as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.parse.speakers import resolve_label
from rag.types import Attendee

_GROUP_WORDS = (
    "委員|臨時委員|専門委員|特別委員|幹事|事務局|構成員|オブザーバー|説明者|説明員|関係省庁|関係府省|政府|出席者|"
    "有識者|参考人|ゲスト|招へい者|陪席|議員|理事|監事|顧問|来賓"
)
_GROUP_LINE = re.compile(rf"^[（(【〈<［\[]?\s*(?P<group>{_GROUP_WORDS})\s*[）)】〉>］\]]?\s*[:：]?$")
_COUNT = re.compile(r"^[0-9０-９〇一二三四五六七八九十百千]+\s*(?:名|人)$")
_SEAT_NUMBER = r"(?:[〇一二三四五六七八九十百千]+|[0-9０-９]+)\s*番"
_SEAT = re.compile(rf"{_SEAT_NUMBER}\s*(?P<name>[^\s\u3000番、，,]{{1,12}}?)\s*(?:君|議員|さん)")
_PADDED = re.compile(
    r"^(?P<head>[^\s\u3000]{1,16})[\s\u3000]+(?P<name>[^\s\u3000]{1,6}(?:[\s\u3000]+[^\s\u3000]{1,6})?)\s*君$"
)
_SEAT_ONLY = re.compile(rf"^{_SEAT_NUMBER}$")
_LIST_SPLIT = re.compile(r"[、，,]\s*|\s{2,}|\u3000+")


def _person(item: str, affiliation: str | None, group: str | None) -> Attendee | None:
    item = item.strip(" \u3000・")
    if not item or _COUNT.match(item) or _GROUP_LINE.match(item):
        return None
    found = resolve_label(item)
    if found is not None and found[0]:
        return Attendee(name=found[0], affiliation=affiliation, title=found[1] or group)
    if found is not None and found[1] and found[1] != item:
        return Attendee(name=item, affiliation=affiliation, title=group)
    if found is not None:  # an office without a name: 事務局, 防災課長
        return Attendee(name=item, affiliation=affiliation, title=None)
    return Attendee(name=item, affiliation=affiliation, title=group)


def _colon_line(line: str, group: str | None) -> tuple[str | None, list[Attendee]]:
    """(group after this line, attendees) of a 「幹事：金融庁：佐藤総合政策管理官」 line."""
    parts = [p.strip(" \u3000") for p in re.split(r"[:：]", line)]
    head, tail = parts[:-1], parts[-1]
    if head and _GROUP_LINE.match(head[0]):
        group = _GROUP_LINE.match(head[0])["group"]  # type: ignore[index]
        head = head[1:]
    affiliation = "".join(head) or None
    people = [p for p in (_person(item, affiliation, group) for item in _LIST_SPLIT.split(tail)) if p]
    return group, people


def grouped_attendees(values: list[str], fallback: Callable[[list[str]], list[Attendee]]) -> list[Attendee]:
    """Attendee records of the value lines of an 出席者 / 欠席者 item."""
    attendees: list[Attendee] = []
    group: str | None = None
    for raw in values:
        line = raw.strip(" \u3000")
        if not line or _COUNT.match(line):
            continue
        seats = list(_SEAT.finditer(line))
        if seats:
            attendees += [Attendee(name=m["name"]) for m in seats]
            continue
        padded = _PADDED.match(line)
        if padded:
            name = re.sub(r"[\s\u3000]", "", padded["name"])
            head = padded["head"]
            attendees.append(Attendee(name=name, title=None if _SEAT_ONLY.match(head) else head))
            continue
        m = _GROUP_LINE.match(line)
        if m:
            group = m["group"]
            continue
        if re.search(r"[:：]", line):
            group, people = _colon_line(line, group)
            attendees += people
            continue
        if "、" in line and not re.search(r"\s{2,}|\u3000", line):
            attendees += [p for p in (_person(item, None, group) for item in re.split(r"[、，,]", line)) if p]
            continue
        found = fallback([line])
        if group is not None:
            found = [a if a.title else Attendee(a.name, a.affiliation, group) for a in found]
        attendees += found
    return attendees


def looks_grouped(values: list[str]) -> bool:
    """True when the list uses groups, ministries or seat numbers (else the plain parser keeps its output)."""
    return any(
        _GROUP_LINE.match(v.strip(" \u3000"))
        or re.search(r"[:：]", v)
        or _SEAT.search(v)
        or _COUNT.match(v.strip())
        or _PADDED.match(v.strip(" \u3000"))
        for v in values
    )
