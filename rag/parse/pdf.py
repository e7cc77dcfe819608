"""PDF bytes → one text string per page (pypdf), with one-line reasons for every refusal."""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PyPdfError

from rag.errors import ParseError
from rag.parse.ocr import INSTALL_HINT, ocr_available, ocr_pdf_pages

log = logging.getLogger(__name__)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


def extract_pages(name: str, data: bytes) -> list[str]:
    """Text of each page (see `extract_pages_ocr`, whose page notes this drops)."""
    return extract_pages_ocr(name, data)[0]


def extract_pages_ocr(name: str, data: bytes) -> tuple[list[str], tuple[int, ...], tuple[int, ...]]:
    """(page texts, 1-based OCR'd pages, 1-based pages that gave no text).

    Pages without a text layer are OCR'd when tesseract is installed (rag.parse.ocr).
    """
    pages = _text_layer(name, data)
    empty = [i for i, page in enumerate(pages) if not page.strip()]
    ocr_done: list[int] = []
    if empty and ocr_available():
        try:
            found = ocr_pdf_pages(data, empty)
        except Exception as exc:  # noqa: BLE001 - pdfium/tesseract failures become one clear reason
            raise ParseError(f"{name}: OCR of the scanned pages failed ({_short(exc)})") from exc
        for index, text in found.items():
            if text.strip():
                pages[index] = text
                ocr_done.append(index)
    elif empty and len(empty) == len(pages):
        raise ParseError(
            f"{name}: the PDF has no text layer (image-only or scanned, {len(pages)} page(s)); run OCR on it "
            f"first, or {INSTALL_HINT}"
        )
    if not any(page.strip() for page in pages):
        raise ParseError(
            f"{name}: the PDF has no text layer (image-only or scanned, {len(pages)} page(s)) and OCR read no "
            "text from it; check the scan"
        )
    still_empty = tuple(i + 1 for i, page in enumerate(pages) if not page.strip())
    return pages, tuple(i + 1 for i in ocr_done), still_empty


def _text_layer(name: str, data: bytes) -> list[str]:
    """Text of each page, in order; raise ParseError("<name>: <reason>") for unusable PDFs.

    Refused: empty files, bytes without a %PDF header, truncated files (no %%EOF at the end),
    unreadable structures, encrypted PDFs that need a password and PDFs with no pages.
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
    log.debug("%s: extracted %d pages", name, len(pages))
    return pages
