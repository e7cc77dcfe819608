"""Model inference and index work never block the event loop; searches are served while an ingest runs."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from api_server import API_KEY, SAMPLES, make_settings, serve

from rag.service import RagService
from rag.types import IngestReport, SearchResult

NEW_DOC = "架空協議会（第１回）議事要旨\n\n４ 議事概要\n○ 離島の医療は遠隔診療の整備が急務だ。\n○ 看護師の確保も課題である。\n"


class GatedService(RagService):
    """ingest_bytes waits at a gate (simulating a long embed); search can be made slow."""

    gate = threading.Event()
    entered = threading.Event()
    search_delay = 0.0

    def ingest_bytes(self, name: str, data: bytes) -> IngestReport:
        self.entered.set()
        self.gate.wait(timeout=60)
        return super().ingest_bytes(name, data)

    def search(self, question: str, **kw: Any) -> SearchResult:
        time.sleep(self.search_delay)
        return super().search(question, **kw)


def test_search_served_during_ingest_and_sees_new_document_after_commit(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "index")
    service = GatedService(settings)
    service.load()
    service.ingest(SAMPLES)
    GatedService.gate.clear()
    GatedService.entered.clear()
    with serve(settings, service) as base, ThreadPoolExecutor(1) as pool:
        pending = pool.submit(
            httpx.post, f"{base}/documents", files={"files": ("islands_01.txt", NEW_DOC.encode())},
            headers={"X-API-Key": API_KEY}, timeout=60,
        )  # fmt: skip
        assert GatedService.entered.wait(10), "the upload never reached the service"
        started = time.monotonic()
        r = httpx.post(f"{base}/search", json={"question": "離島の医療", "k": 10}, timeout=30)
        assert r.status_code == 200 and time.monotonic() - started < 5
        assert "islands_01" not in {h["citation"]["document"] for h in r.json()["hits"]}
        assert not pending.done()
        GatedService.gate.set()
        assert pending.result().status_code == 201
        r = httpx.post(f"{base}/search", json={"question": "離島の医療", "k": 10}, timeout=30)
        assert r.json()["hits"][0]["citation"]["document"] == "islands_01"


def test_slow_search_does_not_block_other_requests(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "index")
    service = GatedService(settings)
    service.load()
    service.ingest(SAMPLES[:1])
    GatedService.search_delay = 1.5
    try:
        with serve(settings, service) as base, ThreadPoolExecutor(2) as pool:
            slow = [pool.submit(httpx.post, f"{base}/search", json={"question": "防災"}, timeout=30) for _ in range(2)]
            time.sleep(0.2)
            started = time.monotonic()
            assert httpx.get(f"{base}/health", timeout=5).status_code == 200
            assert time.monotonic() - started < 0.5
            t0 = time.monotonic()
            assert all(f.result().status_code == 200 for f in slow)
            assert time.monotonic() - t0 < 2.9  # the two searches ran in parallel worker threads
    finally:
        GatedService.search_delay = 0.0
