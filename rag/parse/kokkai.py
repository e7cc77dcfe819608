"""The National Diet's minutes: 国会会議録検索システム API JSON → ParsedDocument.

Both endpoints are read: the meeting endpoint (``meetingRecord[]``, each with ``speechRecord[]``) and the
speech endpoint (``speechRecord[]`` flat, meeting fields on each record). One meeting (issueID) is one
document; each speech is a remark whose text has its leading 「○speaker　」 label taken off. The
speechOrder 0 record (「会議録情報」) is the header: attendees (出席委員, 出席国務大臣 …), the opening time and
the agenda (本日の会議に付した案件), not a remark. Each remark keeps 会派 (speakerGroup), position
(speakerPosition) and the speechURL.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rag.errors import ParseError
from rag.parse.era import find_times, parse_number
from rag.parse.noise import split_directions
from rag.parse.speakers import resolve_label, split_label
from rag.types import Attendee, Meeting, ParsedDocument, Remark

_SECTION_RE = re.compile(r"^\s*(出席委員|出席議員|出席国務大臣|出席政府特別補佐人|出席政府参考人|出席者|欠席委員|委員外の出席者)")
_PERSON_RE = re.compile(r"(?:(?P<role>[^\s\u3000君]{1,12})[\s\u3000]+)?(?P<name>[^\s\u3000君]{1,12})君")
_RULE_RE = re.compile(r"^\s*[―─━\-－]{3,}\s*$")
_KANJI_TIME_RE = re.compile(r"[〇一二三四五六七八九十]+(?=時|分)")
_CLOSING_RE = re.compile(r"^[（(]?(?:午前|午後)\S{1,10}(?:散会|閉会|休憩|延会)[）)]?$")


def looks_like_kokkai(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") and (b'"speechRecord"' in data[:1_000_000] or b'"meetingRecord"' in data[:4096])


def _meetings(payload: Any) -> list[dict[str, Any]]:
    if not isinstance(payload, dict):
        return []
    if isinstance(payload.get("meetingRecord"), list):
        return [m for m in payload["meetingRecord"] if isinstance(m, dict)]
    records = payload.get("speechRecord")
    if not isinstance(records, list):
        return []
    grouped: dict[str, dict[str, Any]] = {}
    for record in records:
        if not isinstance(record, dict):
            continue
        key = str(record.get("issueID") or "")
        meeting = grouped.setdefault(key, {**record, "speechRecord": []})
        meeting["speechRecord"].append(record)
    return list(grouped.values())


def _header(info: str) -> tuple[list[Attendee], list[str], str | None]:
    """(attendees, agenda, opening time) of the 会議録情報 text."""
    attendees: list[Attendee] = []
    agenda: list[str] = []
    section: str | None = None
    for raw in info.splitlines():
        line = raw.strip(" \u3000")
        if not line:
            continue
        if _RULE_RE.match(line):
            section = None
            continue
        m = _SECTION_RE.match(line)
        if m:
            section = m[1]
            continue
        if "本日の会議に付した案件" in line:
            section = "agenda"
            continue
        if section == "agenda":
            agenda.append(line)
        elif section is not None and section != "欠席委員":
            for person in _PERSON_RE.finditer(line):
                role = person["role"]
                attendees.append(Attendee(name=person["name"], affiliation=None, title=role))
    opening = next((ln for ln in info.splitlines() if "開議" in ln or "開会" in ln), "")
    opening = _KANJI_TIME_RE.sub(lambda m: str(parse_number(m[0])), opening)
    times = find_times(opening)
    return attendees, agenda, times[0] if times else None


def _speech(record: dict[str, Any]) -> tuple[str, str | None, str]:
    """(label, role from the label, text without label and directions) of one speech."""
    speech = str(record.get("speech") or "").strip()
    label = ""
    if speech[:1] in "○◯〇":
        split = split_label(speech[1:])
        if split is not None:
            label, _, speech = split
    found = resolve_label(label) if label else None
    lines = [ln.strip(" \u3000") for ln in speech.splitlines()]
    text = "\n".join(ln for ln in lines if ln and not _CLOSING_RE.match(ln))
    return label, (found[1] if found else None), text


def _document(name: str, document: str, digest: str, meeting: dict[str, Any]) -> ParsedDocument:
    records = sorted(
        (r for r in meeting.get("speechRecord", []) if isinstance(r, dict)),
        key=lambda r: int(r.get("speechOrder") or 0),
    )
    info = next((r for r in records if int(r.get("speechOrder") or 0) == 0), None)
    speeches = [r for r in records if int(r.get("speechOrder") or 0) > 0]
    if not speeches:
        raise ParseError(f"{name}: the Diet record holds no speeches (speechRecord with speechOrder ≥ 1)")
    attendees, agenda, opening = _header(str(info.get("speech") or "")) if info else ([], [], None)
    house, committee, issue = (str(meeting.get(k) or "") for k in ("nameOfHouse", "nameOfMeeting", "issue"))
    session = meeting.get("session")
    title = " ".join(p for p in (f"第{session}回国会" if session else "", house, committee, issue) if p)
    header = Meeting(
        title=title or document,
        body=" ".join(p for p in (house, committee) if p) or None,
        session=int(str(session)) if str(session or "").isdigit() else None,
        date=str(meeting.get("date") or "") or None,
        start_time=opening,
        attendees=tuple(attendees),
        agenda=tuple(agenda),
    )
    pieces = [title + "\n"]
    offset = len(pieces[0])
    remarks: list[Remark] = []
    for record in speeches:
        label, label_role, raw = _speech(record)
        text, directions = split_directions(raw)
        prefix = f"○{label}\u3000" if label else "○"
        begin = offset + len(prefix)
        pieces.append(prefix + text + "\n")
        offset += len(prefix) + len(text) + 1
        page = record.get("startPage")
        ordinal = len(remarks) + 1
        remarks.append(
            Remark(
                id=f"{document}#{ordinal}",
                ordinal=ordinal,
                text=text,
                speaker=str(record.get("speaker") or "") or None,
                role=str(record.get("speakerRole") or "") or label_role,
                pages=(int(page),) if isinstance(page, int) and page > 0 else (),
                start=begin,
                end=begin + len(text),
                directions=directions,
                speaker_group=str(record.get("speakerGroup") or "") or None,
                position=str(record.get("speakerPosition") or "") or None,
                url=str(record.get("speechURL") or "") or None,
            )
        )
    return ParsedDocument(
        document=document,
        source=name,
        sha256=digest,
        meeting=header,
        topics=(),
        remarks=tuple(remarks),
        text="".join(pieces),
        format="kokkai",
    )


def parse_kokkai(name: str, data: bytes, *, document: str, digest: str) -> ParsedDocument:
    """One meeting of the Diet API's JSON (meeting or speech endpoint) as a document."""
    try:
        payload = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"{name}: not valid JSON ({exc}); save the API response again") from exc
    meetings = _meetings(payload)
    if not meetings:
        raise ParseError(
            f"{name}: JSON without meetingRecord or speechRecord; save a 国会会議録検索システム API response"
        )
    if len(meetings) > 1:
        raise ParseError(
            f"{name}: the response holds {len(meetings)} meetings; save one meeting (one issueID) per file"
        )
    return _document(name, document, digest, meetings[0])
