"""Load the model and the index in a thread while the web stack is still being imported (``rag serve``).

Importing FastAPI and uvicorn takes about a second; the index load (SQLite reads, FAISS file, BM25 postings) spends
much of its time outside the GIL, so the two overlap. The lifespan waits for the preload before it reports ready,
and loads again itself (raising the same error, for ``/ready``) when the preload failed.
"""

from __future__ import annotations

import logging
import threading

from rag.service import RagService

log = logging.getLogger(__name__)


class Preload:
    """``service.load()`` started now in a daemon thread; ``wait()`` blocks until it has finished."""

    def __init__(self, service: RagService) -> None:
        self.service = service
        self.error: BaseException | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rag-preload", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.service.load()
        except Exception as exc:  # noqa: BLE001 - the lifespan loads again and reports it
            self.error = exc
            log.debug("preload failed (the start-up retries and reports it)", exc_info=True)
        finally:
            self._done.set()

    def wait(self, timeout_s: float | None = None) -> bool:
        return self._done.wait(timeout_s)
