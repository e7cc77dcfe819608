"""Questions → evidence pack: each question with the remarks that support it, grouped by meeting and topic.

A remark that serves several questions is quoted once (where it first appears, numbered [E1], [E2] … in
reading order) and referenced elsewhere. A question the service cannot answer, or whose hits all fall below
the confidence bar, is listed without evidence: the pack is never padded with weak hits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from rag.brief.labels import get_labels
from rag.context import MAX_CONTEXT
from rag.errors import InputError, NotFoundError
from rag.types import Citation, Filters, Highlight, Hit, SearchResult

log = logging.getLogger(__name__)

MAX_QUESTIONS = 50


class SearchService(Protocol):
    """What the builder needs from ``rag.service.RagService``."""

    def search(
        self, question: str, *, k: int | None = None, filters: Filters | None = None
    ) -> SearchResult: ...


@dataclass(frozen=True)
class ContextRemark:
    """A neighbouring remark quoted beside the evidence to show its context; it is not evidence itself."""

    remark_id: str
    position: str  # "before" or "after" the quoted remark
    text: str
    speaker: str | None
    role: str | None
    pages: tuple[int, ...]


@dataclass(frozen=True)
class Evidence:
    """One remark, quoted in full exactly as the source has it."""

    ref: str  # E1, E2 … in reading order
    remark_id: str
    text: str
    citation: Citation
    context: tuple[ContextRemark, ...] = ()  # neighbours, in document order, when the pack asks for them


@dataclass(frozen=True)
class EvidenceUse:
    """One remark as it supports one question: that question's confidence and highlighted sentences."""

    ref: str
    remark_id: str
    confidence: float
    highlights: tuple[Highlight, ...]
    first: bool  # True where the remark is quoted in full; False → "see [ref]"


@dataclass(frozen=True)
class EvidenceGroup:
    """The evidence for one question from one topic of one meeting."""

    document: str
    title: str
    session: int | None
    date: str | None
    topic: str | None
    uses: tuple[EvidenceUse, ...]


@dataclass(frozen=True)
class QuestionEvidence:
    number: int  # 1-based
    question: str
    answerable: bool  # the service's verdict
    groups: tuple[EvidenceGroup, ...]

    @property
    def has_evidence(self) -> bool:
        return bool(self.groups)

    @property
    def uses(self) -> tuple[EvidenceUse, ...]:
        return tuple(use for group in self.groups for use in group.uses)


@dataclass(frozen=True)
class Source:
    """A cited meeting, for the source list."""

    document: str
    title: str
    session: int | None
    date: str | None
    remarks: int  # how many distinct remarks of it the pack quotes


@dataclass(frozen=True)
class EvidencePack:
    lang: str
    k: int
    questions: tuple[QuestionEvidence, ...]
    evidence: tuple[Evidence, ...]  # every quoted remark once, in ref order
    sources: tuple[Source, ...]  # cited meetings by date, then document
    model: str | None = None
    filters: Filters | None = None
    min_confidence: float | None = None  # the bar hits had to reach
    context: int = 0  # neighbouring remarks quoted on either side of each quote, as context

    def get(self, ref: str) -> Evidence:
        for item in self.evidence:
            if item.ref == ref:
                return item
        raise KeyError(ref)

    @property
    def answered(self) -> int:
        return sum(1 for q in self.questions if q.has_evidence)


def highlight_segments(text: str, highlights: tuple[Highlight, ...]) -> list[tuple[str, bool]]:
    """Split ``text`` into (segment, highlighted) pieces; overlapping or out-of-range highlights are merged/clipped."""
    marks: list[tuple[int, int]] = []
    for h in sorted(highlights, key=lambda h: (h.start, h.end)):
        start, end = max(0, h.start), min(len(text), h.end)
        if start >= end:
            continue
        if marks and start <= marks[-1][1]:
            marks[-1] = (marks[-1][0], max(marks[-1][1], end))
        else:
            marks.append((start, end))
    pieces: list[tuple[str, bool]] = []
    pos = 0
    for start, end in marks:
        if start > pos:
            pieces.append((text[pos:start], False))
        pieces.append((text[start:end], True))
        pos = end
    if pos < len(text):
        pieces.append((text[pos:], False))
    return pieces


def highlighted_sentences(text: str, highlights: tuple[Highlight, ...]) -> list[str]:
    """The highlighted parts of ``text``, each on one line, for a "see [E1]" reference."""
    return [
        " ".join(seg.split())
        for seg, marked in highlight_segments(text, highlights)
        if marked and seg.strip()
    ]


def _ordinal(remark_id: str) -> int:
    """Position of the remark in its document (ids are ``document#ordinal``); unknown ones sort last."""
    _, _, tail = remark_id.rpartition("#")
    return int(tail) if tail.isdigit() else 1 << 30


def _meeting_key(c: Citation) -> tuple[str, str]:
    return (c.date or "9999-99-99", c.document)


def _kept_hits(result: SearchResult, min_confidence: float | None) -> list[Hit]:
    """The hits worth quoting: none for an unanswerable question, then only those at or above the bar."""
    if not result.answerable:
        return []
    kept: dict[str, Hit] = {}
    for hit in result.hits:
        if min_confidence is not None and hit.confidence < min_confidence:
            continue
        if hit.remark_id not in kept:  # one remark, one item: the first (best-ranked) hit wins
            kept[hit.remark_id] = hit
    return list(kept.values())


def _group(hits: list[Hit]) -> list[tuple[tuple[str, str | None], list[Hit]]]:
    """Hits grouped by (document, topic): meetings by date, topics and remarks in document order."""
    groups: dict[tuple[str, str | None], list[Hit]] = {}
    for hit in hits:
        groups.setdefault((hit.citation.document, hit.citation.topic), []).append(hit)
    for members in groups.values():
        members.sort(key=lambda h: _ordinal(h.remark_id))
    return sorted(
        groups.items(),
        key=lambda item: (_meeting_key(item[1][0].citation), _ordinal(item[1][0].remark_id)),
    )


def service_threshold(service: object) -> float | None:
    """The confidence at which the service calls a search answerable, when it tells: ``answer_threshold``,
    else the retriever's calibrated confidence model; None when neither exists (then only ``min_confidence`` filters)."""
    value = getattr(service, "answer_threshold", None)
    if value is None:
        calibration = getattr(getattr(service, "retriever", None), "calibration", None)
        value = getattr(getattr(calibration, "confidence", None), "threshold", None)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _clean_questions(questions: Sequence[str]) -> list[str]:
    if isinstance(questions, str):
        raise InputError("Pass the questions as a list of strings, not one string.")
    cleaned: list[str] = []
    for i, q in enumerate(questions, 1):
        if not isinstance(q, str) or not q.strip():
            raise InputError(f"Question {i} is empty or not text: give each question as a non-empty string.")
        cleaned.append(q.strip())
    if not cleaned:
        raise InputError("No questions given: pass at least one question.")
    if len(cleaned) > MAX_QUESTIONS:
        raise InputError(
            f"{len(cleaned)} questions given: a brief takes at most {MAX_QUESTIONS}; split the list."
        )
    return cleaned


def build_pack(
    service: SearchService,
    questions: Sequence[str],
    *,
    k: int = 5,
    lang: str = "ja",
    filters: Filters | None = None,
    min_confidence: float | None = None,
    context: int = 0,
) -> EvidencePack:
    """Search every question and assemble the evidence pack.

    A question the service finds unanswerable gets no evidence; otherwise hits below ``min_confidence``
    (default: the service's answerable threshold) are dropped, and each question keeps at most ``k``
    remarks. Raises InputError for bad arguments; the service's errors pass through.
    """
    get_labels(lang)  # validates lang
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InputError(f"k must be a positive integer, got {k!r}.")
    if min_confidence is not None and not 0.0 <= min_confidence <= 1.0:
        raise InputError(f"min_confidence must lie between 0 and 1, got {min_confidence!r}.")
    if isinstance(context, bool) or not isinstance(context, int) or not 0 <= context <= MAX_CONTEXT:
        raise InputError(f"context must be a whole number from 0 to {MAX_CONTEXT}, got {context!r}.")
    cleaned = _clean_questions(questions)
    bar = min_confidence if min_confidence is not None else service_threshold(service)

    evidence: dict[str, Evidence] = {}  # remark_id → evidence, in ref order
    answers: list[QuestionEvidence] = []
    model: str | None = None
    for number, question in enumerate(cleaned, 1):
        result = service.search(question, k=k, filters=filters)
        model = model or result.model
        hits = _kept_hits(result, bar)[:k]
        log.debug(
            "brief question %d: answerable=%s, %d of %d hits kept",
            number,
            result.answerable,
            len(hits),
            len(result.hits),
        )
        groups: list[EvidenceGroup] = []
        for (document, topic), members in _group(hits):
            uses: list[EvidenceUse] = []
            for hit in members:
                first = hit.remark_id not in evidence
                if first:
                    ref = f"E{len(evidence) + 1}"
                    evidence[hit.remark_id] = Evidence(
                        ref, hit.remark_id, hit.text, hit.citation, _context(service, hit.remark_id, context)
                    )
                uses.append(
                    EvidenceUse(
                        evidence[hit.remark_id].ref, hit.remark_id, hit.confidence, hit.highlights, first
                    )
                )
            c = members[0].citation
            groups.append(EvidenceGroup(document, c.title, c.session, c.date, topic, tuple(uses)))
        answers.append(QuestionEvidence(number, question, result.answerable, tuple(groups)))

    return EvidencePack(
        lang=lang,
        k=k,
        questions=tuple(answers),
        evidence=tuple(evidence.values()),
        sources=_sources(evidence.values()),
        model=model,
        filters=filters,
        min_confidence=bar,
        context=context,
    )


def _sources(items: Iterable[Evidence]) -> tuple[Source, ...]:
    by_doc: dict[str, tuple[Citation, int]] = {}
    for item in items:
        c = item.citation
        first, count = by_doc.get(c.document, (c, 0))
        by_doc[c.document] = (first, count + 1)
    ordered = sorted(by_doc.values(), key=lambda pair: _meeting_key(pair[0]))
    return tuple(Source(c.document, c.title, c.session, c.date, n) for c, n in ordered)


def _context(service: object, remark_id: str, n: int) -> tuple[ContextRemark, ...]:
    """Up to ``n`` remarks on either side of ``remark_id`` (same document), from ``service.remark_context``."""
    if n == 0:
        return ()
    lookup = getattr(service, "remark_context", None)
    if lookup is None:
        raise InputError("this service cannot give the context of a remark: build the pack with context=0")
    try:
        ctx = lookup(remark_id, n, n)
    except NotFoundError:
        log.warning("no context for %s: not in the index", remark_id)
        return ()
    return tuple(
        ContextRemark(
            r.id, "before" if r.ordinal < ctx.ordinal else "after", r.text, r.speaker, r.role, r.pages
        )
        for r in ctx.remarks
        if r.ordinal != ctx.ordinal
    )
