"""Prometheus metrics: request counts and latency by route, search-stage latency, index size gauges.

Each app gets its own ``CollectorRegistry`` (several apps can live in one test process).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_STAGE_BUCKETS_MS = (0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000)


class _IndexCollector(Collector):
    """Reads the index counts at scrape time from ``info()`` (a scrape never fails because of it).

    ``info()`` is the service's manifest: ``counts`` (documents, remarks, chunks), ``vectors`` (ntotal,
    tombstones) and ``sizes`` (bytes per file).
    """

    def __init__(self, info: Callable[[], Mapping[str, Any]]) -> None:
        self._info = info

    def collect(self) -> Iterable[GaugeMetricFamily]:
        items = GaugeMetricFamily("rag_index_items", "Items in the index, by kind.", labels=["kind"])
        vectors = GaugeMetricFamily("rag_index_vectors", "FAISS vectors (ntotal, tombstones).", labels=["kind"])
        sizes = GaugeMetricFamily("rag_index_bytes", "Index files on disk, bytes.", labels=["file"])
        try:
            info = self._info() or {}
        except Exception as exc:  # the index may be busy or not loaded yet
            log.debug("index info unavailable for metrics: %s", exc)
            info = {}
        for family, key in ((items, "counts"), (vectors, "vectors"), (sizes, "sizes")):
            section = info.get(key)
            if isinstance(section, Mapping):
                for name, value in sorted(section.items()):
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        family.add_metric([str(name)], float(value))
        yield items
        yield vectors
        yield sizes


class Metrics:
    def __init__(self, index_info: Callable[[], Mapping[str, Any]] | None = None) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "rag_http_requests_total",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "rag_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["route", "method"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.search_stage = Histogram(
            "rag_search_stage_ms",
            "Search latency per stage (the timings_ms of each answer), milliseconds.",
            ["stage"],
            buckets=_STAGE_BUCKETS_MS,
            registry=self.registry,
        )
        self.search_hits = Counter(
            "rag_search_answers_total", "Searches by whether they found evidence.", ["answerable"], registry=self.registry
        )
        self.ingested = Counter(
            "rag_ingest_files_total", "Uploaded files by outcome.", ["status"], registry=self.registry
        )
        if index_info is not None:
            self.registry.register(_IndexCollector(index_info))

    def observe_search(self, timings_ms: Mapping[str, float], answerable: bool) -> None:
        for stage, ms in timings_ms.items():
            self.search_stage.labels(stage=stage).observe(float(ms))
        self.search_hits.labels(answerable=str(answerable).lower()).inc()

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def _route_label(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if isinstance(path, str) and path:
        return path
    raw = scope.get("path", "")
    return "/static" if isinstance(raw, str) and raw.startswith("/static/") else "unmatched"


class MetricsMiddleware:
    """Pure ASGI middleware (no body buffering) that counts and times every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = _route_label(scope)
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(route=route, method=method, status=str(status)).inc()
            self.metrics.latency.labels(route=route, method=method).observe(time.perf_counter() - started)
