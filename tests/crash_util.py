"""SIGKILL a command at random moments, for crash-safety tests (the store's writer, or `rag ingest`)."""

from __future__ import annotations

import os
import random
import selectors
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


def _wait_for_line(proc: subprocess.Popen[bytes], marker: str, timeout_s: float) -> None:
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout_s
    buffer = b""
    while marker.encode() not in buffer:
        left = deadline - time.monotonic()
        if left <= 0 or proc.poll() is not None:
            raise RuntimeError(f"{marker!r} not printed within {timeout_s}s (exit code {proc.poll()})")
        if sel.select(timeout=left):
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                continue
            buffer += chunk


def kill_at_random_moments(
    cmd: Sequence[str],
    env: Mapping[str, str] | None,
    n: int,
    seed: int,
    *,
    min_delay_s: float = 0.0,
    max_delay_s: float = 1.0,
    ready_marker: str | None = None,
    ready_timeout_s: float = 60.0,
    after_kill: Callable[[int], None] | None = None,
    cwd: Path | None = None,
) -> list[float]:
    """Run ``cmd`` ``n`` times, SIGKILL each run after a seeded random delay, call ``after_kill(i)``.

    The delay counts from when ``ready_marker`` appears on the command's stdout (from its start when
    None). A run that exits on its own before the kill fails the test with its stderr, unless it exited 0
    (then the kill simply came too late). Returns the delays used.
    """
    rng = random.Random(seed)
    delays: list[float] = []
    for i in range(n):
        delay = rng.uniform(min_delay_s, max_delay_s)
        delays.append(delay)
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(
                list(cmd),
                env=dict(env) if env is not None else None,
                cwd=cwd,
                stdout=subprocess.PIPE if ready_marker else subprocess.DEVNULL,
                stderr=err,
            )
            try:
                if ready_marker:
                    _wait_for_line(proc, ready_marker, ready_timeout_s)
                time.sleep(delay)
                code = proc.poll()
                if code is None:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                elif code != 0:
                    err.seek(0)
                    raise RuntimeError(
                        f"run {i} exited with {code} before the kill:\n{err.read().decode()[-3000:]}"
                    )
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                if proc.stdout is not None:
                    proc.stdout.close()
        if after_kill is not None:
            after_kill(i)
    return delays
