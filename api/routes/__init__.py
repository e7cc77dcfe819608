"""Routers, one per resource."""

from __future__ import annotations
