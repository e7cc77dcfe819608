"""POST /search against a real server (uvicorn, hashing embedder) on the seed + bundled sample minutes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_server import SAMPLES, loaded_service, make_settings, serve

SEED_ID = "000_1e1e3ba0d71176a4"
SEED_TITLE = "官民技術協力に関する検討会合（第１回）議事要旨"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, seed_txt: Path) -> Iterator[httpx.Client]:
    settings = make_settings(tmp_path_factory.mktemp("search-index"))
    service = loaded_service(settings, [seed_txt, *SAMPLES])
    with serve(settings, service) as base, httpx.Client(base_url=base, timeout=60) as http:
        yield http


def test_japanese_question_returns_cited_highlighted_hits(client: httpx.Client) -> None:
    r = client.post("/search", json={"question": "スタートアップの資金調達の課題は？", "k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["question"] == "スタートアップの資金調達の課題は？"
    assert body["model"] == "hash:64"
    assert isinstance(body["answerable"], bool)
    assert len(body["hits"]) == 3
    assert "total" in body["timings_ms"]
    for hit in body["hits"]:
        assert set(hit) == {"remark_id", "text", "score", "confidence", "highlights", "citation", "source_url"}
        assert 0.0 <= hit["confidence"] <= 1.0
        assert set(hit["citation"]) == {"document", "title", "session", "date", "topic", "speaker", "pages"}
        for h in hit["highlights"]:
            assert hit["text"][h["start"] : h["end"]] == h["text"]
    scores = [h["score"] for h in body["hits"]]
    assert scores == sorted(scores, reverse=True)
    seed_hits = [h for h in body["hits"] if h["citation"]["document"] == SEED_ID]
    assert seed_hits, "the seed minutes talk about startups; expected at least one seed hit"
    cit = seed_hits[0]["citation"]
    assert (cit["title"], cit["session"], cit["date"]) == (SEED_TITLE, 1, "2021-12-09")
    assert cit["pages"] and all(isinstance(p, int) for p in cit["pages"])


def test_english_question_and_whitespace_is_trimmed(client: httpx.Client) -> None:
    r = client.post("/search", json={"question": "  semiconductor engineers training  ", "k": 2, "mode": "dense"})
    assert r.status_code == 200, r.text
    assert r.json()["question"] == "semiconductor engineers training"
    assert len(r.json()["hits"]) <= 2


def test_default_k_is_settings_default(client: httpx.Client) -> None:
    r = client.post("/search", json={"question": "防災", "rerank": False})
    assert r.status_code == 200, r.text
    assert len(r.json()["hits"]) == 5  # Settings.default_k


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_every_mode(client: httpx.Client, mode: str) -> None:
    r = client.post("/search", json={"question": "半導体の人材育成", "k": 2, "mode": mode})
    assert r.status_code == 200, r.text
    assert r.json()["hits"][0]["citation"]["document"] == "semiconductor_talent_01"


def test_document_filter_keeps_only_that_document(client: httpx.Client) -> None:
    r = client.post("/search", json={"question": "課題", "k": 10, "filters": {"document": SEED_ID}})
    assert r.status_code == 200, r.text
    docs = {h["citation"]["document"] for h in r.json()["hits"]}
    assert docs == {SEED_ID}


def test_date_filter(client: httpx.Client) -> None:
    r = client.post(
        "/search", json={"question": "課題", "k": 20, "filters": {"date_from": "2024-01-01", "date_to": "2024-12-31"}}
    )
    assert r.status_code == 200, r.text
    dates = {h["citation"]["date"] for h in r.json()["hits"]}
    assert dates and dates <= {"2024-02-08", "2024-07-22"}


def test_meeting_filter_matches_body_substring(client: httpx.Client) -> None:
    r = client.post("/search", json={"question": "課題", "k": 20, "filters": {"meeting": "官民技術協力"}})
    assert r.status_code == 200, r.text
    assert {h["citation"]["document"] for h in r.json()["hits"]} == {SEED_ID}


def test_filter_matching_nothing_is_not_answerable(client: httpx.Client) -> None:
    r = client.post("/search", json={"question": "課題", "filters": {"document": "no-such-document"}})
    assert r.status_code == 200, r.text
    assert r.json()["hits"] == [] and r.json()["answerable"] is False


BAD_REQUESTS: list[tuple[Any, str]] = [
    ({"question": ""}, "question is empty"),
    ({"question": "   \n "}, "question is empty"),
    ({"question": "あ" * 1001}, "at most 1000 characters"),
    ({"question": "資金", "k": 0}, "k: Input should be greater than or equal to 1"),
    ({"question": "資金", "k": 101}, "k must be between 1 and 100"),
    ({"question": "資金", "k": "many"}, "k: Input should be a valid integer"),
    ({"question": "資金", "filters": {"room": "A"}}, "filters.room: Extra inputs are not permitted"),
    ({"question": "資金", "mode": "fuzzy"}, "mode: Input should be 'dense', 'lexical' or 'hybrid'"),
    ({"question": "資金", "filters": {"date_from": "2024-02-01", "date_to": "2024-01-01"}}, "date_from must not be after date_to"),
    ({"question": "資金", "filters": {"date_from": "yesterday"}}, "filters.date_from"),
    ({"question": "資金", "limit": 3}, "limit: Extra inputs are not permitted"),
    ({"q": "資金"}, "question: Field required"),
    ({"question": 42}, "question: Input should be a valid string"),
]


@pytest.mark.parametrize(("payload", "message"), BAD_REQUESTS)
def test_bad_requests_are_422_with_a_message(client: httpx.Client, payload: Any, message: str) -> None:
    r = client.post("/search", json=payload)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "validation_error"
    assert message in error["message"]


def test_malformed_json_is_422(client: httpx.Client) -> None:
    r = client.post("/search", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "validation_error"


def test_wrong_method_uses_error_shape(client: httpx.Client) -> None:
    r = client.get("/search")
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "method_not_allowed"


def test_search_is_open_without_key(client: httpx.Client) -> None:
    r = client.post("/search", json={"question": "防災"}, headers={"X-API-Key": "irrelevant"})
    assert r.status_code == 200
