"""English → Japanese glossary: lets the lexical leg of an English question match Japanese remarks.

e5-small's English question vector often misses a Japanese remark that names the thing outright
("RIKEN and AIST" vs 理研や産総研, "gyroscopes" vs ジャイロ). The glossary maps English policy terms
to the Japanese words minutes use; the matched terms are tokenized like the remarks and added to the
question's BM25 tokens. Its entries live in `glossary_en_ja.tsv` (next to this file); users add their
own file (same format) with ``RAG_GLOSSARY``.

Matching is on whole words after lower-casing, with plural endings folded (agencies → agency,
labs → lab), longest phrase first, left to right; a word belongs to at most one match.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.errors import InputError
from rag.normalize import search_key

logger = logging.getLogger(__name__)

BUILTIN_PATH = Path(__file__).with_name("glossary_en_ja.tsv")
_WORD_RE = re.compile(r"[a-z0-9]+(?:[&.'][a-z0-9]+)*")  # hyphens split: economic-security = economic security
_KEEP_S = ("ss", "us", "is")
# Words of the question's frame, not its topic: they never count towards coverage. `is_content_word` sees folded
# words, so the set holds the folded forms (written out, "does" would miss its folded "doe").
_FRAME_LIST = (
    """a about after all also an and any anyone are as at be been before being between but by can could did do does
    for from had has have how i if in into is it its may me might more most much my no not of on or other our over
    say said should so some such than that the their them there these they this those to under up very was we were
    what when where whether which while who whom why will with would you your
    member mention mentioned discus discussed discussion talk talked raise raised point view think thought comment
    remark suggest suggested propose proposed argue argued meeting session minute opinion idea
    """.split()
)


def fold_word(word: str) -> str:
    """Singular-ish form of one lower-case English word: agencies → agency, labs → lab, analysis stays."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(_KEEP_S):
        return word[:-1]
    return word


_FRAME_WORDS = frozenset(fold_word(w) for w in _FRAME_LIST)


def words_of(text: str) -> list[str]:
    """Folded English words of a text (NFKC, lower case, plural endings folded)."""
    return [fold_word(w) for w in _WORD_RE.findall(search_key(text))]


def is_content_word(word: str) -> bool:
    """Whether a folded English word names something (not the question's frame, not a number)."""
    return word.isalpha() and len(word) > 1 and word not in _FRAME_WORDS


@dataclass(frozen=True)
class Match:
    start: int  # word positions [start, end) in `Expansion.words`
    end: int
    phrase: str
    terms: tuple[str, ...]  # the Japanese terms the phrase maps to


@dataclass(frozen=True)
class Expansion:
    """What the glossary found in one question."""

    words: tuple[str, ...]
    matches: tuple[Match, ...]


class Glossary:
    """Phrase → Japanese terms, matched longest first."""

    def __init__(self, entries: dict[tuple[str, ...], tuple[str, ...]]) -> None:
        self.entries = entries
        self.longest = max((len(k) for k in entries), default=0)

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def load(cls, paths: Iterable[Path]) -> Glossary:
        """Read glossary files in order; a later file's entry for the same phrase adds its terms."""
        entries: dict[tuple[str, ...], tuple[str, ...]] = {}
        for path in paths:
            for key, terms in _read(path):
                entries[key] = tuple(dict.fromkeys((*entries.get(key, ()), *terms)))
        return cls(entries)

    def expand(self, text: str) -> Expansion:
        words = words_of(text)
        matches: list[Match] = []
        i = 0
        while i < len(words):
            for n in range(min(self.longest, len(words) - i), 0, -1):
                key = tuple(words[i : i + n])
                terms = self.entries.get(key)
                if terms is not None:
                    matches.append(Match(i, i + n, " ".join(key), terms))
                    i += n
                    break
            else:
                i += 1
        return Expansion(tuple(words), tuple(matches))


def _read(path: Path) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(
            f"Cannot read the glossary {path}: {exc.strerror}. Fix RAG_GLOSSARY or remove it."
        ) from exc
    out: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        english, sep, japanese = line.partition("\t")
        key = tuple(words_of(english))
        terms = tuple(t.strip() for t in japanese.split("|") if t.strip())
        if not sep or not key or not terms:
            raise InputError(f"{path}:{number}: expected 'english phrase<TAB>日本語|日本語', got {raw!r}.")
        out.append((key, terms))
    return out


def load_glossary(extra: Sequence[Path] = ()) -> Glossary:
    """The built-in glossary plus the user's files (RAG_GLOSSARY)."""
    glossary = Glossary.load([BUILTIN_PATH, *extra])
    logger.debug("glossary: %d phrases", len(glossary))
    return glossary
