"""Scanned PDFs: pages without a text layer are OCR'd (tesseract jpn) and marked as such."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from parse_fixtures import make_parse_fixtures

from rag.parse import parse_file
from rag.parse.ocr import ocr_available, tidy


def test_tidy_keeps_the_label_apart_and_joins_the_rest() -> None:
    assert tidy("O 東 岡 計 画 官 そ れ で は 、 始 め ま す 。\n") == "○東岡計画官\u3000それでは、始めます。\n"
    assert tidy("○ 髙橋 (清) 委員 ありがとう ございます\n") == "○髙橋(清)委員\u3000ありがとうございます\n"
    assert tidy("第 1 1 3 回 の 会 議\n") == "第113回の会議\n"


@pytest.mark.slow
def test_scanned_pages_parse_through_ocr(shared_dir: Path, tmp_path: Path) -> None:
    if not ocr_available() or shutil.which("pdftoppm") is None:
        pytest.fail("OCR needs tesseract-ocr, tesseract-ocr-jpn and poppler-utils (make ocr-deps) and the [ocr] extra")
    tei = shared_dir / "real" / "env_chuokankyo_sogoseisaku_113_gijiroku.tei.xml"
    files = make_parse_fixtures.write_tei_fixtures(tmp_path, tei)
    text_pdf, scan_pdf = make_parse_fixtures.write_scanned(files["tei_circle.pdf"], tmp_path, first=20, count=3)
    layer, scan = parse_file(text_pdf), parse_file(scan_pdf)
    assert scan.ocr_pages == (1, 2, 3) and layer.ocr_pages == ()
    assert abs(len(scan.remarks) - len(layer.remarks)) <= 0.2 * len(layer.remarks)
    want = [(r.speaker, r.role) for r in layer.remarks]
    got = [(r.speaker, r.role) for r in scan.remarks]
    found = sum(b.size for b in difflib.SequenceMatcher(a=want, b=got, autojunk=False).get_matching_blocks())
    assert found >= 0.7 * len(want)


def test_without_tesseract_the_error_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from reportlab.pdfgen import canvas

    from rag.errors import ParseError
    from rag.parse import parse_bytes
    from rag.parse import pdf as pdf_module

    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.rect(72, 72, 300, 400, fill=1)
    page.showPage()
    page.save()
    monkeypatch.setattr(pdf_module, "ocr_available", lambda: False)
    with pytest.raises(ParseError, match="no text layer.*run OCR on it first.*tesseract-ocr-jpn"):
        parse_bytes("scan.pdf", out.getvalue())
