"""Evidence pack → Markdown: questions, evidence grouped by meeting and topic, quotes as blockquotes, sources."""

from __future__ import annotations

import re

from rag.brief.build import (
    Evidence,
    EvidenceGroup,
    EvidencePack,
    EvidenceUse,
    QuestionEvidence,
    highlight_segments,
    highlighted_sentences,
)
from rag.brief.labels import Labels, get_labels
from rag.types import Highlight

# Python-Markdown's backslash escapes for emphasis, code and links (with "[" and "]" escaped no link can form,
# so parentheses stay as they are); "<" and "&" become entities, a leading "=" (setext underline) too
_INLINE = re.compile(r"([\\`*_\[\]])")
_LINE_START = re.compile(r"^(\s*)([#>+\-=]|\d+(?=[.)]))")


def escape(text: str) -> str:
    """Escape Markdown syntax so that the rendered text is exactly ``text``."""
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    text = _INLINE.sub(r"\\\1", text)
    return "\n".join(_escape_line_start(line) for line in text.split("\n"))


def _escape_line_start(line: str) -> str:
    match = _LINE_START.match(line)
    if not match:
        return line
    lead, mark = match.group(1), match.group(2)
    if mark.isdigit():  # "1." would start an ordered list: escape the dot
        rest = line[match.end() :]
        return f"{lead}{mark}\\{rest}"
    if mark == "=":
        return f"{lead}&#61;{line[match.end() :]}"
    return f"{lead}\\{mark}{line[match.end() :]}"


def _bold(segment: str) -> str:
    """Bold a highlighted segment line by line (emphasis cannot span a line break); whitespace stays outside."""
    out = []
    for line in segment.split("\n"):
        core = line.strip()
        if not core:
            out.append(line)
            continue
        left = line[: len(line) - len(line.lstrip())]
        right = line[len(line.rstrip()) :]
        out.append(f"{left}**{escape(core)}**{right}")
    return "\n".join(out)


def _quote(text: str, highlights: tuple[Highlight, ...]) -> str:
    body = "".join(
        _bold(seg) if marked else escape(seg) for seg, marked in highlight_segments(text, highlights)
    )
    # hard line breaks keep the remark's own lines; "> " keeps every line inside the blockquote; leading
    # blanks would turn a line into a code block and HTML drops them anyway
    return "\n".join(f"> {line.strip()}  " if line.strip() else ">" for line in body.split("\n")).rstrip()


def _citation_line(item: Evidence, use: EvidenceUse, lb: Labels) -> str:
    c = item.citation
    details = [lb.confidence_text(use.confidence), lb.speaker_text(c.speaker), lb.pages(c.pages)]
    parts = [f"**\\[{item.ref}\\]**", *(escape(d) for d in details if d), f"`{item.remark_id}`"]
    return " · ".join(parts)


def _see_line(item: Evidence, use: EvidenceUse, lb: Labels) -> str:
    sentences = highlighted_sentences(item.text, use.highlights)
    return escape(lb.reference(item.ref, use.confidence)) + lb.quoted([escape(x) for x in sentences])


def _context(item: Evidence, lb: Labels) -> list[str]:
    """The neighbouring remarks of a quote, as a list under a "context, not evidence" caption."""
    if not item.context:
        return []
    lines = [f"*{escape(lb.context)}* (`{item.ref}`)", ""]
    for c in item.context:
        text = " ".join(c.text.split())
        lines.append(f"- {escape(lb.context_line(c.position, c.speaker, c.role, c.pages))} `{c.remark_id}`: {escape(text)}")
    return [*lines, ""]


def _group(group: EvidenceGroup, pack: EvidencePack, lb: Labels, *, new_meeting: bool) -> list[str]:
    lines = (
        [f"### {escape(lb.meeting_line(group.title, group.session, group.date))}", ""] if new_meeting else []
    )
    lines += [f"#### {lb.topic}: {escape(lb.topic_text(group.topic))}", ""]
    for use in group.uses:
        item = pack.get(use.ref)
        if use.first:
            lines += [_citation_line(item, use, lb), "", _quote(item.text, use.highlights), ""]
            lines += _context(item, lb)
        else:
            lines += [_see_line(item, use, lb), ""]
    return lines


def _question(q: QuestionEvidence, pack: EvidencePack, lb: Labels) -> list[str]:
    lines = [f"## {escape(lb.question_heading(q.number, q.question))}", ""]
    if not q.has_evidence:
        return [*lines, f"*{lb.no_evidence}*", ""]
    previous: str | None = None
    for group in q.groups:
        lines += _group(group, pack, lb, new_meeting=group.document != previous)
        previous = group.document
    return lines


def render_markdown(pack: EvidencePack) -> str:
    lb = get_labels(pack.lang)
    lines = [
        f"# {lb.title}",
        "",
        lb.summary.format(questions=len(pack.questions), answered=pack.answered, evidence=len(pack.evidence)),
        "",
    ]
    for q in pack.questions:
        lines += _question(q, pack, lb)
    lines += [f"## {lb.sources}", ""]
    if not pack.sources:
        lines.append(f"*{lb.no_evidence}*")
    for s in pack.sources:
        lines.append(
            f"- {escape(lb.meeting_line(s.title, s.session, s.date))} — {lb.document} `{s.document}`"
        )
    return "\n".join(lines).rstrip() + "\n"
