"""One writer at a time: an exclusive ``flock`` on ``write.lock`` in the index directory.

Readers never take it (SQLite WAL lets them read while a writer commits). A second writer waits up to
``timeout_s`` and then gets an IndexStoreError naming the process that holds the lock.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag.errors import IndexStoreError


class WriteLock:
    def __init__(self, path: Path, timeout_s: float = 60.0) -> None:
        self.path = path
        self.timeout_s = timeout_s

    @contextmanager
    def hold(self, timeout_s: float | None = None) -> Iterator[None]:
        wait = self.timeout_s if timeout_s is None else timeout_s
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexStoreError(
                            f"another process ({self._holder(fd)}) is writing to the index at {self.path.parent}; "
                            "wait for it to finish (or stop it) and try again"
                        ) from None
                    time.sleep(0.05)
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @staticmethod
    def _holder(fd: int) -> str:
        try:
            pid = os.pread(fd, 32, 0).decode().strip()
        except OSError:
            pid = ""
        return f"pid {pid}" if pid.isdigit() else "unknown pid"
