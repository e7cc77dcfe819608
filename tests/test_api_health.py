"""Liveness/readiness, metrics, error mapping (never a traceback), keys for reads, CORS, OpenAPI, the page."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_server import API_KEY, SAMPLES, make_settings, serve

from rag.errors import IndexStoreError, InputError, ModelError
from rag.service import RagService
from rag.types import Filters, SearchResult


class SlowLoadService(RagService):
    """Loading waits until the test releases it."""

    release = threading.Event()

    def load(self) -> None:
        self.release.wait(timeout=60)
        super().load()


class BrokenLoadService(RagService):
    def load(self) -> None:
        raise ModelError("model files are missing: run `rag model materialize`")


class FailingSearchService(RagService):
    def search(self, question: str, *, k: int | None = None, filters: Filters | None = None, **kw: Any) -> SearchResult:
        if question == "crash":
            raise RuntimeError("secret internal detail")
        if question == "locked":
            raise IndexStoreError("the index is locked by another process; retry later")
        if question == "input":
            raise InputError("question has no searchable words; rephrase it")
        return super().search(question, k=k, filters=filters, **kw)


def test_health_before_ready_and_ready_after_load(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "index")
    SlowLoadService.release.clear()
    with serve(settings, SlowLoadService(settings), wait_ready=False) as base:
        assert httpx.get(f"{base}/health").json() == {"status": "ok"}
        r = httpx.get(f"{base}/ready")
        assert r.status_code == 503 and r.json()["error"]["code"] == "not_ready"
        assert "still loading" in r.json()["error"]["message"]
        r = httpx.post(f"{base}/search", json={"question": "防災"})
        assert r.status_code == 503 and r.json()["error"]["code"] == "not_ready"
        SlowLoadService.release.set()
        deadline = time.monotonic() + 30
        while httpx.get(f"{base}/ready").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert httpx.get(f"{base}/ready").json() == {"status": "ready", "model": "hash:64", "documents": 0}


def test_failed_start_keeps_liveness_and_explains_readiness(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "index")
    with serve(settings, BrokenLoadService(settings), wait_ready=False) as base:
        deadline = time.monotonic() + 10
        while "failed" not in httpx.get(f"{base}/ready").text and time.monotonic() < deadline:
            time.sleep(0.05)
        r = httpx.get(f"{base}/ready")
        assert r.status_code == 503
        assert r.json()["error"]["message"] == (
            "The service failed to start: model files are missing: run `rag model materialize`"
        )
        assert httpx.get(f"{base}/health").status_code == 200


def test_samples_are_ingested_on_start_when_index_is_empty(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "index", ingest_samples_on_start=True)
    with serve(settings) as base:
        ready = httpx.get(f"{base}/ready").json()
        assert ready["documents"] == len(SAMPLES) == 3
        assert [m["document"] for m in httpx.get(f"{base}/meetings").json()] == [
            "digital_infra_02", "disaster_resilience_03", "semiconductor_talent_01"
        ]  # fmt: skip


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory, seed_txt: Path) -> Iterator[httpx.Client]:
    settings = make_settings(tmp_path_factory.mktemp("fail-index"), cors_origins=["http://app.example"])
    service = FailingSearchService(settings)
    service.load()
    service.ingest([seed_txt])
    with serve(settings, service) as base, httpx.Client(base_url=base, timeout=60) as http:
        yield http


def test_unexpected_error_is_500_without_traceback(failing: httpx.Client) -> None:
    r = failing.post("/search", json={"question": "crash"})
    assert r.status_code == 500
    assert r.json() == {"error": {"code": "internal_error", "message": "Internal error; the server log has the details."}}
    assert "secret" not in r.text and "Traceback" not in r.text


@pytest.mark.parametrize(
    ("question", "status", "code", "message"),
    [
        ("locked", 503, "index_unavailable", "the index is locked by another process; retry later"),
        ("input", 422, "invalid_input", "question has no searchable words; rephrase it"),
    ],
)
def test_rag_errors_map_to_status(failing: httpx.Client, question: str, status: int, code: str, message: str) -> None:
    r = failing.post("/search", json={"question": question})
    assert r.status_code == status
    assert r.json() == {"error": {"code": code, "message": message}}


def test_metrics(failing: httpx.Client) -> None:
    assert failing.post("/search", json={"question": "研究開発の投資", "k": 2}).status_code == 200
    failing.get("/documents/nope")
    text = failing.get("/metrics").text
    assert 'rag_http_requests_total{method="POST",route="/search",status="200"}' in text
    assert 'rag_http_requests_total{method="GET",route="/documents/{document}",status="404"} 1.0' in text
    assert 'rag_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/search"}' in text
    for stage in ("embed", "dense", "total"):
        assert f'rag_search_stage_ms_count{{stage="{stage}"}}' in text
    assert 'rag_index_items{kind="documents"} 1.0' in text
    assert 'rag_index_items{kind="remarks"} 23.0' in text
    assert 'rag_index_vectors{kind="ntotal"}' in text


def test_cors_preflight(failing: httpx.Client) -> None:
    r = failing.options(
        "/search",
        headers={"Origin": "http://app.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )  # fmt: skip
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "http://app.example"
    r = failing.options(
        "/search", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in r.headers


def test_openapi_is_complete_with_japanese_and_english_examples(failing: httpx.Client) -> None:
    spec = failing.get("/openapi.json").json()
    paths = spec["paths"]
    expected = {("/search", "post"), ("/documents", "post"), ("/documents", "get"), ("/documents/{document}", "get"),
                ("/documents/{document}", "delete"), ("/meetings", "get"), ("/facets", "get"), ("/health", "get"),
                ("/ready", "get"), ("/metrics", "get")}  # fmt: skip
    assert expected <= {(p, m) for p, ops in paths.items() for m in ops}
    examples = paths["/search"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert examples["ja"]["value"]["question"] == "スタートアップの資金調達の課題は？"
    assert examples["en"]["value"]["question"].startswith("What did members say")
    upload = paths["/documents"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert upload["properties"]["files"]["items"]["format"] == "binary"
    assert "422" in paths["/search"]["post"]["responses"]
    assert set(spec["components"]["schemas"]["FiltersIn"]["properties"]) == {
        "meeting", "date_from", "date_to", "topic", "speaker", "document"
    }  # fmt: skip
    assert spec["components"]["schemas"]["FiltersIn"]["additionalProperties"] is False


def test_page_and_assets_are_served(failing: httpx.Client) -> None:
    r = failing.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<script src="/static/app.js" defer></script>' in r.text
    assert failing.get("/static/app.js").status_code == 200
    assert failing.get("/static/app.css").headers["content-type"].startswith("text/css")
    assert failing.get("/static/missing.js").status_code == 404


def test_reads_need_key_when_configured(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "index", read_requires_key=True, max_k=10, max_question_chars=20)
    with serve(settings) as base:
        assert httpx.get(f"{base}/documents").status_code == 401
        assert httpx.post(f"{base}/search", json={"question": "防災"}).status_code == 401
        assert httpx.get(f"{base}/facets", headers={"X-API-Key": API_KEY}).status_code == 200
        assert httpx.get(f"{base}/health").status_code == 200
        key = {"X-API-Key": API_KEY}
        r = httpx.post(f"{base}/search", json={"question": "防災", "k": 11}, headers=key)
        assert r.status_code == 422 and r.json()["error"]["message"] == "k must be between 1 and 10; got 11."
        r = httpx.post(f"{base}/search", json={"question": "あ" * 21}, headers=key)
        assert r.status_code == 422 and "at most 20" in r.json()["error"]["message"]


def test_writes_disabled_without_configured_key(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "index", api_key=None)
    with serve(settings) as base:
        for r in (
            httpx.post(f"{base}/documents", files={"files": ("a.txt", b"x")}, headers={"X-API-Key": "anything"}),
            httpx.delete(f"{base}/documents/a"),
        ):
            assert r.status_code == 503
            assert r.json()["error"]["code"] == "writes_disabled"
            assert "RAG_API_KEY" in r.json()["error"]["message"]
        assert httpx.get(f"{base}/documents").status_code == 200
