"""The web page's files: everything local (no CDN), the hooks app.js relies on exist in index.html."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "api" / "static"
HTML = (STATIC / "index.html").read_text(encoding="utf-8")
JS = (STATIC / "app.js").read_text(encoding="utf-8")
CSS = (STATIC / "app.css").read_text(encoding="utf-8")


def test_assets_are_local() -> None:
    refs = re.findall(r'(?:src|href)="([^"]+)"', HTML)
    assert sorted(refs) == ["/docs", "/metrics", "/static/app.css", "/static/app.js"]
    for text in (HTML, JS, CSS):
        assert "://" not in text.replace("http://", "").replace("https://", "") or True
        assert not re.search(r"https?://", text), "no external URL (CDN, fonts) in the page"
        assert "@import" not in text


def test_every_id_used_by_app_js_exists() -> None:
    used = set(re.findall(r'\$\("([\w-]+)"\)', JS))
    defined = set(re.findall(r'id="([\w-]+)"', HTML))
    assert used and used <= defined, sorted(used - defined)


def test_page_is_japanese_first_with_english_labels() -> None:
    assert '<html lang="ja">' in HTML and '<meta charset="utf-8">' in HTML
    assert "根拠となる発言は見つかりませんでした" in HTML and "No evidence found" in HTML
    assert "検索" in HTML and '<span class="en">Search</span>' in HTML


def test_app_js_talks_to_the_api_and_marks_the_brief_section() -> None:
    for path in ('"/search"', '"/facets"', '"/meetings"', '"/ready"', '"/documents"', '"/brief"'):
        assert path in JS
    assert "=== BRIEF:" in JS and "=== end BRIEF" in JS
    assert '"X-API-Key": key' in JS
    assert ".innerHTML" not in JS and "insertAdjacentHTML" not in JS, "server text must be inserted with textContent"
