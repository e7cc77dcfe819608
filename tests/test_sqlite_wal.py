"""WAL mode when two processes open a new SQLite file at once: the embedding cache and the index database."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.schema import connect
from rag.embed import EmbeddingCache
from rag.sqlite_wal import enable_wal

TRIALS = 300  # without enable_wal, 7 to 110 of the 600 opens failed in each of four runs (either opener)


class FlakyConnection:
    """Stands in for a connection whose WAL pragma fails with `errors` first."""

    def __init__(self, errors: list[sqlite3.OperationalError]) -> None:
        self.errors = errors
        self.calls = 0

    def execute(self, sql: str) -> None:
        assert sql == "PRAGMA journal_mode=WAL"
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)


def _error(message: str, code: int) -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError(message)
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    return exc


def test_busy_is_retried_until_the_pragma_succeeds() -> None:
    conn = FlakyConnection([_error("database is locked", sqlite3.SQLITE_BUSY)] * 3)
    enable_wal(conn, 5.0)  # type: ignore[arg-type]
    assert conn.calls == 4


def test_other_errors_and_a_lasting_lock_are_raised() -> None:
    conn = FlakyConnection([_error("disk I/O error", sqlite3.SQLITE_IOERR)])
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        enable_wal(conn, 5.0)  # type: ignore[arg-type]
    assert conn.calls == 1
    stuck = FlakyConnection([_error("database is locked", sqlite3.SQLITE_BUSY)] * 1000)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        enable_wal(stuck, 0.05)  # type: ignore[arg-type]
    assert 1 < stuck.calls < 1000


def _open_cache(path: Path) -> None:
    cache = EmbeddingCache(path)
    cache.put_many("fp", ["x"], np.zeros((1, 4), dtype=np.float32))
    cache.close()


def _open_index(path: Path) -> None:
    connect(path).close()


def _open_when_told(opener: Callable[[Path], None], path: str, go: Any, queue: Any) -> None:
    """Child process: wait for `go`, open the file, report the error text ('' when it opened)."""
    go.wait()
    try:
        opener(Path(path))
        queue.put("")
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        queue.put(str(exc))


@pytest.mark.parametrize("opener", [_open_cache, _open_index], ids=["embedding cache", "index database"])
def test_two_processes_open_a_new_file_at_once(tmp_path: Path, opener: Any) -> None:
    ctx = mp.get_context("fork")
    errors = []
    for trial in range(TRIALS):
        path = str(tmp_path / f"{trial}.sqlite")
        queue, go = ctx.Queue(), ctx.Event()
        procs = [ctx.Process(target=_open_when_told, args=(opener, path, go, queue)) for _ in range(2)]
        for p in procs:
            p.start()
        go.set()  # both are waiting: they open the file at the same moment
        errors += [e for e in (queue.get(timeout=60) for _ in procs) if e]
        for p in procs:
            p.join(timeout=60)
        assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert not errors, f"{len(errors)} of {2 * TRIALS} opens failed: {errors[:2]}"
