"""Upload, list, show and delete documents over HTTP: status codes, per-file reports, keys, bad files."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_server import API_KEY, make_settings, serve
from pypdf import PdfWriter

SEED_ID = "000_1e1e3ba0d71176a4"
KEY = {"X-API-Key": API_KEY}
MINI = "架空会議（第１回）議事要旨\n\n１ 日時\n令和６年４月１日（月）午前１０時から正午まで\n\n４ 議事概要\n○ 道路の補修は予算が足りない。\n○ 橋の点検を優先するべきだ。\n"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    settings = make_settings(tmp_path_factory.mktemp("docs-index"))
    with serve(settings) as base, httpx.Client(base_url=base, timeout=120) as http:
        yield http


def upload(client: httpx.Client, *files: tuple[str, bytes], headers: dict[str, str] | None = None) -> httpx.Response:
    return client.post("/documents", files=[("files", f) for f in files], headers=KEY if headers is None else headers)


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("secret")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_upload_lifecycle(client: httpx.Client, seed_txt: Path) -> None:
    data = seed_txt.read_bytes()
    r = upload(client, (f"{SEED_ID}.txt", data))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["files"] == [
        {"file": f"{SEED_ID}.txt", "document": SEED_ID, "status": "added", "http_status": 201, "reason": None}
    ]
    assert body["added"] == [SEED_ID] and body["remarks"] == 23 and body["failed"] == {}

    r = upload(client, (f"{SEED_ID}.txt", data))
    assert r.status_code == 200, r.text
    assert r.json()["files"][0]["status"] == "unchanged" and r.json()["unchanged"] == [SEED_ID]

    r = upload(client, (f"{SEED_ID}.txt", data + "○ 追加の発言で内容を変えた。\n".encode()))
    assert r.status_code == 201, r.text
    assert r.json()["files"][0]["status"] == "replaced" and r.json()["replaced"] == [SEED_ID]

    docs = client.get("/documents").json()
    assert [d["document"] for d in docs] == [SEED_ID]
    assert docs[0]["title"] == "官民技術協力に関する検討会合（第１回）議事要旨" and docs[0]["remarks"] == 24

    doc = client.get(f"/documents/{SEED_ID}").json()
    assert doc["document"] == SEED_ID and doc["meeting"]["session"] == 1 and doc["meeting"]["date"] == "2021-12-09"
    assert len(doc["remarks"]) == 24 and doc["remarks"][-1]["text"] == "追加の発言で内容を変えた。"

    meetings = client.get("/meetings").json()
    assert meetings == [
        {"document": SEED_ID, "title": "官民技術協力に関する検討会合（第１回）議事要旨", "body": "官民技術協力に関する検討会合",
         "session": 1, "date": "2021-12-09", "remarks": 24}
    ]  # fmt: skip
    facets = client.get("/facets").json()
    assert facets["bodies"] == ["官民技術協力に関する検討会合"] and facets["dates"] == ["2021-12-09"]
    assert facets["documents"] == [SEED_ID]


def test_pdf_upload_and_delete(client: httpx.Client, seed_pdf: Path) -> None:
    r = upload(client, ("seed_copy.pdf", seed_pdf.read_bytes()))
    assert r.status_code == 201, r.text
    assert r.json()["files"][0]["document"] == "seed_copy"
    doc = client.get("/documents/seed_copy").json()
    assert doc["format"] == "pdf" and max(p for rm in doc["remarks"] for p in rm["pages"]) > 1

    hits = client.post("/search", json={"question": "研究開発", "filters": {"document": "seed_copy"}}).json()["hits"]
    assert hits and {h["citation"]["document"] for h in hits} == {"seed_copy"}

    assert client.delete("/documents/seed_copy").status_code == 401
    r = client.delete("/documents/seed_copy", headers=KEY)
    assert r.status_code == 200 and r.json() == {"document": "seed_copy", "deleted": True}
    assert client.get("/documents/seed_copy").status_code == 404
    hits = client.post("/search", json={"question": "研究開発", "filters": {"document": "seed_copy"}}).json()["hits"]
    assert hits == []
    r = client.delete("/documents/seed_copy", headers=KEY)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_bearer_token_is_accepted(client: httpx.Client) -> None:
    r = upload(client, ("bearer_doc.md", MINI.encode()), headers={"Authorization": f"Bearer {API_KEY}"})
    assert r.status_code == 201, r.text
    assert r.json()["files"][0]["document"] == "bearer_doc"


def test_mixed_upload_reports_each_file(client: httpx.Client) -> None:
    r = upload(client, ("mixed_ok.txt", MINI.encode()), ("notes.xlsx", b"PK\x03\x04"))
    assert r.status_code == 201, r.text
    files = {f["file"]: f for f in r.json()["files"]}
    assert files["mixed_ok.txt"]["status"] == "added"
    assert files["notes.xlsx"]["status"] == "failed" and files["notes.xlsx"]["http_status"] == 415
    assert r.json()["failed"] == {
        "notes.xlsx": "unsupported file type '.xlsx': upload one of .pdf, .txt, .md, .text, .json, .html, .htm, .docx"
    }


FAILING_UPLOADS = [
    ("notes.xlsx", b"PK\x03\x04", 415, "unsupported_file_type", "unsupported file type '.xlsx'"),
    ("noext", b"hello", 415, "unsupported_file_type", "unsupported file type 'noext'"),
    ("big.txt", b"a" * (1024 * 1024 + 1), 413, "file_too_large", "larger than the 1 MB limit"),
    ("broken.pdf", b"%PDF-1.4\nnot really a pdf\n%%EOF", 422, "unparseable_file", "the PDF is corrupt"),
    ("locked.pdf", None, 422, "unparseable_file", "the PDF is encrypted"),
    ("latin.txt", bytes(range(0x80, 0x100)) * 4, 422, "unparseable_file", "undecodable text"),
    ("plain.txt", b"just some text\nwithout remarks\n", 422, "unparseable_file", "not meeting minutes"),
    ("empty.txt", b"", 422, "unparseable_file", "empty"),
]


@pytest.mark.parametrize(("name", "data", "status", "code", "reason"), FAILING_UPLOADS)
def test_failed_upload_status(
    client: httpx.Client, name: str, data: bytes | None, status: int, code: str, reason: str
) -> None:
    r = upload(client, (name, encrypted_pdf() if data is None else data))
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code
    assert reason in error["message"]
    (entry,) = error["details"]["files"]
    assert entry["status"] == "failed" and entry["http_status"] == status and reason in entry["reason"]


def test_all_failed_with_different_reasons_is_422(client: httpx.Client) -> None:
    r = upload(client, ("a.xlsx", b"x"), ("b.pdf", b"%PDF-1.4 junk"))
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "upload_failed"
    assert [f["http_status"] for f in r.json()["error"]["details"]["files"]] == [415, 422]


def test_upload_without_files_or_not_multipart(client: httpx.Client) -> None:
    r = client.post("/documents", data={"note": "x"}, files={"other": ("", b"")}, headers=KEY)
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    assert "No file in the request" in r.json()["error"]["message"]
    r = client.post("/documents", data={"note": "x"}, headers={**KEY, "Content-Type": "multipart/form-data; boundary=x"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    r = client.post("/documents", json={"files": []}, headers=KEY)
    assert r.status_code == 415 and "multipart/form-data" in r.json()["error"]["message"]


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic eDp5"}])
def test_missing_or_wrong_key_is_401(client: httpx.Client, headers: dict[str, str]) -> None:
    r = upload(client, ("keyless.txt", MINI.encode()), headers=headers)
    assert r.status_code == 401, r.text
    assert r.json()["error"]["code"] == "unauthorized"
    assert r.headers["www-authenticate"] == "Bearer"
    assert client.get("/documents/keyless").status_code == 404


def test_unknown_document_is_404(client: httpx.Client) -> None:
    r = client.get("/documents/does-not-exist")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    assert "does-not-exist" in r.json()["error"]["message"]
