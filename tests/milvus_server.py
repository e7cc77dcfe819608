"""A real `milvus-lite server` for the Milvus store tests: one process per test session, on a free port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL (http://127.0.0.1:PORT) of a Milvus Lite gRPC server, stopped at the end of the session."""
    try:
        import milvus_lite  # noqa: F401
        from pymilvus import MilvusClient
    except ImportError as exc:
        pytest.skip(f"milvus-lite / pymilvus are not installed ({exc}); pip install 'minutes-rag[milvus]'")
    exe = shutil.which("milvus-lite") or str(Path(sys.executable).with_name("milvus-lite"))
    data = tmp_path_factory.mktemp("milvus-data")
    port = _free_port()
    log_path = data.parent / f"milvus-lite-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [exe, "server", "--data-dir", str(data), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"milvus-lite server exited with {proc.returncode}: {log_path.read_text()[-2000:]}"
                )
            try:
                MilvusClient(uri=url, timeout=2).list_collections()
                break
            except Exception:  # noqa: BLE001 - not up yet
                if time.monotonic() > deadline:
                    pytest.fail(f"milvus-lite server not ready after 60 s: {log_path.read_text()[-2000:]}")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture
def milvus_store(milvus_server: str) -> str:
    """A RAG_STORE value of a fresh, empty index on the session's server (its own collection prefix)."""
    return f"{milvus_server}?prefix=t{uuid.uuid4().hex[:12]}"
