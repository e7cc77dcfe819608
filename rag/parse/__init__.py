"""Minutes (PDF or text) → ParsedDocument: meeting header, topics and ○ remarks with pages and offsets.

Public API:
- `parse_file(path)`, `parse_bytes(name, data)`: ``.pdf`` goes through pypdf (OCR for pages without a
  text layer when tesseract is installed), ``.docx`` through python-docx, ``.html``/``.htm`` (or bytes that
  start like HTML) through html.parser, ``.json`` (or bytes holding speechRecord/meetingRecord) is the
  Diet's API (kokkai.py); anything else is text (UTF-8 / CP932 / guessed Japanese encodings);
  `document` is the file name without extension.
- `parse_text(text, document=, source=, sha256=, page_texts=None)`: the pure parser; pages come from
  `page_texts` when given, else from form feeds in `text`.
- `to_json(doc)`: a JSON-ready dict (meeting, topics, remarks, document, sha256, format, pages).
Every failure raises `rag.errors.ParseError` with a one-line message "<file name>: <reason>".
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from pathlib import Path
from typing import Any

from rag.errors import ParseError
from rag.parse import era
from rag.parse.clean import Line, clean_pages, join_lines
from rag.parse.decode import decode_text
from rag.parse.docx import extract_docx_pages
from rag.parse.header import is_body_start, is_key_line, parse_header
from rag.parse.html import decode_html, html_to_text, looks_like_html
from rag.parse.kokkai import looks_like_kokkai, parse_kokkai
from rag.parse.remarks import BULLETS, parse_body
from rag.parse.speakers import roster_of
from rag.types import ParsedDocument, Remark, Topic

__all__ = ["era", "parse_bytes", "parse_file", "parse_text", "to_json"]

log = logging.getLogger(__name__)
_TITLE_WORDS = ("議事要旨", "議事録", "議事概要", "会議録")


def _split_title(lines: list[Line]) -> tuple[str, int]:
    """(title, number of lines it used): the first line, plus a second one that completes it."""
    if not lines or lines[0].text.startswith(BULLETS) or is_key_line(lines[0].text):
        return "", 0
    first = lines[0].text
    if not any(w in first for w in _TITLE_WORDS):  # a cover page: 「第25回」「消費者教育推進会議」「議事録」
        for n in (3, 4):
            head = [ln.text for ln in lines[:n]]
            if (
                len(lines) >= n
                and any(w in head[-1] for w in _TITLE_WORDS)
                and all(len(t) <= 30 and not is_key_line(t) and not t.startswith(BULLETS) for t in head)
                and not any(w in t for t in head[:-1] for w in _TITLE_WORDS)
            ):
                return join_lines(head), n
    if len(lines) > 1 and not any(w in first for w in _TITLE_WORDS):
        second = lines[1].text
        if any(w in second for w in _TITLE_WORDS) and len(second) <= 30 and not is_key_line(second):
            return join_lines([first, second]), 2
    return first, 1


def _body_start(lines: list[Line], begin: int) -> int:
    """Index of the first body line: after the last 議事概要-style key before the first remark or 《heading》."""
    first_struct = next(
        (
            i
            for i in range(begin, len(lines))
            if lines[i].text.startswith((*BULLETS, "《")) and not is_key_line(lines[i].text)
        ),
        len(lines),
    )
    keys = [i for i in range(begin, first_struct) if is_body_start(lines[i].text)]
    if keys:
        return keys[-1] + 1
    # no 議事概要 key: the body starts after the last header key's values, at the first heading or remark
    for i in range(begin, first_struct):
        text = lines[i].text
        if text.startswith(("（", "(", "【")) and not any(
            is_key_line(lines[j].text) for j in range(i, first_struct)
        ):
            return i
    return first_struct


def parse_text(
    text: str,
    *,
    document: str,
    source: str,
    sha256: str,
    page_texts: list[str] | None = None,
) -> ParsedDocument:
    """Parse minutes text; raise ParseError when it holds no ○ remarks."""
    name = Path(source).name or document
    pages = page_texts if page_texts is not None else text.split("\f")
    lines = clean_pages(pages)
    if not lines:
        raise ParseError(f"{name}: the document is empty (no text)")
    title, used = _split_title(lines)
    start = _body_start(lines, used)
    first_marker = next(
        (i for i in range(used, len(lines)) if lines[i].text.startswith(BULLETS) and not is_key_line(lines[i].text)),
        start,
    )
    header_lines = [ln.text for ln in lines[used : max(start, first_marker)]]
    meeting = parse_header(title, header_lines, fallback_title=document)
    body = parse_body(lines[start:], roster=roster_of(meeting))
    remark_blocks = [b for b in body.blocks if b.is_remark and b.text]
    if not remark_blocks:
        raise ParseError(f"{name}: not meeting minutes (no remarks marked with ○ found)")

    pieces: list[str] = []
    offset = 0
    remarks: list[Remark] = []

    def emit(piece: str) -> int:
        nonlocal offset
        begin = offset
        pieces.append(piece + "\n")
        offset += len(piece) + 1
        return begin

    for line in lines[:start]:
        emit(line.text)
    for block in body.blocks:
        if block.is_remark and not block.text:
            emit(block.prefix.rstrip())
            continue
        begin = emit(block.prefix + block.text) + len(block.prefix)
        if block.is_remark:
            ordinal = len(remarks) + 1
            remarks.append(
                Remark(
                    id=f"{document}#{ordinal}",
                    ordinal=ordinal,
                    text=block.text,
                    topic=block.topic,
                    topic_number=block.topic_number,
                    speaker=block.speaker,
                    role=block.role,
                    pages=tuple(sorted(block.pages)),
                    start=begin,
                    end=begin + len(block.text),
                    directions=tuple(block.directions),
                )
            )
    topics = tuple(Topic(number=n, title=t, kind=k) for n, t, k in body.topics)
    log.debug("%s: %d remarks, %d topics", source, len(remarks), len(topics))
    return ParsedDocument(
        document=document,
        source=source,
        sha256=sha256,
        meeting=meeting,
        topics=topics,
        remarks=tuple(remarks),
        text="".join(pieces),
        format="text",
    )


def parse_bytes(name: str, data: bytes) -> ParsedDocument:
    """Parse the raw bytes of a file called `name` (``.pdf`` → pypdf, anything else → text)."""
    file_name = Path(name).name or name
    digest = hashlib.sha256(data).hexdigest()
    document = Path(file_name).stem
    if file_name.lower().endswith(".pdf"):
        from rag.parse.pdf import extract_pages_ocr  # pypdf loads only for PDFs (the search path imports era)

        pages, ocr_pages, empty_pages = extract_pages_ocr(file_name, data)
        doc = parse_text("\f".join(pages), document=document, source=name, sha256=digest, page_texts=pages)
        return dataclasses.replace(doc, format="pdf", ocr_pages=ocr_pages, empty_pages=empty_pages)
    lower = file_name.lower()
    if lower.endswith(".docx"):
        pages = extract_docx_pages(file_name, data)
        doc = parse_text("\f".join(pages), document=document, source=name, sha256=digest, page_texts=pages)
        return dataclasses.replace(doc, format="docx")
    if lower.endswith((".html", ".htm")) or looks_like_html(data):
        html = decode_html(data) or decode_text(file_name, data)
        doc = parse_text(html_to_text(html), document=document, source=name, sha256=digest)
        return dataclasses.replace(doc, format="html")
    if lower.endswith(".json") or looks_like_kokkai(data):
        return parse_kokkai(name, data, document=document, digest=digest)
    text = decode_text(file_name, data)
    return parse_text(text, document=document, source=name, sha256=digest)


def parse_file(path: Path) -> ParsedDocument:
    """Read and parse one minutes file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"{path.name}: cannot read the file ({exc.strerror or exc})") from exc
    doc = parse_bytes(path.name, data)
    return dataclasses.replace(doc, source=str(path))


def to_json(doc: ParsedDocument) -> dict[str, Any]:
    """JSON-ready dict of a parsed document (tuples become lists)."""
    meeting = dataclasses.asdict(doc.meeting)
    meeting["attendees"] = [dataclasses.asdict(a) for a in doc.meeting.attendees]
    meeting["absentees"] = [dataclasses.asdict(a) for a in doc.meeting.absentees]
    meeting["agenda"] = list(doc.meeting.agenda)
    return {
        "document": doc.document,
        "source": doc.source,
        "sha256": doc.sha256,
        "format": doc.format,
        "meeting": meeting,
        "topics": [dataclasses.asdict(t) for t in doc.topics],
        "remarks": [
            {**dataclasses.asdict(r), "pages": list(r.pages), "directions": list(r.directions)} for r in doc.remarks
        ],
        "ocr_pages": list(doc.ocr_pages),
        "empty_pages": list(doc.empty_pages),
    }
