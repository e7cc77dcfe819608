"""Loads tools/make_parse_fixtures.py (the fixture builders) for the parser tests."""

from __future__ import annotations

import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1] / "tools"
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))

import make_invented_minutes as invented  # noqa: E402
import make_parse_fixtures  # noqa: E402

__all__ = ["invented", "make_parse_fixtures"]
