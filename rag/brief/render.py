"""One entry point for every brief format, with the file names and media types the faces need."""

from __future__ import annotations

from pathlib import Path

from rag.brief.build import EvidencePack
from rag.brief.render_docx import render_docx
from rag.brief.render_json import render_json
from rag.brief.render_md import render_markdown
from rag.errors import InputError

FORMATS = ("md", "json", "docx")
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_SUFFIXES = {".md": "md", ".markdown": "md", ".json": "json", ".docx": "docx"}


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InputError(f"Unknown brief format {fmt!r}: use one of {', '.join(FORMATS)}.")
    return fmt


def format_for_path(path: Path) -> str:
    """The format an output file name asks for (.md/.markdown, .json, .docx); InputError for others."""
    fmt = _SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise InputError(
            f"Cannot tell the brief format from {path}: name it .md, .json or .docx, or give the format."
        )
    return fmt


def render(pack: EvidencePack, fmt: str) -> bytes:
    """The pack as a file: "md" (UTF-8 Markdown), "json" or "docx"."""
    check_format(fmt)
    if fmt == "md":
        return render_markdown(pack).encode("utf-8")
    if fmt == "json":
        return render_json(pack)
    return render_docx(pack)
