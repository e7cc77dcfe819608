"""Page artifacts and line joining.

`clean_pages` turns raw page texts into non-empty `Line`s tagged with their 1-based page, without
page labels (資料８ alone on a line), page numbers (`- 1 -`, `1/7`, `１`) and running headers or
footers repeated on most pages. `join_lines` glues lines broken inside a sentence: no space between
Japanese characters, one space between Latin words or digits ("RAND\n研究所" → "RAND研究所",
"public\npolicy" → "public policy").
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

_LINE_SPLIT = re.compile(r"\r\n|\r|\n")
_PAGE_ARTIFACTS = [
    re.compile(r"^[-‐‑–—―−~〜]*\s*[0-9]{1,4}\s*[-‐‑–—―−~〜]*$"),  # 1, - 1 -, －１－
    re.compile(r"^[0-9]{1,4}\s*/\s*[0-9]{1,4}$"),  # 1/7
    re.compile(r"^(?:p|page)\.?\s*[0-9]{1,4}(?:\s*/\s*[0-9]{1,4})?$", re.IGNORECASE),
    re.compile(r"^第?[0-9]{1,4}\s*(?:頁|ページ)$"),
    re.compile(r"^(?:資料|参考資料|別紙|別添)\s*[0-9]{1,3}(?:\s*[-‐－の]\s*[0-9]{1,3})?$"),  # 資料８, 資料1-2
]
_SPACES = re.compile(r"[ \t\u00a0]+")
_DIGITS = re.compile(r"[0-9]+")
_LATIN_END = re.compile(r"[A-Za-z0-9.,;:!?%)\]]$")
_LATIN_START = re.compile(r"^[A-Za-z0-9(\[]")


@dataclass(frozen=True)
class Line:
    page: int  # 1-based
    text: str  # stripped, runs of ASCII spaces collapsed to one
    indented: bool = False  # the raw line began with an ideographic space (a new paragraph)


def is_page_artifact(text: str) -> bool:
    """True for a line that is only a page number or a page label such as 資料８."""
    folded = unicodedata.normalize("NFKC", text).strip()
    return any(rx.match(folded) for rx in _PAGE_ARTIFACTS)


def _split_lines(page: str) -> list[str]:
    return [raw for raw in _LINE_SPLIT.split(page) if raw.strip()]


def _running_keys(pages: list[list[str]]) -> set[str]:
    """Lines found among the first or last two lines of most pages (digits ignored): running headers."""
    if len(pages) < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        edge = {_DIGITS.sub("#", unicodedata.normalize("NFKC", ln).strip()) for ln in lines[:2] + lines[-2:]}
        counts.update(edge)
    needed = max(2, len(pages) // 2)  # the first page often carries the title instead
    return {key for key, n in counts.items() if n >= needed and key}


def clean_pages(pages: list[str]) -> list[Line]:
    """Non-empty lines of all pages with page numbers, page labels and running headers removed."""
    split = [[ln for ln in _split_lines(page) if not is_page_artifact(ln)] for page in pages]
    running = _running_keys(split)
    result: list[Line] = []
    for number, lines in enumerate(split, start=1):
        for index, raw in enumerate(lines):
            at_edge = index < 2 or index >= len(lines) - 2
            if (
                running
                and at_edge
                and _DIGITS.sub("#", unicodedata.normalize("NFKC", raw).strip()) in running
            ):
                continue
            text = _SPACES.sub(" ", raw.strip(" \t\u00a0\u3000\ufeff"))
            if not text:
                continue
            result.append(Line(page=number, text=text, indented=raw.lstrip(" \t").startswith("\u3000")))
    return result


def separator(left: str, right: str) -> str:
    """What goes between two lines broken inside a sentence: " " between Latin words, else nothing."""
    if left and right and _LATIN_END.search(left) and _LATIN_START.match(right):
        return " "
    return ""


def join_lines(parts: list[str]) -> str:
    """Join wrapped lines into one string (see `separator`)."""
    out = ""
    for part in parts:
        out = out + separator(out, part) + part if out else part
    return out
