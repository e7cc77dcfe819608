"""``python -m api``: serve on Settings.host:Settings.port (RAG_HOST / RAG_PORT)."""

from __future__ import annotations

import logging

from api.main import run
from rag.settings import get_settings

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    run(settings.host, settings.port, settings)
