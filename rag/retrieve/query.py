"""Question handling: validation, width folding, language detection and years named in a question.

Era years (「令和３年の会合で…」) become Western years that the pipeline uses as a *soft* date
preference: remarks from meetings held in that year get a small score bonus. A hard filter would
drop every hit when the user misremembers the year, and adding "2021" to the query text would not
help either leg, because remark texts almost never repeat their meeting's date.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rag.errors import InputError
from rag.normalize import search_key
from rag.parse.era import find_dates

_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u30fc]")
_LATIN_RE = re.compile(r"[A-Za-z]")
_ERA_NAME_RE = re.compile(r"明治|大正|昭和|平成|令和|[MTSHR]\d")
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
}
_NUM_EN = r"(\d{1,2}|" + "|".join(_ORDINALS) + r")(?:st|nd|rd|th)?"
_TOPIC_JA_RE = re.compile(r"(?:論点|議題|テーマ)\s*(?:第\s*)?(\d{1,2})|第\s*(\d{1,2})\s*(?:の)?(?:論点|議題)")
_TOPIC_EN_RE = re.compile(
    rf"\b{_NUM_EN}\s+(?:issue|topic|agenda item|point)\b|\b(?:issue|topic|agenda item|point)\s+(?:no\.?\s*)?{_NUM_EN}\b"
)


@dataclass(frozen=True)
class Query:
    """A validated question with what the legs need to know about it."""

    text: str  # the question as asked, stripped
    folded: str  # NFKC width-folded form (full-width digits/letters → ASCII)
    lang: str  # "ja" or "en"
    years: tuple[int, ...]  # Western years named in the question (era years converted)
    months: tuple[tuple[int, int], ...] = ()  # (year, month) pairs when the question names a month
    undated: str = ""  # folded text without era-date mentions (令和3年 never occurs in remark text)
    topics: tuple[int, ...] = ()  # agenda items named by number: 論点③, "the third issue" → 3


def fold_width(text: str) -> str:
    """Full-width/half-width folding (NFKC) and lower-casing: ＡＩ → ai, ３ → 3, ｶﾞ → ガ."""
    return search_key(text)


MODES = ("dense", "lexical", "hybrid")


def validate_options(k: object, mode: str, max_k: int) -> None:
    """Raise InputError unless ``k`` is a whole number in 1..max_k and ``mode`` one of MODES."""
    if mode not in MODES:
        raise InputError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= max_k:
        raise InputError(f"k must be a whole number from 1 to {max_k}, got {k!r}")


def validate_question(question: object, max_chars: int = 1000) -> str:
    """Return the stripped question; raise InputError when it is not a usable question."""
    if not isinstance(question, str):
        raise InputError(f"The question must be text, got {type(question).__name__}; pass a string.")
    stripped = question.strip()
    if not stripped:
        raise InputError(
            "The question is empty; type a question, e.g. 「スタートアップの資金調達の課題は？」."
        )
    if len(stripped) > max_chars:
        raise InputError(
            f"The question is {len(stripped)} characters long; the limit is {max_chars}. "
            "Shorten it to the point you want answered."
        )
    return stripped


def detect_language(text: str) -> str:
    """ "ja" when the text has Japanese script (kana/kanji), at least a quarter of its letters; else "en"."""
    cjk = len(_CJK_RE.findall(text))
    latin = len(_LATIN_RE.findall(unicodedata.normalize("NFKC", text)))
    if cjk == 0:
        return "en"
    # A Japanese question may quote Latin names (DARPA, RAND); an English one may quote a kanji term.
    # Each CJK character carries roughly a word's worth of meaning, a Latin letter a fifth of one.
    return "ja" if cjk * 5 >= latin else "en"


def era_years(text: str) -> tuple[int, ...]:
    """Western years named in the text: 令和３年 → 2021, 平成元年 → 1989, 2021年 / in 2021 → 2021."""
    return tuple(dict.fromkeys(d.year for d in find_dates(text)))


def topic_numbers(folded: str) -> tuple[int, ...]:
    """Agenda items named by number in a width-folded, lower-cased question.

    論点③ / 論点3 / 第3の論点 → 3; "the third issue", "issue 3", "topic two" → 3, 3, 2.
    (NFKC folds the circled ③ into 3.)
    """
    found: list[int] = []
    for m in _TOPIC_JA_RE.finditer(folded):
        found.append(int(m.group(1) or m.group(2)))
    for m in _TOPIC_EN_RE.finditer(folded):
        word = m.group(1) or m.group(2)
        found.append(int(word) if word.isdigit() else _ORDINALS[word])
    return tuple(dict.fromkeys(found))


def parse_query(question: object, max_chars: int = 1000) -> Query:
    """Validate and analyse a question."""
    text = validate_question(question, max_chars)
    folded = fold_width(text)
    dates = find_dates(folded)
    undated = folded
    for d in reversed(dates):  # offsets are into the NFKC text, which `folded` already is
        if _ERA_NAME_RE.search(d.text):  # era dates never occur in remark text; Western years may ("2025年")
            undated = undated[: d.start] + " " + undated[d.end :]
    return Query(
        text=text,
        folded=folded,
        lang=detect_language(folded),
        years=tuple(dict.fromkeys(d.year for d in dates)),
        months=tuple(dict.fromkeys((d.year, d.month) for d in dates if d.month is not None)),
        undated=undated,
        topics=topic_numbers(folded),
    )
