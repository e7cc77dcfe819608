"""Load test of two API replicas on one Milvus store: searches, uploads and deletes at once.

    python -m eval.load_milvus                                  # a milvus-lite server of its own, 20 clients, 60 s
    python -m eval.load_milvus --store milvus://127.0.0.1:19530 --kill-one-at 30 --json docs/results/load_milvus.json

Starts two `rag serve` processes (RAG_STORE pointing at the same store, the hashing embedder unless --model),
uploads the bundled samples, then runs --clients threads for --duration s: 90 % POST /search, 10 % an upload
of a new document or the delete of one uploaded before, each to either replica. Checkers poll both replicas
for every acknowledged upload (a search filtered to that document) and record, per replica, when the first
search that found it was sent: the upload is visible through both from the later of the two.
--kill-one-at T SIGKILLs the second replica T s in: requests that cannot reach it then go to the first (as
nginx does), and no acknowledged upload may be lost. Exits 1 on any error (5xx, timeout, lost upload, an
upload not seen through both replicas within 2 s, or document lists that differ at the end).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import httpx

KEY = "load-milvus-key"
QUESTIONS = (
    "道路の補修",
    "半導体の人材育成",
    "防災の取り組み",
    "デジタル基盤の整備",
    "避難所の運営",
    "点検の優先",
)
DOC = "負荷試験会議（第{n}回）議事要旨\n\n１ 日時\n令和６年５月{d}日（月）午前１０時から正午まで\n\n４ 議事概要\n○ {w}の補修は予算が足りない。\n○ {w}の点検を優先するべきだ。\n"
VISIBLE_WITHIN_S = 2.0
CHECKERS = 8  # uploads checked at once (each polls every live replica until all see it)
SAMPLES = Path(__file__).resolve().parents[1] / "rag" / "samples"


class Replicas:
    """The replicas' URLs and which are alive; a request falls over to a live one when its target is gone."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.down: set[int] = set()

    def live(self) -> list[int]:
        return [i for i in range(len(self.urls)) if i not in self.down]


def _start(store: str, model: str, port: int, folder: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        RAG_STORE=store,
        RAG_MODEL=model,
        RAG_PORT=str(port),
        RAG_HOST="127.0.0.1",
        RAG_API_KEY=KEY,
        RAG_INDEX_DIR=str(folder),
        RAG_INGEST_SAMPLES_ON_START="false",
    )
    log = (folder.parent / f"replica-{port}.log").open("wb")
    cmd = [sys.executable, "-c", "from rag.cli import main; main()", "serve"]
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait_ready(url: str, timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/ready", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} not ready after {timeout_s:.0f} s")


class Load:
    def __init__(self, replicas: Replicas, clients: int, duration_s: float, seed: int) -> None:
        self.replicas = replicas
        self.clients = clients
        self.duration_s = duration_s
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.latency: dict[str, list[float]] = {"search": [], "upload": [], "delete": []}
        self.errors: list[str] = []
        self.acked: dict[str, float] = {}  # uploaded document → when it was acknowledged
        self.visible: dict[str, float] = {}  # → seconds until both live replicas found it
        self.deletable: list[str] = []
        self.deleted: set[str] = set()
        self.checks: queue.Queue[str] = queue.Queue()
        self.stop = threading.Event()

    def request(
        self, http: httpx.Client, target: int, method: str, path: str, **kw: Any
    ) -> httpx.Response | None:
        """One request to replica ``target``, or to a live one when ``target`` is down (None: all failed)."""
        order = [target, *[i for i in self.replicas.live() if i != target]]
        for i in order:
            try:
                return http.request(method, f"{self.replicas.urls[i]}{path}", **kw)
            except httpx.TimeoutException:
                with self.lock:
                    self.errors.append(f"timeout: {method} {path} on replica {i + 1}")
                return None
            except httpx.TransportError as exc:
                with self.lock:
                    if i in self.replicas.down:  # the killed replica: go to a live one, as nginx does
                        self.counts["failovers"] += 1
                        continue
                    self.errors.append(f"connection error: {method} {path} on live replica {i + 1}: {exc}")
                return None
        return None

    def _timed(
        self, kind: str, http: httpx.Client, target: int, method: str, path: str, **kw: Any
    ) -> httpx.Response | None:
        t0 = time.perf_counter()
        r = self.request(http, target, method, path, **kw)
        with self.lock:
            self.latency[kind].append((time.perf_counter() - t0) * 1000)
            self.counts[kind] += 1
            if r is not None and r.status_code >= 500:
                self.errors.append(f"{r.status_code}: {method} {path}: {r.text[:200]}")
        return r

    def client(self, cid: int) -> None:
        rng = random.Random(cid)
        n = 0
        with httpx.Client(timeout=30) as http:
            while not self.stop.is_set():
                target = rng.randrange(len(self.replicas.urls))
                if rng.random() < 0.9:
                    body = {"question": rng.choice(QUESTIONS), "k": 5}
                    self._timed("search", http, target, "POST", "/search", json=body)
                    continue
                with self.lock:
                    victim = (
                        self.deletable.pop(rng.randrange(len(self.deletable)))
                        if self.deletable and rng.random() < 0.5
                        else None
                    )
                if victim is not None:
                    r = self._timed(
                        "delete", http, target, "DELETE", f"/documents/{victim}", headers={"X-API-Key": KEY}
                    )
                    with self.lock:
                        if r is not None and r.status_code == 200:
                            self.deleted.add(victim)
                        else:
                            self.deletable.append(victim)
                    continue
                n += 1
                name = f"load_{cid:02d}_{n:04d}"
                text = DOC.format(n=n, d=1 + n % 28, w=f"区画{cid}-{n}")
                files = [("files", (f"{name}.txt", text.encode("utf-8")))]
                r = self._timed(
                    "upload", http, target, "POST", "/documents", files=files, headers={"X-API-Key": KEY}
                )
                if r is not None and r.status_code == 201:
                    with self.lock:
                        self.acked[name] = time.monotonic()
                    self.checks.put(name)

    def checker(self) -> None:
        with httpx.Client(timeout=30) as http:
            while not (self.stop.is_set() and self.checks.empty()):
                try:
                    name = self.checks.get(timeout=0.2)
                except queue.Empty:
                    continue
                seen: dict[int, float] = {}  # replica → when the first search that found it was sent
                while True:
                    for i in self.replicas.live():
                        if i in seen:
                            continue
                        body = {"question": "点検", "k": 1, "mode": "lexical", "filters": {"document": name}}
                        sent = time.monotonic()
                        try:
                            r = http.post(f"{self.replicas.urls[i]}/search", json=body)
                        except httpx.HTTPError:
                            continue
                        if r.status_code == 200 and r.json()["hits"]:
                            seen[i] = sent
                    if set(self.replicas.live()) <= set(seen):
                        with self.lock:
                            self.visible[name] = max(0.0, max(seen.values()) - self.acked[name])
                            self.deletable.append(name)
                        break
                    if time.monotonic() - self.acked[name] > 10:
                        with self.lock:
                            self.errors.append(f"{name} acknowledged but not searchable through every replica after 10 s")
                        break
                    time.sleep(0.02)

    def run(self, kill: tuple[float, subprocess.Popen[bytes], int] | None) -> None:
        threads = [threading.Thread(target=self.client, args=(c,), daemon=True) for c in range(self.clients)]
        checkers = [threading.Thread(target=self.checker, daemon=True) for _ in range(CHECKERS)]
        for t in [*threads, *checkers]:
            t.start()
        t0 = time.monotonic()
        killed = False
        while time.monotonic() - t0 < self.duration_s:
            if kill is not None and not killed and time.monotonic() - t0 >= kill[0]:
                self.replicas.down.add(kill[2])
                kill[1].send_signal(signal.SIGKILL)
                killed = True
            time.sleep(0.1)
        self.stop.set()
        for t in threads:
            t.join(timeout=60)
        for t in checkers:
            t.join(timeout=120)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--store", default=None, help="a Milvus RAG_STORE (loopback); default: start milvus-lite"
    )
    parser.add_argument("--model", default="hash:64")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument(
        "--kill-one-at", type=float, default=None, help="SIGKILL the second replica after T s"
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    from eval.milvus_lite import free_port, lite_server

    with (
        tempfile.TemporaryDirectory(prefix="load-milvus-") as tmp,
        nullcontext(args.store) if args.store else lite_server(Path(tmp) / "milvus") as server,
    ):
        store = f"{server}{'&' if '?' in server else '?'}prefix=load{uuid.uuid4().hex[:8]}"
        ports = [free_port(), free_port()]
        procs = [_start(store, args.model, p, Path(tmp) / f"replica{i}") for i, p in enumerate(ports)]
        try:
            urls = [f"http://127.0.0.1:{p}" for p in ports]
            for url in urls:
                _wait_ready(url)
            files = [("files", (p.name, p.read_bytes())) for p in sorted(SAMPLES.glob("*.txt"))]
            r = httpx.post(f"{urls[0]}/documents", files=files, headers={"X-API-Key": KEY}, timeout=300)
            r.raise_for_status()
            samples = {d["document"] for d in httpx.get(f"{urls[0]}/documents", timeout=30).json()}
            load = Load(Replicas(urls), args.clients, args.duration, seed=0)
            load.run((args.kill_one_at, procs[1], 1) if args.kill_one_at is not None else None)
            lists = {
                i: sorted(d["document"] for d in httpx.get(f"{urls[i]}/documents", timeout=30).json())
                for i in load.replicas.live()
            }
        finally:
            for p in procs:
                if p.poll() is None:
                    p.terminate()
                    p.wait(timeout=30)
    expected = sorted(samples | (set(load.acked) - load.deleted))
    lost = sorted(set(expected) - set(next(iter(lists.values()))))
    late = {d: s for d, s in load.visible.items() if s > VISIBLE_WITHIN_S}
    seconds = list(load.visible.values())
    report = {
        "clients": args.clients,
        "duration_s": args.duration,
        "model": args.model,
        "killed_replica_at_s": args.kill_one_at,
        "requests": dict(load.counts),
        "latency_ms": {k: {"p50": _pct(v, 0.5), "p99": _pct(v, 0.99)} for k, v in load.latency.items()},
        "throughput_rps": round(sum(load.counts[k] for k in load.latency) / args.duration, 1),
        "uploads_acknowledged": len(load.acked),
        "deletes": len(load.deleted),
        "visible_through_all_s": {
            "p50": round(statistics.median(seconds), 3) if seconds else None,
            "max": round(max(seconds), 3) if seconds else None,
            "over_2s": len(late),
        },
        "lost_uploads": lost,
        "lists_identical": len({tuple(v) for v in lists.values()}) == 1,
        "final_documents": len(expected),
        "errors": load.errors[:20],
        "error_count": len(load.errors),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    ok = (
        not load.errors
        and not lost
        and not late
        and report["lists_identical"]
        and sorted(next(iter(lists.values()))) == expected
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
