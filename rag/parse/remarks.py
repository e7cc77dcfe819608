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
from rag.parse.noise import is_direction_line, is_separator, split_directions
from rag.parse.speakers import MARKERS, ROLE_WORDS, WEAK_MARKERS, Roster, resolve_label, split_label

_CIRCLED = {chr(0x2460 + i): i + 1 for i in range(20)}
BULLETS = MARKERS
_ISSUE_RE = re.compile(
    r"^《\s*(?P<label>論点|議題|テーマ|課題)?\s*(?P<num>[①-⑳]|[0-9０-９]+|[一二三四五六七八九十]+)?"
    r"\s*[:：.．、]?\s*(?P<title>.*?)\s*》$"
)
_SECTION_RE = re.compile(
    r"^[（(]\s*(?P<num>[0-9０-９]+|[一二三四五六七八九十]+)\s*[）)]\s*(?P<title>\S.{0,38})$"
)
_BRACKET_RE = re.compile(r"^【(?P<title>[^】]{1,40})】(?P<rest>.{0,30})$")
_END_RE = re.compile(
    r"^(?:以\s*上|[（(]?(?:午前|午後)?\s*[0-9０-９一二三四五六七八九十]{1,3}\s*時\s*[0-9０-９一二三四五六七八九十]{0,3}\s*分?"
    r"\s*(?:閉会|散会|休憩|終了|閉議)[）)]?)$"
)
_SEPARATOR_RE = re.compile(r"^[―─━\-－＿_=＝*＊・…]{3,}$")
_NOTE_RE = re.compile(r"^(?:※|[（(](?:文責|速報|未定稿|敬称略))")
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
    directions: list[str] = field(default_factory=list)


@dataclass
class Body:
    blocks: list[Block]
    topics: list[tuple[int | None, str, str]]  # (number, title, kind)


def _topic_number(num: str | None) -> int | None:
    if not num:
        return None
    return _CIRCLED.get(num) or parse_number(num)


def parse_speaker(label: str, roster: Roster | None = None) -> tuple[str | None, str | None] | None:
    """(speaker, role) for a speaker label such as 青木委員 / 議長（大島理森君） / 事務局; None if not a label."""
    return resolve_label(label, roster)


@dataclass
class _Labels:
    """What the document tells about its labels: the roster, labels seen, and whether it is speaker style."""

    roster: Roster | None = None
    known: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    speaker_style: bool = False


def _scan_labels(lines: list[Line], roster: Roster | None) -> _Labels:
    labels = _Labels(roster=roster)
    marked = resolved = 0
    for line in lines:
        text = line.text
        if not text.startswith(BULLETS):
            continue
        marked += 1
        split = split_label(text[1:])
        found = resolve_label(split[0], roster) if split is not None else None
        if split is not None and found is not None:
            resolved += 1
            labels.known.setdefault(split[0], found)
        elif _roster_prefix(text[1:], roster) is not None:
            resolved += 1
    labels.speaker_style = marked > 0 and resolved * 2 >= marked and resolved >= 2
    return labels


def _split_bullet(text: str, labels: _Labels | None = None) -> tuple[str, str | None, str | None, str] | None:
    """(prefix, speaker, role, remark text) of a marker line; None for a weak marker (◎/●) without a label."""
    labels = labels or _Labels()
    bullet, rest = text[0], text[1:]
    weak = bullet in WEAK_MARKERS
    split = split_label(rest)
    if split is not None:
        label, sep, body = split
        found = resolve_label(label, labels.roster)
        glued_roster = _roster_prefix(rest, labels.roster) if found is None else None
        if glued_roster is not None:
            label, body, found = glued_roster
        if found is None and labels.speaker_style:
            glued = _known_prefix(rest, labels)
            if glued is not None:
                label, body, found = glued
            elif sep and len(label) <= 20 and not weak and not re.search(r"[、。，．,！？!?「」『』]", label):
                found = (None, label)  # unresolved label in a speaker-style document: keep it whole as the role
        if found is not None:
            return f"{bullet}{label}\u3000", found[0], found[1], body.strip(" \u3000")
    if weak:
        return None
    return bullet + " ", None, None, rest.strip(" \u3000")


def _known_prefix(rest: str, labels: _Labels) -> tuple[str, str, tuple[str | None, str | None]] | None:
    """A label seen elsewhere in the document glued to its text (no space after it)."""
    for label in sorted(labels.known, key=len, reverse=True):
        if len(label) >= 2 and rest.startswith(label) and len(rest) > len(label):
            return label, rest[len(label) :], labels.known[label]
    return None


def _roster_prefix(rest: str, roster: Roster | None) -> tuple[str, str, tuple[str | None, str | None]] | None:
    """A roster name and a known role word glued to the text: 「○東会長ただいまから」."""
    if roster is None:
        return None
    for name in sorted(roster.names, key=len, reverse=True):
        if rest.startswith(name):
            after = rest[len(name) :]
            role = next((r for r in ROLE_WORDS if after.startswith(r) and len(after) > len(r)), None)
            if role:
                return name + role, after[len(role) :].lstrip(" \u3000:："), (name, role)
    return None


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


def parse_body(lines: list[Line], roster: Roster | None = None) -> Body:
    labels = _scan_labels(lines, roster)
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
        split = _split_bullet(text, labels) if text.startswith(BULLETS + WEAK_MARKERS) else None
        if split is not None:
            prefix, speaker, role, body = split
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
        elif open_block is not None and is_direction_line(text):
            open_block.directions.extend(split_directions(text)[1])
            open_block.pages.add(line.page)
        elif _END_RE.match(text) or _SEPARATOR_RE.match(text) or is_separator(text) or _NOTE_RE.match(text):
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
            text, directions = split_directions(_join_parts(block.parts))
            block.text = text
            block.directions = [*directions, *block.directions] if directions else block.directions
    return Body(blocks=blocks, topics=topics)


def _join_parts(parts: list[str]) -> str:
    paragraphs: list[list[str]] = [[]]
    for part in parts:
        if part.startswith("\n"):
            paragraphs.append([part[1:]])
        else:
            paragraphs[-1].append(part)
    return "\n".join(join_lines(p) for p in paragraphs if p)
