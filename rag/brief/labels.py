"""Japanese and English labels for the evidence brief; quotes themselves are never translated."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from rag.errors import InputError

LANGS = ("ja", "en")

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True)
class Labels:
    lang: str
    title: str
    question: str
    evidence: str
    confidence: str
    sources: str
    no_evidence: str
    speaker: str
    no_topic: str
    topic: str
    document: str
    summary: str  # format string: {questions} {answered} {evidence}
    see: str  # format string: {ref}
    page_one: str  # format string: {pages}
    page_many: str
    context: str = "Context (not evidence)"  # heading of the neighbouring remarks beside a quote
    before: str = "before"
    after: str = "after"

    def question_heading(self, number: int, text: str) -> str:
        sep = "：" if self.lang == "ja" else ": "
        return f"{self.question} {number}{sep}{text}"

    def session(self, n: int) -> str:
        return f"第{n}回" if self.lang == "ja" else f"Session {n}"

    def date(self, iso: str | None) -> str | None:
        """2021-12-09 → 2021年12月9日 / 9 December 2021; other strings unchanged."""
        if not iso:
            return None
        parts = iso.split("-")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            return iso
        year, month, day = (int(p) for p in parts)
        if not 1 <= month <= 12:
            return iso
        if self.lang == "ja":
            return f"{year}年{month}月{day}日"
        return f"{day} {_MONTHS[month - 1]} {year}"

    def pages(self, pages: tuple[int, ...]) -> str | None:
        if not pages:
            return None
        if len(pages) == 1:
            return self.page_one.format(pages=pages[0])
        low, high = min(pages), max(pages)
        return self.page_many.format(pages=f"{low}–{high}")

    def speaker_text(self, speaker: str | None) -> str | None:
        """「発言者: 青木」 / "Speaker: Aoki"; None for the anonymous ○ remarks of 議事要旨."""
        return f"{self.speaker}: {speaker}" if speaker else None

    def topic_text(self, topic: str | None) -> str:
        return topic or self.no_topic

    def confidence_text(self, value: float) -> str:
        return f"{self.confidence} {value:.2f}"

    def reference(self, ref: str, confidence: float) -> str:
        """「→ [E3] を参照（信頼度 0.71）」 / "→ see [E3] (Confidence 0.71)"."""
        see, conf = self.see.format(ref=ref), self.confidence_text(confidence)
        return f"{see}（{conf}）" if self.lang == "ja" else f"{see} ({conf})"

    def quoted(self, sentences: list[str]) -> str:
        """Highlighted sentences after a reference: "：「…」" / ": “…”"; empty when there are none."""
        if not sentences:
            return ""
        joined = " … ".join(sentences)
        return f"：「{joined}」" if self.lang == "ja" else f": “{joined}”"

    def context_line(self, position: str, speaker: str | None, role: str | None, pages: tuple[int, ...]) -> str:
        """「〔前〕発言者: 青木 · 2頁」 / "[before] Speaker: Aoki · p. 2" for a context remark."""
        where = self.before if position == "before" else self.after
        who = self.speaker_text(speaker) or (f"{self.speaker}: {role}" if role else None)
        tag = f"〔{where}〕" if self.lang == "ja" else f"[{where}]"
        return " · ".join(x for x in (tag, who, self.pages(pages)) if x)

    def meeting_line(self, title: str, session: int | None, date: str | None) -> str:
        """The meeting as headings and the source list name it: title, session, date."""
        # the title often names the session already (…（第１回）…): say it once
        named = session is not None and self.session(session) in unicodedata.normalize("NFKC", title)
        details = [
            d for d in (None if session is None or named else self.session(session), self.date(date)) if d
        ]
        if not details:
            return title
        sep = "・" if self.lang == "ja" else ", "
        return f"{title}（{sep.join(details)}）" if self.lang == "ja" else f"{title} ({sep.join(details)})"


_JA = Labels(
    lang="ja",
    title="ブリーフィング資料：質問と根拠",
    question="質問",
    evidence="根拠",
    confidence="信頼度",
    sources="出典",
    no_evidence="該当する発言は見つかりませんでした",
    speaker="発言者",
    no_topic="（論点なし）",
    topic="論点",
    document="文書",
    summary="質問 {questions} 件（根拠あり {answered} 件）、根拠となる発言 {evidence} 件",
    see="→ [{ref}] を参照",
    page_one="{pages}頁",
    page_many="{pages}頁",
    context="前後の発言（文脈。根拠ではありません）",
    before="前",
    after="後",
)

_EN = Labels(
    lang="en",
    title="Briefing: questions and evidence",
    question="Question",
    evidence="Evidence",
    confidence="Confidence",
    sources="Sources",
    no_evidence="No supporting remarks found",
    speaker="Speaker",
    no_topic="(no topic)",
    topic="Topic",
    document="Document",
    summary="{questions} questions ({answered} with evidence), {evidence} supporting remarks",
    see="→ see [{ref}]",
    page_one="p. {pages}",
    page_many="pp. {pages}",
)


def get_labels(lang: str) -> Labels:
    """Labels for ``lang`` ("ja" or "en"); InputError otherwise."""
    if lang == "ja":
        return _JA
    if lang == "en":
        return _EN
    raise InputError(f"Unknown language {lang!r}: use one of {', '.join(LANGS)}.")
