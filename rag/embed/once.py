"""Build a model artefact once per machine, safely across processes.

The bundled model's materialization and its ONNX export share this: a check that the artefact is current,
then, under a file lock beside it, the check again (another process may have finished while this one
waited) and the build. Builders write into a temporary directory that they rename into place, so a
reader never sees half an artefact.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from filelock import FileLock, Timeout

from rag.errors import ModelError

LOCK_TIMEOUT_S = 1800.0


def build_once(lock_path: Path, is_current: Callable[[], bool], build: Callable[[], None], what: str) -> None:
    """Run ``build`` unless ``is_current()``, holding ``lock_path`` while checking again and building."""
    if is_current():
        return
    lock = FileLock(str(lock_path), timeout=LOCK_TIMEOUT_S)
    try:
        with lock:
            if not is_current():
                build()
    except Timeout as exc:
        raise ModelError(
            f"timed out waiting for another process to build {what}; "
            f"if none is running, delete {lock.lock_file} and retry"
        ) from exc
