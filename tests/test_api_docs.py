"""The API docs page works offline: Swagger UI's assets come from the installed package, not a CDN."""

from __future__ import annotations

from pathlib import Path

import httpx
from api_server import make_settings, serve


def test_docs_page_uses_local_assets(tmp_path: Path) -> None:
    with serve(make_settings(tmp_path / "index", ingest_samples_on_start=False)) as base:
        page = httpx.get(f"{base}/docs", timeout=30)
        assert page.status_code == 200
        assert "/docs-assets/swagger-ui-bundle.js" in page.text
        assert "cdn" not in page.text.lower() and "https://" not in page.text
        js = httpx.get(f"{base}/docs-assets/swagger-ui-bundle.js", timeout=30)
        css = httpx.get(f"{base}/docs-assets/swagger-ui.css", timeout=30)
        assert js.status_code == 200 and len(js.content) > 100_000
        assert css.status_code == 200 and "swagger-ui" in css.text
