"""Answer pairs: for a question about a response (「…に対する答弁は」, "how did the minister answer …"), offer
the remark that answers each top hit (the next remark by another speaker under the same agenda item) right
after it. A separate, optional step after retrieval (Settings.answer_pairs, off by default: see README)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import replace

from rag.context import answering_remark, citation
from rag.errors import NotFoundError
from rag.types import Hit, ParsedDocument, SearchResult

log = logging.getLogger(__name__)

_RESPONSE_JA = re.compile(r"答弁|答え|回答|返答|応答|応じ|答えた|答申?を")
_RESPONSE_EN = re.compile(r"\b(answer(ed|s)?|respond(ed|s)?|response|repl(y|ied|ies))\b", re.IGNORECASE)


def asks_for_response(question: str) -> bool:
    """True when the question asks how someone answered (Japanese or English cue words)."""
    return bool(_RESPONSE_JA.search(question) or _RESPONSE_EN.search(question))


def add_answer_pairs(
    result: SearchResult, get_document: Callable[[str], ParsedDocument], *, top: int = 3
) -> SearchResult:
    """Insert after each of the ``top`` first hits its answering remark (when it exists and is not listed
    before it); the list keeps its length, so a pair displaces the lowest hits. The answer carries the
    question hit's score and confidence, and no highlights."""
    if not result.hits:
        return result
    docs: dict[str, ParsedDocument | None] = {}
    out: list[Hit] = []
    seen: set[str] = set()
    for rank, hit in enumerate(result.hits):
        if hit.remark_id in seen:
            continue
        out.append(hit)
        seen.add(hit.remark_id)
        if rank >= top:
            continue
        document = hit.citation.document
        if document not in docs:
            try:
                docs[document] = get_document(document)
            except NotFoundError:
                docs[document] = None
        doc = docs[document]
        ordinal = _ordinal(hit.remark_id)
        if doc is None or ordinal is None:
            continue
        answer = answering_remark(doc, ordinal)
        if answer is None or answer.id in seen:
            continue
        out.append(
            Hit(
                remark_id=answer.id,
                text=answer.text,
                score=hit.score,
                confidence=hit.confidence,
                citation=citation(doc, answer),
                highlights=(),
            )
        )
        seen.add(answer.id)
    timings = dict(result.timings_ms)
    return replace(result, hits=out[: len(result.hits)], timings_ms=timings)


def _ordinal(remark_id: str) -> int | None:
    _, _, tail = remark_id.rpartition("#")
    return int(tail) if tail.isdigit() else None
