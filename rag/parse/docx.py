"""Word (.docx) minutes → page texts (python-docx): paragraphs and table rows in body order.

A page break (``w:br w:type="page"`` or a paragraph's page-break-before) starts a new page; table cells
are joined with an ideographic space, one row per line. The text then goes through the same parser
as text files.
"""

from __future__ import annotations

import io
import zipfile

from rag.errors import ParseError

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _paragraph_text(element: object) -> tuple[str, bool]:
    """(text, page break inside) of one w:p element."""
    parts: list[str] = []
    brk = False
    for node in element.iter():  # type: ignore[attr-defined]
        tag = node.tag
        if tag == f"{_W}t":
            parts.append(node.text or "")
        elif tag == f"{_W}tab":
            parts.append("\u3000")
        elif tag == f"{_W}br":
            if node.get(f"{_W}type") == "page":
                brk = True
            else:
                parts.append("\n")
        elif tag == f"{_W}pageBreakBefore":
            brk = True
    return "".join(parts), brk


def extract_docx_pages(name: str, data: bytes) -> list[str]:
    """Text of each page of a .docx; raise ParseError for files Word cannot have written."""
    try:
        import docx
    except ImportError as exc:  # pragma: no cover - python-docx is a main dependency
        raise ImportError("python-docx is needed for .docx minutes: pip install python-docx") from exc
    if not data:
        raise ParseError(f"{name}: the file is empty (0 bytes)")
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ParseError(f"{name}: not a readable .docx ({exc}); save it again from Word") from exc
    pages: list[list[str]] = [[]]
    for element in document.element.body.iterchildren():
        if element.tag == f"{_W}p":
            text, brk = _paragraph_text(element)
            if brk and pages[-1]:
                pages.append([])
            pages[-1].append(text)
        elif element.tag == f"{_W}tbl":
            for row in element.iter(f"{_W}tr"):
                cells = ["".join(_paragraph_text(p)[0] for p in cell.iter(f"{_W}p")) for cell in row.iter(f"{_W}tc")]
                pages[-1].append("\u3000".join(c for c in cells if c))
    return ["\n".join(lines) + "\n" for lines in pages]
