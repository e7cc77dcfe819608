"""HTML pages of minutes → text (stdlib html.parser): the minutes, without navigation.

Scripts, styles, navigation, headers, footers, asides and forms are dropped. When the page has a
<main> or <article> element only its text is kept. Block elements (p, div, li, tr, h1–h6, br …) end a
line; the text then goes through the same parser as text files.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "template", "button", "select"}
_MAIN = {"main", "article"}
_BLOCK = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table", "section",
    "dd", "dt", "blockquote", "hr", "ul", "ol", "td", "th",
}
_VOID = {"br", "hr", "img", "meta", "link", "input"}
_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)


class _Minutes(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.main = 0
        self.all: list[str] = []
        self.in_main: list[str] = []
        self.saw_main = False

    def _newline(self) -> None:
        self.all.append("\n")
        if self.main:
            self.in_main.append("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag in _MAIN:
            self.main += 1
            self.saw_main = True
        if tag in _BLOCK:
            self._newline()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self.skip:
            self.skip -= 1
        elif tag in _MAIN and self.main:
            self.main -= 1
        if tag in _BLOCK and tag not in _VOID:
            self._newline()
        if tag in ("td", "th"):
            self.all.append("\u3000")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self.all.append(data)
        if self.main:
            self.in_main.append(data)


def decode_html(data: bytes) -> str | None:
    """The page as text, decoded with its declared charset; None when no charset is declared."""
    m = _CHARSET_RE.search(data[:4096])
    if not m:
        return None
    try:
        return data.decode(m[1].decode("ascii"), errors="replace")
    except LookupError:
        return None


def html_to_text(html: str) -> str:
    """The minutes text of an HTML page: one line per block, navigation and scripts left out."""
    parser = _Minutes()
    parser.feed(html)
    parser.close()
    parts = parser.in_main if parser.saw_main and "".join(parser.in_main).strip() else parser.all
    lines = [re.sub(r"[ \t\r\f\v]+", " ", ln).strip(" ") for ln in "".join(parts).split("\n")]
    return "\n".join(ln for ln in lines if ln.strip(" \u3000")) + "\n"


def looks_like_html(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html"))
