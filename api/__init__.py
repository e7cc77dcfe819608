"""HTTP face of minutes-rag: FastAPI app (`api.main.create_app`), routes, the web page and metrics."""

from __future__ import annotations
