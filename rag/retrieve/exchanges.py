"""Question → answer exchanges in speaker-named minutes, and the ranking stage that puts an answer above the
question it answers.

In an assembly's 会議録 a member's question (`○三十番（…君）　…について伺います`) restates the topic in the
words an analyst asks with, so it outranks the official's answer (`○知事（…君）`, `○福祉局長（…君）`), which is
what the analyst wants. An exchange is read from the speakers alone: a member's remark that asks something, then
the remarks that follow it in the same document by speakers who are neither members nor the chair, up to the next
member's remark (the chair's calls in between are skipped). Anonymous 議事要旨 have no exchanges.

`answer_links` finds the exchanges of the candidates (serving and tuning both call it through
`Retriever.candidates`); `link_answers` is the ranking stage: for each question remark in the head, the
answer of its exchange that the dense leg scores best for the question is moved just above it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from rag.types import StoredRemark

LIFT = 1e-5  # how far above its question a moved answer's relevance goes (hit scores keep 6 decimals)
WINDOW = 24  # remarks after a question searched for its answers (a chair call before each answer)
_CHAIR = re.compile(r"^(副|仮)?(議|委員|小委員|分科会|部会|会|座)?長(代理)?$")
_MEMBER = re.compile(r"(委員|構成員|議員|番)$")
# the forms in which a member puts a question to the officials (伺います, お尋ねします, 答弁を求めます …); a bare
# 「…はどうでしょうか」 is how council members make a suggestion, and the remark after it answers someone else
_ASKS = re.compile(r"伺い|お尋ね|尋ねいた|質問いた|質問しま|お聞きし|答弁を|見解を|お示し|お答え(?:くだ|願|いただ)|教えてくだ")


def is_chair(remark: StoredRemark) -> bool:
    return bool(remark.role and _CHAIR.match(remark.role))


def is_member(remark: StoredRemark) -> bool:
    """A member of the body: a seat number (三十番), 委員, 議員, 構成員, or a named speaker with no office
    (the Diet's `○山田太郎君`)."""
    if remark.speaker is None and remark.role is None:
        return False
    if remark.role is None:
        return True
    return not is_chair(remark) and bool(_MEMBER.search(remark.role))


def is_question(remark: StoredRemark) -> bool:
    """A member's remark that asks something."""
    return is_member(remark) and bool(_ASKS.search(remark.text))


def answers_after(question: StoredRemark, following: Sequence[StoredRemark]) -> list[str]:
    """Ids of the remarks answering ``question``, given the remarks that follow it in order: those by
    speakers who are neither the chair nor a member, up to the next member's remark."""
    out: list[str] = []
    for remark in following:
        if is_member(remark):
            break
        if not is_chair(remark) and (remark.speaker is not None or remark.role is not None):
            out.append(remark.remark_id)
    return out


def answer_links(
    remarks: Mapping[str, StoredRemark],
    fetch: Callable[[Sequence[str]], Mapping[str, StoredRemark]],
    *,
    window: int = WINDOW,
) -> dict[str, tuple[str, ...]]:
    """Question remark id → the ids of its answers, for each question among ``remarks``; ``fetch`` reads
    remarks by id (missing ids left out), as `IndexStore.remarks` does."""
    questions = [r for r in remarks.values() if is_question(r)]
    if not questions:
        return {}
    wanted = [f"{q.document}#{q.ordinal + j}" for q in questions for j in range(1, window + 1)]
    found = dict(remarks)
    found.update(fetch([rid for rid in dict.fromkeys(wanted) if rid not in found]))
    links: dict[str, tuple[str, ...]] = {}
    for q in questions:
        following: list[StoredRemark] = []
        for j in range(1, window + 1):
            nxt = found.get(f"{q.document}#{q.ordinal + j}")
            if nxt is None:
                break
            following.append(nxt)
        answers = answers_after(q, following)
        if answers:
            links[q.remark_id] = tuple(answers)
    return links


def link_answers(
    ids: Sequence[str],
    links: Mapping[str, Sequence[str]],
    dense: np.ndarray,
    relevance: np.ndarray,
    order: list[int],
    *,
    head: int,
) -> tuple[np.ndarray, list[int], dict[int, int]]:
    """Move, for each question remark in the first ``head`` places of ``order``, its best answer (highest
    ``dense``) to just above it, with a relevance just above the question's. Returns (relevance, order,
    partners); partners maps each moved answer's position to its question's."""
    partners: dict[int, int] = {}
    if not links:
        return relevance, order, partners
    position = {rid: i for i, rid in enumerate(ids)}
    order = list(order)
    relevance = relevance.copy()
    p = 0
    while p < min(head, len(order)):
        q = order[p]
        answers = [position[a] for a in links.get(ids[q], ()) if a in position]
        if answers:
            best = max(answers, key=lambda i: dense[i])
            at = order.index(best)
            if at > p and best not in partners:
                order.pop(at)
                order.insert(p, best)
                relevance[best] = max(relevance[best], relevance[q] + LIFT)
                partners[best] = q
                p += 1  # the question now sits one place lower
        p += 1
    return relevance, order, partners
