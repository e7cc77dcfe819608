"""The body of the minutes: headings (topics) and ○ remarks, as display blocks.

Line kinds in the body:
- 《論点① …》 (possibly wrapped over lines) → Topic(kind="issue"), number from ①/1/一.
- （１）事務局説明等, 【議題２】… → Topic(kind="section").
- ○ / ◯ → a new remark. Anonymous style 「○ 優位性を…」 has no speaker; in speaker style the label
  before the first space is parsed: 「○青木委員　」 → speaker 青木, role 委員; 「○議長（大島理森君）　」 →
  speaker 大島理森, role 議長; a bare role 「○委員長　」「○事務局　」 → speaker None, role 委員長 / 事務局;
  「○山田太郎君　」 → speaker 山田太郎, role None; an office 「○防災課長　」 → speaker None, role 防災課長.
- 以上, separator rules (――――), notes (※…, （文責…）) close the open remark.
- Any other line continues the open remark (joined, see clean.join_lines; a line indented with an
  ideographic space starts a new paragraph, joined with "\\n"), or else is narrative text kept in
  ParsedDocument.text only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.parse.clean import Line, join_lines
from rag.parse.era import parse_number

_CIRCLED = {chr(0x2460 + i): i + 1 for i in range(20)}
BULLETS = ("○", "◯")
_ISSUE_RE = re.compile(
    r"^《\s*(?P<label>論点|議題|テーマ|課題)?\s*(?P<num>[①-⑳]|[0-9０-９]+|[一二三四五六七八九十]+)?"
    r"\s*[:：.．、]?\s*(?P<title>.*?)\s*》$"
)
_SECTION_RE = re.compile(
    r"^[（(]\s*(?P<num>[0-9０-９]+|[一二三四五六七八九十]+)\s*[）)]\s*(?P<title>\S.{0,38})$"
)
_BRACKET_RE = re.compile(r"^【(?P<title>[^】]{1,40})】(?P<rest>.{0,30})$")
_END_RE = re.compile(r"^以\s*上$")
_SEPARATOR_RE = re.compile(r"^[―─━\-－＿_=＝*＊・…]{3,}$")
_NOTE_RE = re.compile(r"^(?:※|[（(](?:文責|速報|未定稿|敬称略))")
_ROLE_WORDS = (  # a name may precede these: 青木委員, 山田座長
    "副委員長|委員長|副議長|議長|座長代理|副座長|座長|副会長|会長|分科会長|部会長|主査|委員|議員|構成員|"
    "参考人|政府参考人|説明員|オブザーバー|司会|理事|幹事"
)
# offices: what precedes them names the office, not the person (防災課長, 総務大臣), so the label is the role
_OFFICE_RE = re.compile(
    r"^[^\s、。,（）()]{0,12}(?:事務局長|事務局|局長|次長|部長|課長|室長|所長|審議官|参事官|大臣|政務官)$"
)
_ROLE_ONLY_RE = re.compile(rf"^(?:{_ROLE_WORDS})$")
_NAME_ROLE_RE = re.compile(rf"^(?P<name>[^\s、。,（）()]{{1,10}}?)(?P<role>{_ROLE_WORDS})$")
_ROLE_PAREN_RE = re.compile(
    r"^(?P<role>[^（(\s]{1,20})[（(](?P<name>[^）)]{1,20}?)(?:君|くん|さん|氏)?[）)]$"
)
_KUN_RE = re.compile(r"^(?P<name>[^\s、。,（）()]{1,10})(?:君|氏)$")


@dataclass
class Block:
    """One line of ParsedDocument.text: `prefix` + `text`; remarks carry their own fields."""

    text: str
    prefix: str = ""
    pages: set[int] = field(default_factory=set)
    is_remark: bool = False
    speaker: str | None = None
    role: str | None = None
    topic: str | None = None
    topic_number: int | None = None
    parts: list[str] = field(default_factory=list)


@dataclass
class Body:
    blocks: list[Block]
    topics: list[tuple[int | None, str, str]]  # (number, title, kind)


def _topic_number(num: str | None) -> int | None:
    if not num:
        return None
    return _CIRCLED.get(num) or parse_number(num)


def parse_speaker(label: str) -> tuple[str | None, str | None] | None:
    """(speaker, role) for a speaker label such as 青木委員 / 議長（大島理森君） / 事務局; None if not a label."""
    if _ROLE_ONLY_RE.match(label):
        return None, label
    m = _ROLE_PAREN_RE.match(label)
    if m:
        return m["name"], m["role"]
    if _OFFICE_RE.match(label):
        return None, label
    m = _NAME_ROLE_RE.match(label)
    if m:
        return m["name"], m["role"]
    m = _KUN_RE.match(label)
    if m:
        return m["name"], None
    return None


def _split_bullet(text: str) -> tuple[str, str | None, str | None, str]:
    """(prefix, speaker, role, remark text) of a ○ line."""
    bullet, rest = text[0], text[1:]
    if rest[:1] in (" ", "\u3000") or not rest:
        return bullet + " ", None, None, rest.strip(" \u3000")
    m = re.match(r"^(?P<label>\S{1,30}?)(?:[\s\u3000]+|$)(?P<rest>.*)$", rest)
    if m:
        found = parse_speaker(m["label"])
        if found is not None:
            return f"{bullet}{m['label']}\u3000", found[0], found[1], m["rest"].strip(" \u3000")
    return bullet + " ", None, None, rest.strip(" \u3000")


def _heading(lines: list[Line], index: int) -> tuple[int, tuple[int | None, str, str]] | None:
    """(lines consumed, topic) when a heading starts at lines[index]."""
    text = lines[index].text
    if text.startswith("《"):
        joined, used = text, 1
        while "》" not in joined and used < 4 and index + used < len(lines):
            joined = join_lines([joined, lines[index + used].text])
            used += 1
        m = _ISSUE_RE.match(joined)
        if m:
            return used, (_topic_number(m["num"]), m["title"], "issue")
        return None
    m = _SECTION_RE.match(text)
    if m and not text.endswith("。"):
        return 1, (_topic_number(m["num"]), m["title"].strip(), "section")
    m = _BRACKET_RE.match(text)
    if m:
        inner = m["title"].strip()
        num = re.search(r"[0-9０-９]+|[①-⑳]", inner)
        return 1, (_topic_number(num[0]) if num else None, m["rest"].strip() or inner, "section")
    return None


def parse_body(lines: list[Line]) -> Body:
    blocks: list[Block] = []
    topics: list[tuple[int | None, str, str]] = []
    issue: tuple[int | None, str] | None = None
    section: tuple[int | None, str] | None = None
    open_block: Block | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        text = line.text
        heading = _heading(lines, index)
        if heading is not None:
            used, topic = heading
            topics.append(topic)
            if topic[2] == "issue":
                issue = (topic[0], topic[1])
            else:
                section, issue = (topic[0], topic[1]), None
            pages = {ln.page for ln in lines[index : index + used]}
            blocks.append(
                Block(text=join_lines([ln.text for ln in lines[index : index + used]]), pages=pages)
            )
            open_block = None
            index += used
            continue
        if text.startswith(BULLETS):
            prefix, speaker, role, body = _split_bullet(text)
            current = issue or section
            open_block = Block(
                text="",
                prefix=prefix,
                pages={line.page},
                is_remark=True,
                speaker=speaker,
                role=role,
                topic=current[1] if current else None,
                topic_number=current[0] if current else None,
                parts=[body] if body else [],
            )
            blocks.append(open_block)
        elif _END_RE.match(text) or _SEPARATOR_RE.match(text) or _NOTE_RE.match(text):
            blocks.append(Block(text=text, pages={line.page}))
            open_block = None
        elif open_block is not None:
            if line.indented and open_block.parts:
                open_block.parts.append("\n" + text)
            else:
                open_block.parts.append(text)
            open_block.pages.add(line.page)
        else:
            blocks.append(Block(text=text, pages={line.page}))
        index += 1
    for block in blocks:
        if block.is_remark:
            block.text = _join_parts(block.parts)
    return Body(blocks=blocks, topics=topics)


def _join_parts(parts: list[str]) -> str:
    paragraphs: list[list[str]] = [[]]
    for part in parts:
        if part.startswith("\n"):
            paragraphs.append([part[1:]])
        else:
            paragraphs[-1].append(part)
    return "\n".join(join_lines(p) for p in paragraphs if p)
