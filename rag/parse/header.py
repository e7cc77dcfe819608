"""The meeting header: title, body, session, date, times, place and attendees.

Header items come either as a numbered key line followed by value lines (「１ 日時」 then
「令和３年…」) or inline (「日時：令和３年…」, 「○ 場所 オンライン」).
Attendee lines are split into name, affiliation and title: the name is the first one or two short
tokens (「原  一郎」 → "原 一郎"; internal spaces normalized to one ASCII space), the title is the
trailing run of tokens that name a role (教授, 常勤議員, 専務執行役員 知的財産法務本部長 …), the
affiliation is what lies between.
"""

from __future__ import annotations

import re
import unicodedata

from rag.parse.attendees import grouped_attendees, looks_grouped
from rag.parse.era import find_times, parse_number, to_iso_date
from rag.parse.speakers import BARE_ROLES
from rag.types import Attendee, Meeting

_NUM = r"(?:[0-9０-９]+|[一二三四五六七八九十]+)"
KEY_RE = re.compile(
    rf"^(?:{_NUM}|[○◯〇■□●・])?[\s.．、]*"
    r"(?P<key>議\s*事\s*次\s*第|欠\s*席\s*者|欠席委員|欠\s*席\s*議\s*員|開催日時|日\s*時|日\s*程|開催場所|場\s*所|出\s*席\s*者|出席委員|出席議員|構成員|委員名簿|"
    r"出席説明員|説明のため出席した者|議事日程|"
    r"議\s*題|議事次第|配布資料|議事概要|議事要旨|議事の概要|議事経過|議事内容|審議経過|議\s*事|概\s*要)"
    r"(?:[（(][^）)]{1,20}[）)])?(?:\s*[:：]\s*|\s+|$)(?P<value>.*)$"
)
BODY_KEYS = {"議事概要", "議事要旨", "議事の概要", "議事経過", "議事内容", "審議経過", "議事", "概要"}
_KEY_NAMES = {
    "開催日時": "date",
    "日時": "date",
    "日程": "date",
    "開催場所": "place",
    "場所": "place",
    "出席者": "attendees",
    "出席委員": "attendees",
    "出席議員": "attendees",
    "構成員": "attendees",
    "委員名簿": "attendees",
    "欠席者": "absentees",
    "欠席委員": "absentees",
    "欠席議員": "absentees",
    "出席説明員": "attendees",
    "説明のため出席した者": "attendees",
    "議事日程": "agenda",
    "議事次第": "agenda",
    "議題": "agenda",
}
_OPENING_RE = re.compile(r"^[（(]?(?:午前|午後)\s*\S{1,8}?(?:開会|開議|開始|再開)[）)]?$")
_ASSEMBLY_TITLE_RE = re.compile(
    rf"^(?:(?:令和|平成|昭和)\s*(?:元|{_NUM})\s*年)?\s*(?:第\s*{_NUM}\s*回)?\s*(?:定例会|臨時会)\s*"
    rf"(?P<body>\S.*?)?\s*会議録\s*(?:[（(]?第\s*{_NUM}\s*号[）)]?)?$"
)
_AGENDA_END = re.compile(r"^(?:[【\[（(]?\s*(?:配付資料|配布資料|参考資料|資料)|午前|午後|[0-9０-９]{1,2}\s*[:：時])")
_SESSION_RE = re.compile(rf"第\s*(?P<n>{_NUM})\s*回")
_TITLE_SUFFIX_RE = re.compile(r"[\s　]*(?:議事要旨|議事録|議事概要|会議録|議事次第|要旨)[\s　]*$")
_SESSION_PART_RE = re.compile(rf"[\s　]*[（(]?\s*第\s*{_NUM}\s*回\s*[）)]?[\s　]*")
_GROUP_RE = re.compile(r"^[（(【\[<＜〈].*[）)】\]>＞〉]$|^(?:敬称略|五十音順).*$")
_ROLE_PREFIXES = (
    "座長代理",
    "副座長",
    "座長",
    "議長",
    "副議長",
    "会長",
    "副会長",
    "委員長",
    "部会長",
    "主査",
)
_TITLE_TOKEN_RE = re.compile(
    r"(?:教授|講師|助教|議員|幹事|理事|監事|参事|参与|顧問|役員|取締役|執行役|相談役|社長|会長|"
    r"長|委員|知事|代表|研究員|主任|主席|フェロー|弁護士|会計士|税理士|審議官|統括官|官|"
    r"ディレクター|マネージャー|マネジャー|アドバイザー|コンサルタント|CEO|CTO|COO|CFO|Director|President|Professor)$"
)


def _key_of(line: str) -> tuple[str, str] | None:
    """(normalized key, inline value) when `line` is a header key line, else None."""
    m = KEY_RE.match(line)
    if not m:
        return None
    key = re.sub(r"\s", "", m["key"])
    value = m["value"].strip()
    if line[:1] in "○◯〇" and not value and key not in BODY_KEYS:
        return None  # 「○委員」: a speaker, not a header item
    return key, value


def is_key_line(line: str) -> bool:
    return _key_of(line) is not None


def is_body_start(line: str) -> bool:
    found = _key_of(line)
    return found is not None and found[0] in BODY_KEYS and not found[1]


def split_title(title: str) -> tuple[str | None, int | None]:
    """(body, session) of a meeting title: 「官民技術協力に関する検討会合（第１回）議事要旨」 → (官民…会合, 1)."""
    m = _SESSION_RE.search(title)
    session = parse_number(m["n"]) if m else None
    assembly = _ASSEMBLY_TITLE_RE.match(title)
    if assembly:  # 令和二年第一回定例会 架空都議会会議録第二号 → 架空都議会 (no body named: None)
        return assembly["body"], session
    body = _TITLE_SUFFIX_RE.sub("", title)
    body = _SESSION_PART_RE.sub(" ", body).strip(" 　")
    return (body or None), session


def _is_title_token(token: str) -> bool:
    return bool(_TITLE_TOKEN_RE.search(token)) and not token.endswith(("会議", "委員会", "協会", "学会"))


def parse_attendee(line: str) -> Attendee | None:
    """One attendee line → Attendee; None for group labels such as （委員） or （敬称略）."""
    text = line.strip(" 　")
    if not text or _GROUP_RE.match(text):
        return None
    role_prefix = ""
    for prefix in _ROLE_PREFIXES:
        if text.startswith(prefix) and len(text) > len(prefix) and text[len(prefix)] in " 　:：":
            role_prefix, text = prefix, text[len(prefix) + 1 :].strip(" 　:：")
            break
    segments = [s for s in re.split(r"(?:\s{2,}|\u3000+)\s*", text) if s]
    if len(segments) >= 2:
        if (
            len(segments) >= 3
            and " " not in segments[0]
            and len(segments[0]) <= 2
            and len(segments[1]) <= 4
            and " " not in segments[1]
        ):
            name, rest = f"{segments[0]} {segments[1]}", segments[2:]  # 原  一郎  日本経済…
        else:
            name, rest = segments[0], segments[1:]
        tokens = " ".join(rest).split()
    else:
        tokens = text.split()
        if (
            len(tokens) >= 2
            and len(tokens[0]) <= 3
            and len(tokens[1]) <= 4
            and not _is_title_token(tokens[1])
            and len(tokens[0]) + len(tokens[1]) <= 6
            and len(tokens[0]) < 4
        ):
            name, tokens = f"{tokens[0]} {tokens[1]}", tokens[2:]
        else:
            name, tokens = tokens[0], tokens[1:]
    name = " ".join(name.split())
    affiliation, title = _split_affiliation(tokens)
    if role_prefix:
        title = f"{role_prefix} {title}" if title else role_prefix
    return Attendee(name=name, affiliation=affiliation, title=title)


def _split_affiliation(tokens: list[str]) -> tuple[str | None, str | None]:
    if not tokens:
        return None, None
    if len(tokens) == 1 and tokens[0] in BARE_ROLES:
        return None, tokens[0]
    for index in range(1, len(tokens)):
        if _is_title_token(tokens[index]):
            return " ".join(tokens[:index]), " ".join(tokens[index:])
    if len(tokens) == 1:
        m = re.search(r"(特任教授|名誉教授|准教授|教授|理事長|会長|社長|代表)$", tokens[0])
        if m and m.start() > 0:
            return tokens[0][: m.start()], m[0]
        if _is_title_token(tokens[0]):
            return None, tokens[0]
        return tokens[0], None
    return " ".join(tokens[:-1]), tokens[-1]


def _parse_attendee_values(values: list[str]) -> list[Attendee]:
    values = [v for v in values if v.strip(" \u3000") not in ("なし", "無し", "該当なし")]  # 「欠席議員　なし」
    if looks_grouped(values):
        return grouped_attendees(values, _plain_attendees)
    return _plain_attendees(values)


def _plain_attendees(values: list[str]) -> list[Attendee]:
    attendees: list[Attendee] = []
    for value in values:
        if "、" in value and not re.search(r"\s{2,}|\u3000", value):
            for part in re.split(r"[、,，]", value):
                part = part.strip(" 　")
                if not part or _GROUP_RE.match(part):
                    continue
                m = re.match(
                    r"^(?P<name>.+?)(?P<title>座長代理|座長|委員長|委員|議長|会長|主査|構成員)$", part
                )
                attendees.append(Attendee(name=m["name"], title=m["title"]) if m else Attendee(name=part))
            continue
        attendee = parse_attendee(value)
        if attendee is not None:
            attendees.append(attendee)
    return attendees


def parse_header(title: str, lines: list[str], fallback_title: str) -> Meeting:
    """Meeting record from the title line and the header lines that precede the body."""
    fields: dict[str, list[str]] = {}
    current: str | None = None
    for line in lines:
        found = _key_of(line)
        if found is not None and current == "agenda" and found[0] in BODY_KEYS and line[:1] not in "○◯〇●■□":
            found = None  # 「２．議事」 inside the 議事次第 is an agenda item
        if found is not None:
            key, value = found
            current = _KEY_NAMES.get(key, f"other:{key}")
            fields.setdefault(current, [])
            if value:
                fields[current].append(value)
        elif _OPENING_RE.match(line):
            current = None  # 「午後一時開議」 ends the header lists
        elif current is not None:
            fields[current].append(line)
    title = title.strip() or fallback_title
    body, session = split_title(title)
    date_text = " ".join(fields.get("date", []))
    date = to_iso_date(date_text) or to_iso_date(" ".join([title, *lines]))
    times = find_times(_without_dates(date_text))
    place_lines = fields.get("place", [])
    return Meeting(
        title=title,
        body=body,
        session=session,
        date=date,
        start_time=times[0] if times else None,
        end_time=times[1] if len(times) > 1 else None,
        place=" ".join(place_lines).strip() or None,
        attendees=tuple(_parse_attendee_values(fields.get("attendees", []))),
        absentees=tuple(_parse_attendee_values(fields.get("absentees", []))),
        agenda=_agenda(fields.get("agenda", [])),
    )


def _agenda(values: list[str]) -> tuple[str, ...]:
    """Agenda items of the 議事次第 / 議題 lines, up to the list of handouts (配付資料) or the opening time."""
    items: list[str] = []
    for value in values:
        if _AGENDA_END.match(value.strip()):
            break
        items.append(value.strip(" \u3000"))
    return tuple(i for i in items if i)


def _without_dates(text: str) -> str:
    """Drop the date part so that 「１２月９日」 digits are not read as times."""
    folded = unicodedata.normalize("NFKC", text)
    return re.sub(r"[0-9]+\s*年|[0-9]+\s*月|[0-9]+\s*日|\([^)]*\)", " ", folded)
