"""Render rag/samples/*.txt to PDFs next to them (reportlab's built-in CID font: no font file needed).

    .venv/bin/python tools/make_sample_pdfs.py [--check]

Lines are wrapped mid-sentence at a fixed width (never inside a Latin word or next to a space, so the
parser's line joining gives back the source text exactly), page 1 carries a 「資料」 label and every
page a 「- n -」 footer, so the PDFs exercise page-artifact removal and remarks crossing a page break.
With --check, each PDF is parsed back and its remark texts compared with the .txt's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "rag" / "samples"
FONT = "HeiseiMin-W3"
SIZE = 12.0
LEADING = 22.0
MARGIN_X = 80.0
MARGIN_TOP = 90.0
MARGIN_BOTTOM = 90.0
NO_LINE_START = set("、。，．）」』】》・ー")


def _breakable(text: str, index: int) -> bool:
    """May a line break fall between text[index-1] and text[index]?"""
    left, right = text[index - 1], text[index]
    if left == " " or right == " ":
        return False
    if left.isascii() and right.isascii():
        return False  # inside a Latin word or number
    return right not in NO_LINE_START


def wrap(text: str, width: float) -> list[str]:
    """Greedy wrap of one source line to `width` points."""
    lines: list[str] = []
    while pdfmetrics.stringWidth(text, FONT, SIZE) > width:
        cut = 1
        while cut < len(text) and pdfmetrics.stringWidth(text[: cut + 1], FONT, SIZE) <= width:
            cut += 1
        while cut > 1 and not _breakable(text, cut):
            cut -= 1
        if cut <= 1:
            break
        lines.append(text[:cut])
        text = text[cut:]
    lines.append(text)
    return lines


def render(source: Path, target: Path, label: str) -> int:
    """Write `target` from the text of `source`; returns the number of pages."""
    width, height = A4
    pdf = canvas.Canvas(str(target), pagesize=A4, invariant=True)
    pdf.setTitle(source.stem)
    page = 1
    y = height - MARGIN_TOP

    def footer() -> None:
        pdf.setFont(FONT, 9)
        pdf.drawCentredString(width / 2, MARGIN_BOTTOM / 2, f"- {page} -")

    pdf.setFont(FONT, 9)
    pdf.drawRightString(width - MARGIN_X, height - MARGIN_TOP / 2, label)
    for raw in source.read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            y -= LEADING / 2
            continue
        for line in wrap(raw, width - 2 * MARGIN_X):
            if y < MARGIN_BOTTOM:
                footer()
                pdf.showPage()
                page += 1
                y = height - MARGIN_TOP
            pdf.setFont(FONT, SIZE)
            pdf.drawString(MARGIN_X, y, line)
            y -= LEADING
    footer()
    pdf.showPage()
    pdf.save()
    return page


def check(txt: Path, pdf: Path) -> bool:
    from rag.parse import parse_file

    a, b = parse_file(txt), parse_file(pdf)
    same = [r.text for r in a.remarks] == [r.text for r in b.remarks]
    crossing = [r.ordinal for r in b.remarks if len(r.pages) > 1]
    print(f"{pdf.name}: {len(b.remarks)} remarks, same as .txt: {same}, crossing pages: {crossing}")  # noqa: T201
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="parse the PDFs back and compare with the .txt")
    args = parser.parse_args()
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    ok = True
    for number, txt in enumerate(sorted(SAMPLES.glob("*.txt")), start=1):
        pdf = txt.with_suffix(".pdf")
        pages = render(txt, pdf, label="資料" + chr(0xFF10 + number))
        print(f"wrote {pdf.relative_to(ROOT)} ({pages} pages)")  # noqa: T201
        if args.check:
            ok = check(txt, pdf) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
