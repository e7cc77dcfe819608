from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas

from rag.errors import ParseError
from rag.parse import parse_bytes, parse_file


def _encrypted(seed: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(seed)))
    writer.encrypt(user_password, owner_password="owner-secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _zero_pages() -> bytes:
    out = io.BytesIO()
    PdfWriter().write(out)
    return out.getvalue()


def _image_only() -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.rect(72, 72, 300, 400, fill=1)  # a drawing, like a scanned page: no text layer
    pdf.showPage()
    pdf.save()
    return out.getvalue()


@pytest.fixture(scope="module")
def seed_bytes(seed_pdf: Path) -> bytes:
    return seed_pdf.read_bytes()


def _reason(name: str, data: bytes) -> str:
    with pytest.raises(ParseError) as info:
        parse_bytes(name, data)
    message = str(info.value)
    assert message.startswith(f"{name}: ")
    assert "\n" not in message
    return message


def test_encrypted_pdf(seed_bytes: bytes) -> None:
    assert _reason("minutes.pdf", _encrypted(seed_bytes, "secret")).startswith(
        "minutes.pdf: the PDF is encrypted"
    )


def test_pdf_with_empty_user_password_opens(seed_bytes: bytes) -> None:
    doc = parse_bytes("minutes.pdf", _encrypted(seed_bytes, ""))
    assert len(doc.remarks) == 23 and doc.format == "pdf"


def test_truncated_pdf(seed_bytes: bytes) -> None:
    assert "truncated" in _reason("half.pdf", seed_bytes[: len(seed_bytes) // 2])


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n" + bytes(range(256)) * 20 + b"\n%%EOF\n",
        b"this is not a pdf at all, just text with a pdf name",
    ],
)
def test_corrupt_pdf(data: bytes) -> None:
    assert "the PDF is corrupt" in _reason("broken.pdf", data)


def test_corrupt_middle_of_real_pdf(seed_bytes: bytes) -> None:
    data = seed_bytes[:3000] + bytes(5000) + seed_bytes[8000:]
    assert "corrupt" in _reason("damaged.pdf", data)


def test_image_only_pdf() -> None:
    assert "no text layer" in _reason("scan.pdf", _image_only())


def test_zero_page_pdf() -> None:
    assert _reason("empty.pdf", _zero_pages()) == "empty.pdf: the PDF has no pages"


@pytest.mark.parametrize("name", ["zero.pdf", "zero.txt"])
def test_zero_byte_file(name: str) -> None:
    assert _reason(name, b"") == f"{name}: the file is empty (0 bytes)"


def test_binary_named_txt() -> None:
    png_like = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    assert _reason("x.txt", png_like).startswith("x.txt: binary data, not text")


def test_binary_without_nul_bytes() -> None:
    data = bytes([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08] * 50)
    assert _reason("x.txt", data).startswith("x.txt: binary data, not text")


def test_undecodable_text() -> None:
    data = ("○ テスト".encode() + b"\xff\xfe\xfd\x80\x81" * 40)[2:]  # not UTF-8, not CP932
    assert _reason("bad.txt", data).startswith("bad.txt: undecodable text")


def test_whitespace_only_text() -> None:
    assert _reason("blank.txt", b" \n\n\t\n") == "blank.txt: the document is empty (no text)"


def test_text_that_is_not_minutes() -> None:
    data = "買い物リスト\n牛乳\n卵\n令和３年１２月９日\n".encode()
    assert _reason("memo.txt", data) == "memo.txt: not meeting minutes (no remarks marked with ○ found)"


def test_parse_file_names_the_file_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("ただのメモです。\n", encoding="utf-8")
    with pytest.raises(ParseError, match=r"^notes\.txt: not meeting minutes"):
        parse_file(path)
    with pytest.raises(ParseError, match=r"^missing\.pdf: cannot read the file"):
        parse_file(tmp_path / "missing.pdf")
