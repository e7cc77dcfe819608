"""Agenda items named by their title: 「先端技術を守り育てる仕組みの論点で出た意見は？」.

A question that points at an agenda item ("論点", "議題", "issue", "topic" …) without giving its
number may paraphrase the item's title. Each title of the corpus is compared with the question by
IDF-weighted token overlap: the harmonic mean of the share of the title's weight that the question
covers and the share of the question's weight (frame words like 論点/意見 left out) that the title
covers. The best title counts as named when it reaches `MIN_SHARE` and leads the runner-up by
`MIN_LEAD`. The
pipeline then treats its remarks like those of an item named by number (the topic bonus).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

_CUE_RE = re.compile(r"論点|議題|テーマ|項目|アジェンダ|\b(?:issue|topic|agenda|item|theme|heading)s?\b")
# Words that frame a question about an agenda item rather than say which one (Sudachi normalized forms).
_FRAME = frozenset(
    (
        "論点",
        "議題",
        "テーマ",
        "項目",
        "アジェンダ",
        "意見",
        "発言",
        "議論",
        "出る",
        "出す",
        "述べる",
        "issue",
        "topic",
        "agenda",
        "item",
        "theme",
        "heading",
        "opinion",
        "view",
        "discussed",
        "raised",
    )
)
MIN_SHARE = 0.5
MIN_LEAD = 0.1


class TopicMatcher:
    """Titles of the corpus's agenda items, tokenized, with token weights from the remarks."""

    def __init__(self, titles: Mapping[str, Sequence[str]], remark_tokens: Iterable[Iterable[str]]) -> None:
        df: Counter[str] = Counter()
        n = 0
        for tokens in remark_tokens:
            df.update(set(tokens))
            n += 1
        self._df: Callable[[str], int] = lambda t: df.get(t, 0)
        self._n = n
        self._idf: dict[str, float] = {}
        self.titles = {title: frozenset(tokens) for title, tokens in titles.items() if tokens}

    @classmethod
    def with_counts(
        cls, titles: Mapping[str, Sequence[str]], df: Callable[[str], int], n: int
    ) -> TopicMatcher:
        """Token weights from a document-frequency function over ``n`` remarks (the BM25 index's)."""
        matcher = cls(titles, [])
        matcher._df, matcher._n = df, n
        return matcher

    def weight(self, token: str) -> float:
        w = self._idf.get(token)
        if w is None:
            c = self._df(token)
            # a title word no remark uses weighs most
            w = math.log(1.0 + (self._n + 1) / (c + 1)) if c else math.log(2.0 + self._n)
            self._idf[token] = w
        return w

    def share(self, question_tokens: Iterable[str], title: str) -> float:
        """Harmonic mean of the weighted shares of the title covered by the question and vice versa."""
        words = self.titles[title]
        asked = set(question_tokens) - _FRAME
        common = sum(self.weight(t) for t in words & asked)
        if not common:
            return 0.0
        of_title = common / sum(self.weight(t) for t in words)
        of_question = common / sum(self.weight(t) for t in asked)
        return 2 * of_title * of_question / (of_title + of_question)

    def named(self, question: str, question_tokens: Sequence[str]) -> frozenset[str]:
        """The title the question names, if it names one (empty otherwise)."""
        if not self.titles or not _CUE_RE.search(question):
            return frozenset()
        ranked = sorted(((self.share(question_tokens, t), t) for t in self.titles), reverse=True)
        best, title = ranked[0]
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        if best >= MIN_SHARE and best - runner_up >= MIN_LEAD:
            return frozenset({title})
        return frozenset()


def has_cue(question: str) -> bool:
    """Whether the question points at an agenda item (only then are titles compared)."""
    return bool(_CUE_RE.search(question))
