"""WAL mode for SQLite files that several processes may open at the same moment.

``PRAGMA journal_mode=WAL`` on a file that another connection is switching to WAL (two ``rag ingest``
processes opening a new index folder together) fails at once with SQLITE_BUSY: SQLite does not call the
connection's busy handler for it, so ``sqlite3.connect(timeout=…)`` does not help. Measured with two processes
opening a new file together, 300 times: 7 to 110 of the 600 opens failed, each within a millisecond
(``tests/test_sqlite_wal.py``). :func:`enable_wal` retries the pragma until the timeout has passed.
"""

from __future__ import annotations

import sqlite3
import time

_RETRY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def enable_wal(conn: sqlite3.Connection, timeout_s: float) -> None:
    """Put ``conn``'s database in WAL mode, retrying while another connection holds it (up to ``timeout_s``);
    any other error, or still busy after ``timeout_s``, raises the ``sqlite3.Error``."""
    deadline = time.monotonic() + timeout_s
    delay = 0.002
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            code = getattr(exc, "sqlite_errorcode", None)
            if code is None or code & 0xFF not in _RETRY_CODES or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(2 * delay, 0.1)
