"""minutes-rag: semantic question answering over Japanese government meeting minutes."""

from __future__ import annotations

__version__ = "0.1.0"
