"""The page in headless Chromium against the real server (bundled model, seed minutes): search, highlight,
citation, no-evidence state, brief collection and download, upload with the API key. Saves a screenshot."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_server import API_KEY, loaded_service, make_settings, serve

from rag.settings import DEFAULT_MODEL

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
QUESTION = "スタートアップの資金調達の課題は？"
MINI = "架空会議（第１回）議事要旨\n\n４ 議事概要\n○ 道路の補修は予算が足りない。\n○ 橋の点検を優先するべきだ。\n"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, seed_txt: Path) -> Iterator[str]:
    settings = make_settings(tmp_path_factory.mktemp("web-index"), model=DEFAULT_MODEL, max_upload_mb=5)
    service = loaded_service(settings, [seed_txt])
    with serve(settings, service) as base:
        yield base


def chromium_path() -> str:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is missing: run `make browser-deps` (apt-get install chromium fonts-noto-cjk)")
    return chromium


def test_search_page_in_chromium(base_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    chromium = chromium_path()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1400}, locale="ja-JP", accept_downloads=True)
            page.goto(base_url + "/")
            page.wait_for_selector("body[data-ready=true]", timeout=60_000)
            expect(page.locator("#status")).to_contain_text("準備完了")
            expect(page.locator("#f-meeting option", has_text="官民技術協力に関する検討会合").first).to_be_attached()

            # search: highlighted sentence, citation, confidence bar
            page.fill("#question", QUESTION)
            page.click("#search-button")
            first = page.locator("#results li.hit").first
            expect(first).to_be_visible(timeout=60_000)
            expect(page.locator("#results mark").first).to_be_visible()
            assert page.locator("#results li.hit").count() == 5
            expect(first.locator(".meeting")).to_have_text("官民技術協力に関する検討会合（第１回）議事要旨")
            expect(first.locator(".citation")).to_contain_text("第1回 · 2021-12-09")
            expect(first.locator(".confidence .bar .fill")).to_be_attached()
            assert page.locator("#no-evidence").is_hidden()

            # add to brief, then download it (POST /brief)
            first.locator(".add-brief").click()
            expect(page.locator("#brief-list li")).to_have_count(1)
            expect(page.locator("#brief-list li")).to_contain_text(QUESTION)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "web_search.png"), full_page=True)
            with page.expect_download(timeout=60_000) as info:
                page.click("#brief-download")
            brief = info.value
            saved = tmp_path / brief.suggested_filename
            brief.save_as(saved)
            assert saved.suffix == ".md" and QUESTION in saved.read_text(encoding="utf-8")

            # nothing in range → the explicit no-evidence state
            page.click("#filters summary")
            page.fill("#f-date-from", "2030-01-01")
            page.click("#search-button")
            expect(page.locator("#no-evidence")).to_be_visible(timeout=60_000)
            expect(page.locator("#no-evidence")).to_contain_text("根拠となる発言は見つかりませんでした")
            assert page.locator("#results li.hit").count() == 0

            # upload: wrong key → message; right key → added and listed
            mini = tmp_path / "browser_upload.txt"
            mini.write_text(MINI, encoding="utf-8")
            page.set_input_files("#upload-files", str(mini))
            page.fill("#upload-key", "wrong-key")
            page.click("#upload-button")
            expect(page.locator("#upload-result li")).to_contain_text("The API key is wrong.")
            page.fill("#upload-key", API_KEY)
            page.click("#upload-button")
            expect(page.locator("#upload-result li.added")).to_contain_text("browser_upload.txt")
            expect(page.locator("#doc-count")).to_have_text("2")
        finally:
            browser.close()


SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def test_context_of_a_hit_in_chromium(base_url: str) -> None:
    """Search, open the context of the first hit by keyboard: the previous and next remarks of the same
    document in order, the hit highlighted; then the whole minutes scrolled to the hit. Screenshots for the README."""
    import httpx
    from playwright.sync_api import expect, sync_playwright

    chromium = chromium_path()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1400}, locale="ja-JP")
            page.goto(base_url + "/")
            page.wait_for_selector("body[data-ready=true]", timeout=60_000)
            page.fill("#question", QUESTION)
            page.click("#search-button")
            first = page.locator("#results li.hit").first
            expect(first).to_be_visible(timeout=60_000)
            hit_id = first.get_attribute("data-remark")
            assert hit_id
            document, _, n = hit_id.rpartition("#")

            toggle = first.locator("button.context-toggle")
            expect(toggle).to_have_attribute("aria-expanded", "false")
            expect(toggle).to_contain_text("前後の発言")
            toggle.focus()
            page.keyboard.press("Enter")
            expect(toggle).to_have_attribute("aria-expanded", "true")
            items = first.locator(".context-panel li.ctx-remark")
            expect(items.first).to_be_visible(timeout=30_000)
            ids = [items.nth(i).get_attribute("data-remark") or "" for i in range(items.count())]
            ordinals = [int(i.rpartition("#")[2]) for i in ids]
            assert all(i.rpartition("#")[0] == document for i in ids), ids
            assert ordinals == sorted(ordinals) and ordinals == list(range(ordinals[0], ordinals[-1] + 1))
            assert int(n) - 1 in ordinals and int(n) + 1 in ordinals, "previous and next remark shown"
            marked = first.locator(".context-panel li.is-hit")
            expect(marked).to_have_count(1)
            expect(marked).to_have_attribute("data-remark", hit_id)
            expect(marked).to_have_attribute("aria-current", "true")
            expect(marked.locator("mark").first).to_be_visible()
            api = httpx.get(f"{base_url}/remarks/{hit_id.replace('#', '%23')}", params={"before": 1, "after": 1}).json()
            prev_text, next_text = api["remarks"][0]["text"], api["remarks"][-1]["text"]
            expect(first.locator(f'.context-panel li[data-remark="{document}#{int(n) - 1}"] .hit-text')).to_have_text(prev_text)
            expect(first.locator(f'.context-panel li[data-remark="{document}#{int(n) + 1}"] .hit-text')).to_have_text(next_text)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            first.screenshot(path=str(SCREENSHOTS / "context.png"))

            toggle.click()  # closes it again
            expect(first.locator(".context-panel")).to_be_hidden()
            expect(toggle).to_have_attribute("aria-expanded", "false")

            # whole minutes, scrolled to the hit, which has the focus; Esc closes and returns focus
            full = first.locator("button.fulltext-toggle")
            full.click()
            expect(full).to_have_attribute("aria-expanded", "true")
            target = first.locator(".fulltext .ft-remark.is-hit")
            expect(target).to_be_focused(timeout=30_000)
            expect(target).to_have_attribute("data-remark", hit_id)
            expect(target).to_be_in_viewport()
            assert first.locator(".fulltext").evaluate("b => b.scrollTop") > 0 or int(n) <= 2
            first.screenshot(path=str(SCREENSHOTS / "fulltext.png"))
            page.keyboard.press("Escape")
            expect(first.locator(".fulltext-panel")).to_be_hidden()
            expect(full).to_be_focused()
            expect(full).to_have_attribute("aria-expanded", "false")
        finally:
            browser.close()
