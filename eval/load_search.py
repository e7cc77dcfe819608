"""Load test for POST /search: N concurrent async clients for a fixed duration, loopback servers only.

    python -m eval.load_search --url http://127.0.0.1:8000 --clients 20 --duration 60

Prints p50/p95/p99 latency, throughput and the error count; exits 1 on any error (or no request at all),
2 on bad arguments (a non-loopback host is refused: this is not a tool for loading other people's servers).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import math
import statistics
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

QUESTIONS = (
    "スタートアップの資金調達の課題は？",
    "研究開発への投資をどのように進めるべきか",
    "大学の技術を守る仕組みについての意見",
    "半導体の若手技術者をどう確保するか",
    "自治体のデジタル化を支える方法は？",
    "災害時の避難所運営の課題",
    "What was said about funding for startups?",
    "How should advanced technology research be promoted?",
    "Opinions on protecting university research from leaks",
    "How can small municipalities digitalize?",
    "disaster evacuation shelters",
    "semiconductor talent shortage",
)

MAX_CLIENTS = 200
MAX_DURATION_S = 900


@dataclass
class LoadReport:
    url: str
    clients: int
    duration_s: float
    requests: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    throughput_rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    mean_ms: float = 0.0

    def lines(self) -> list[str]:
        kinds = ", ".join(f"{k}×{n}" for k, n in sorted(self.error_kinds.items())) or "none"
        return [
            f"target      {self.url}/search  clients={self.clients}  duration={self.duration_s:.1f}s",
            f"requests    {self.requests}  errors={self.errors} ({kinds})",
            f"throughput  {self.throughput_rps:.2f} req/s",
            f"latency ms  p50={self.p50_ms:.1f}  p95={self.p95_ms:.1f}  p99={self.p99_ms:.1f}  "
            f"max={self.max_ms:.1f}  mean={self.mean_ms:.1f}",
        ]


def check_loopback(url: str) -> str:
    """The base URL without a trailing slash; ValueError unless it is http(s) on a loopback host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL; use e.g. http://127.0.0.1:8000")
    host = parts.hostname
    loopback = host == "localhost"
    if not loopback:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
    if not loopback:
        raise ValueError(f"refusing to load {host!r}: only loopback hosts (127.0.0.1, ::1, localhost) are allowed")
    return url.rstrip("/")


def percentile(sorted_ms: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of an ascending list."""
    if not sorted_ms:
        return 0.0
    rank = max(1, min(len(sorted_ms), math.ceil(q / 100 * len(sorted_ms))))
    return sorted_ms[rank - 1]


async def _wait_ready(client: httpx.AsyncClient, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            r = await client.get("/ready")
            if r.status_code == 200:
                return
            last = f"HTTP {r.status_code}: {r.text[:200]}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        await asyncio.sleep(0.5)
    raise RuntimeError(f"server not ready after {timeout_s:.0f}s ({last})")


async def run_load(
    url: str,
    *,
    clients: int = 20,
    duration_s: float = 60.0,
    k: int = 5,
    request_timeout_s: float = 60.0,
    ready_timeout_s: float = 300.0,
    api_key: str | None = None,
) -> LoadReport:
    base = check_loopback(url)
    if not 1 <= clients <= MAX_CLIENTS:
        raise ValueError(f"clients must be 1..{MAX_CLIENTS}")
    if not 0 < duration_s <= MAX_DURATION_S:
        raise ValueError(f"duration must be in (0, {MAX_DURATION_S}] seconds")
    headers = {"X-API-Key": api_key} if api_key else {}
    latencies: list[float] = []  # every answered request, errors included
    errors: Counter[str] = Counter()
    attempts = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=request_timeout_s, limits=limits, headers=headers) as client:
        await _wait_ready(client, ready_timeout_s)
        started = time.monotonic()
        end = started + duration_s

        async def worker(offset: int) -> None:
            nonlocal attempts
            i = offset
            while time.monotonic() < end:
                attempts += 1
                question = QUESTIONS[i % len(QUESTIONS)]
                i += 1
                t0 = time.perf_counter()
                try:
                    r = await client.post("/search", json={"question": question, "k": k})
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    continue
                latencies.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    errors[f"HTTP {r.status_code}"] += 1

        await asyncio.gather(*(worker(n) for n in range(clients)))
        elapsed = time.monotonic() - started
    ordered = sorted(latencies)
    n_errors = sum(errors.values())
    return LoadReport(
        url=base,
        clients=clients,
        duration_s=elapsed,
        requests=attempts,
        errors=n_errors,
        error_kinds=dict(errors),
        throughput_rps=(attempts - n_errors) / elapsed,
        p50_ms=percentile(ordered, 50),
        p95_ms=percentile(ordered, 95),
        p99_ms=percentile(ordered, 99),
        max_ms=ordered[-1] if ordered else 0.0,
        mean_ms=statistics.fmean(ordered) if ordered else 0.0,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load test for POST /search (loopback servers only).")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="loopback base URL of the API")
    parser.add_argument("--clients", type=int, default=20, help=f"concurrent clients (1..{MAX_CLIENTS})")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds to run")
    parser.add_argument("--k", type=int, default=5, help="hits per search")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-request timeout, seconds")
    parser.add_argument("--ready-timeout", type=float, default=300.0, help="seconds to wait for /ready")
    parser.add_argument("--api-key", default=None, help="only needed when reads require a key")
    parser.add_argument("--json", type=Path, default=None, help="also write the report as JSON here")
    args = parser.parse_args(argv)
    try:
        report = asyncio.run(
            run_load(
                args.url,
                clients=args.clients,
                duration_s=args.duration,
                k=args.k,
                request_timeout_s=args.timeout,
                ready_timeout_s=args.ready_timeout,
                api_key=args.api_key,
            )
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(report.lines()))
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2), encoding="utf-8")
    return 1 if report.errors or report.requests == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
