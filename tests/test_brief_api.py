"""POST /brief against a fake service: the file, its headers, validation and the error shape."""

from __future__ import annotations

import io
import json
from typing import Any

import docx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from rag.errors import InputError
from rag.settings import Settings
from rag.types import Citation, Filters, Highlight, Hit, SearchResult

REMARK = "新興企業は初期の資金繰りに苦しんでいる。公共調達で最初の顧客になるべきだ。"


class FakeService:
    answer_threshold = 0.5
    ready = True
    model_id = "fake"

    def __init__(self) -> None:
        self.calls: list[tuple[str, int | None, Filters | None]] = []

    def search(self, question: str, *, k: int | None = None, filters: Filters | None = None) -> SearchResult:
        self.calls.append((question, k, filters))
        if "原子力" in question:
            return SearchResult(question, False, [], "fake")
        if "壊れ" in question:
            raise InputError("question has no searchable words; rephrase it")
        cit = Citation("m1", "架空技術会合（第１回）議事要旨", 1, "2021-12-09", "論点① 資金", None, (2,))
        return SearchResult(
            question, True, [Hit("m1#5", REMARK, 0.9, 0.9, cit, (Highlight("", 0, 20),))], "fake"
        )

    def info(self) -> dict[str, Any]:
        return {}


@pytest.fixture()
def client_and_service(tmp_path: Any) -> tuple[TestClient, FakeService]:
    service = FakeService()
    app = create_app(Settings(index_dir=tmp_path, ingest_samples_on_start=False), service=service)  # type: ignore[arg-type]
    app.state.rag.loaded = True  # no lifespan: the fake needs no loading
    return TestClient(app), service


def test_markdown_file(client_and_service: tuple[TestClient, FakeService]) -> None:
    client, service = client_and_service
    body = {"questions": [" 資金調達の課題は？ ", "原子力の議論は？"], "lang": "ja", "format": "md", "k": 3,
            "filters": {"date_from": "2021-01-01", "topic": "1"}}  # fmt: skip
    r = client.post("/brief", json=body)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/markdown; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="brief-ja.md"'
    text = r.content.decode("utf-8")
    assert "## 質問 1：資金調達の課題は？" in text and "## 質問 2：原子力の議論は？" in text
    assert "> **新興企業は初期の資金繰りに苦しんでいる。**公共調達で最初の顧客になるべきだ。" in text
    assert "*該当する発言は見つかりませんでした*" in text
    assert service.calls == [
        ("資金調達の課題は？", 3, Filters(date_from="2021-01-01", topic="1")),
        ("原子力の議論は？", 3, Filters(date_from="2021-01-01", topic="1")),
    ]


def test_docx_and_json_files(client_and_service: tuple[TestClient, FakeService]) -> None:
    client, _ = client_and_service
    r = client.post("/brief", json={"questions": ["funding?"], "lang": "en", "format": "docx"})
    assert r.status_code == 200, r.text
    assert (
        r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert r.headers["content-disposition"] == 'attachment; filename="brief-en.docx"'
    paragraphs = [p.text for p in docx.Document(io.BytesIO(r.content)).paragraphs]
    assert "Question 1: funding?" in paragraphs and REMARK in paragraphs

    r = client.post("/brief", json={"questions": ["funding?"], "format": "json"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.headers["content-disposition"] == 'attachment; filename="brief-ja.json"'
    assert [e["text"] for e in json.loads(r.content)["evidence"]] == [REMARK]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"questions": []}, "questions"),
        ({"questions": ["q"] * 51}, "questions"),
        ({"questions": ["ok", "   "]}, "question(s) 2 are empty"),
        ({"questions": ["x" * 1001]}, "questions.0"),
        ({"questions": ["q"], "k": 21}, "k"),
        ({"questions": ["q"], "k": 0}, "k"),
        ({"questions": ["q"], "lang": "fr"}, "lang"),
        ({"questions": ["q"], "format": "pdf"}, "format"),
        ({"questions": ["q"], "filters": {"colour": "red"}}, "filters.colour"),
        ({"questions": ["q"], "extra": 1}, "extra"),
    ],
)
def test_validation_errors(
    client_and_service: tuple[TestClient, FakeService], body: dict[str, Any], fragment: str
) -> None:
    client, service = client_and_service
    r = client.post("/brief", json=body)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "validation_error"
    assert fragment in error["message"]
    assert service.calls == []


def test_service_input_error_uses_the_error_shape(client_and_service: tuple[TestClient, FakeService]) -> None:
    client, _ = client_and_service
    r = client.post("/brief", json={"questions": ["壊れた質問"]})
    assert r.status_code == 422
    assert r.json() == {
        "error": {"code": "invalid_input", "message": "question has no searchable words; rephrase it"}
    }


def test_not_ready_is_503(tmp_path: Any) -> None:
    app = create_app(Settings(index_dir=tmp_path, ingest_samples_on_start=False), service=FakeService())  # type: ignore[arg-type]
    r = TestClient(app).post("/brief", json={"questions": ["q"]})
    assert r.status_code == 503 and r.json()["error"]["code"] == "not_ready"
