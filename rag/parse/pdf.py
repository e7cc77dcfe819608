"""PDF bytes → one text string per page (pypdf), with one-line reasons for every refusal."""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PyPdfError

from rag.errors import ParseError

log = logging.getLogger(__name__)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


def extract_pages(name: str, data: bytes) -> list[str]:
    """Text of each page, in order; raise ParseError("<name>: <reason>") for unusable PDFs.

    Refused: empty files, bytes without a %PDF header, truncated files (no %%EOF at the end),
    unreadable structures, encrypted PDFs that need a password, PDFs with no pages, and PDFs
    without a text layer (scanned images).
    """
    if not data:
        raise ParseError(f"{name}: the file is empty (0 bytes)")
    if b"%PDF-" not in data[:1024]:
        raise ParseError(f"{name}: the PDF is corrupt (no %PDF header); export the file again")
    if b"%%EOF" not in data[-2048:]:
        raise ParseError(
            f"{name}: the PDF is truncated (no %%EOF marker at the end); download or copy it again"
        )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise ParseError(f"{name}: the PDF is corrupt ({_short(exc)}); export the file again") from exc
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except (DependencyError, NotImplementedError) as exc:
            raise ParseError(
                f"{name}: the PDF is encrypted ({_short(exc)}); save an unencrypted copy"
            ) from exc
        if not opened:
            raise ParseError(f"{name}: the PDF is encrypted (password required); save an unencrypted copy")
    pages: list[str] = []
    try:
        count = len(reader.pages)
        for index in range(count):
            pages.append(reader.pages[index].extract_text() or "")
    except FileNotDecryptedError as exc:
        raise ParseError(f"{name}: the PDF is encrypted ({_short(exc)}); save an unencrypted copy") from exc
    except Exception as exc:  # pypdf raises many kinds of errors on damaged content streams
        raise ParseError(f"{name}: the PDF is corrupt ({_short(exc)}); export the file again") from exc
    if not pages:
        raise ParseError(f"{name}: the PDF has no pages")
    if not any(page.strip() for page in pages):
        raise ParseError(
            f"{name}: the PDF has no text layer (image-only or scanned, {len(pages)} page(s)); run OCR on it first"
        )
    log.debug("%s: extracted %d pages", name, len(pages))
    return pages
