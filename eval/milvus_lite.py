"""A `milvus-lite server` process for scripts (parity, load, bench): free port, temporary data, stopped after."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def lite_server(data_dir: Path | None = None, *, timeout_s: float = 60.0) -> Iterator[str]:
    """Start `milvus-lite server` and yield its URL (http://127.0.0.1:PORT); terminate it at the end."""
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:
        raise ImportError("a Milvus Lite server needs the extra: pip install 'minutes-rag[milvus]'") from exc
    exe = shutil.which("milvus-lite") or str(Path(sys.executable).with_name("milvus-lite"))
    with tempfile.TemporaryDirectory(prefix="milvus-lite-") as tmp:
        data = Path(data_dir or tmp)
        port = free_port()
        log_path = Path(tmp) / "server.log"
        log = log_path.open("wb")
        proc = subprocess.Popen(
            [exe, "server", "--data-dir", str(data), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"milvus-lite server exited with {proc.returncode}: {_tail(log_path)}")
                try:
                    MilvusClient(uri=url, timeout=2).list_collections()
                    break
                except Exception:  # noqa: BLE001 - not up yet
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"milvus-lite server not ready after {timeout_s:.0f} s: {_tail(log_path)}"
                        ) from None
                    time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
            log.close()


def _tail(log: Path, chars: int = 2000) -> str:
    """The end of the server's log, for error messages."""
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"
