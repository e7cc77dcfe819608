"""Run the real app under uvicorn on a free loopback port, in a thread (helpers for the API/web tests)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from api.main import create_app
from rag.service import RagService
from rag.settings import Settings

API_KEY = "test-key-123"


def make_settings(index_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "model": "hash:64",
        "index_dir": index_dir,
        "api_key": API_KEY,
        "ingest_samples_on_start": False,
        "max_upload_mb": 1,
    }
    values.update(overrides)
    return Settings(**values)


@contextmanager
def serve(
    settings: Settings, service: RagService | None = None, *, wait_ready: bool = True, timeout: float = 180.0
) -> Iterator[str]:
    """Yield the base URL of a running server; shut it down afterwards."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(settings, service)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        if wait_ready:
            wait_until_ready(base, deadline)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def wait_until_ready(base: str, deadline: float) -> None:
    last = ""
    while time.monotonic() < deadline:
        response = httpx.get(f"{base}/ready", timeout=10)
        if response.status_code == 200:
            return
        last = response.text
        time.sleep(0.05)
    raise RuntimeError(f"server never became ready: {last}")


SAMPLES = sorted((Path(__file__).resolve().parents[1] / "rag" / "samples").glob("*.txt"))


def loaded_service(settings: Settings, paths: list[Path]) -> RagService:
    """A real RagService, loaded, with ``paths`` ingested (the server then skips its own loading)."""
    service = RagService(settings)
    service.load()
    report = service.ingest(paths)
    if report.failed:
        raise RuntimeError(f"fixture ingest failed: {report.failed}")
    return service
