"""OCR for PDF pages without a text layer: pypdfium2 renders the page, tesseract (jpn) reads it.

Needs Debian's ``tesseract-ocr`` and ``tesseract-ocr-jpn`` and the ``ocr`` extra (pytesseract, pypdfium2);
`ocr_available()` says whether all are there. Tesseract puts spaces between Japanese characters; they
are taken out, except the one after a speaker label (「○ 東 岡 計 画 官 そ れ で は」 → 「○東岡計画官　それでは」)
so that the remark parser still sees the label.
"""

from __future__ import annotations

import functools
import logging
import re
import shutil

from rag.parse.speakers import MARKERS, resolve_label

log = logging.getLogger(__name__)
INSTALL_HINT = (
    "install Debian's tesseract-ocr and tesseract-ocr-jpn and `pip install 'minutes-rag[ocr]'` "
    "(pytesseract, pypdfium2) to OCR it here"
)
_DPI = 200
_WIDE = r"[^\x00-\x7f]"
_GAP_RE = re.compile(rf"(?<={_WIDE})[ \t]+(?={_WIDE})|(?<={_WIDE})[ \t]+(?=[0-9A-Za-z])|(?<=[0-9])[ \t]+(?={_WIDE}|[0-9])")
_MARKER_LOOKALIKE = re.compile(r"^[O○〇◯0oＯ◎](?=\s*[^\x00-\x7f])")


@functools.lru_cache(maxsize=1)
def ocr_available() -> bool:
    """True when tesseract with Japanese data, pytesseract and pypdfium2 are installed."""
    if shutil.which("tesseract") is None:
        return False
    try:
        import pypdfium2  # noqa: F401
        import pytesseract
    except ImportError:
        return False
    try:
        return "jpn" in pytesseract.get_languages(config="")
    except Exception:  # noqa: BLE001 - a broken tesseract install counts as missing
        return False


def _label_line(tokens: list[str]) -> str | None:
    """「○ 東 岡 計 画 官 そ れ で は」 tokens → 「○東岡計画官　それでは」 when a prefix of them is a label."""
    best = 0
    for end in range(2, min(len(tokens) - 1, 12) + 1):
        if resolve_label("".join(tokens[1:end])) is not None:
            best = end  # the longest label of a run: 髙橋(清) then 髙橋(清)委員
        elif best:
            break
    if not best:
        return None
    rest = _GAP_RE.sub("", " ".join(tokens[best:]))
    return f"{tokens[0]}{''.join(tokens[1:best])}\u3000{rest}"


def tidy(text: str) -> str:
    """Tesseract's Japanese output as the parser expects text: no spaces between characters."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        line = _MARKER_LOOKALIKE.sub("○", line)
        if line[:1] in MARKERS:
            tokens = [line[0], *line[1:].split()]
            joined = _label_line(tokens)
            if joined is not None:
                lines.append(joined)
                continue
        lines.append(_GAP_RE.sub("", line))
    return "\n".join(lines) + "\n"


def ocr_pdf_pages(data: bytes, indices: list[int]) -> dict[int, str]:
    """{0-based page index: OCR text} for the given pages."""
    import pypdfium2
    import pytesseract

    found: dict[int, str] = {}
    pdf = pypdfium2.PdfDocument(data)
    try:
        for index in indices:
            image = pdf[index].render(scale=_DPI / 72).to_pil().convert("L")
            text = pytesseract.image_to_string(image, lang="jpn", config="--psm 6")
            found[index] = tidy(text)
            log.debug("OCR page %d: %d characters", index + 1, len(found[index]))
    finally:
        pdf.close()
    return found
