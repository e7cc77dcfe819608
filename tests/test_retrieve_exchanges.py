"""Question → answer exchanges (rag/retrieve/exchanges.py): who asks, who answers, and the ranking stage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from rag.retrieve.exchanges import answer_links, is_chair, is_member, is_question, link_answers
from rag.types import StoredRemark


def _remark(doc: str, ordinal: int, text: str, role: str | None, speaker: str | None = "某") -> StoredRemark:
    return StoredRemark(
        remark_id=f"{doc}#{ordinal}",
        document=doc,
        ordinal=ordinal,
        text=text,
        topic=None,
        topic_number=None,
        speaker=speaker,
        role=role,
        pages=(),
        title="定例会",
        body=None,
        session=None,
        date=None,
    )


# A plenary day: the chair calls a member, who asks; the chair calls the governor and a bureau head, who
# answer; the chair calls the next member.
PLENARY = [
    _remark("d", 1, "三十番佐藤一郎君。", "議長"),
    _remark("d", 2, "保育所の待機児童について伺います。次に、河川の改修について知事の見解を伺います。", "三十番"),
    _remark("d", 3, "知事高橋健二君。", "議長"),
    _remark("d", 4, "待機児童についてでありますが、本年四月に解消しました。", "知事"),
    _remark("d", 5, "都市整備局長中村君。", "議長"),
    _remark("d", 6, "河川の改修についてでありますが、三か所で着工します。", "都市整備局長"),
    _remark("d", 7, "十二番鈴木花子君。", "議長"),
    _remark("d", 8, "教員の働き方について伺います。", "十二番"),
    _remark("d", 9, "教員の働き方についてでありますが、部活動を地域に移します。", "教育長"),
]
BY_ID = {r.remark_id: r for r in PLENARY}


def _fetch(ids: Sequence[str]) -> Mapping[str, StoredRemark]:
    return {i: BY_ID[i] for i in ids if i in BY_ID}


def test_roles() -> None:
    chairs = ["議長", "副議長", "委員長", "部会長", "部会長代理", "座長", "会長"]
    members = ["三十番", "委員", "専門委員", "議員", "構成員"]
    officials = ["知事", "福祉局長", "教育長", "環境影響評価課長", "事務局", "国務大臣"]
    assert all(is_chair(_remark("d", 1, "", r)) for r in chairs)
    assert not any(is_chair(_remark("d", 1, "", r)) for r in members + officials)
    assert all(is_member(_remark("d", 1, "", r)) for r in members)
    assert not any(is_member(_remark("d", 1, "", r)) for r in chairs + officials)
    assert is_member(_remark("d", 1, "", None, speaker="山田太郎"))  # the Diet's ○山田太郎君
    assert not is_member(_remark("d", 1, "", None, speaker=None))  # an anonymous 議事要旨 remark
    assert is_question(PLENARY[1])
    assert not is_question(_remark("d", 1, "賛成です。", "委員"))  # a member's remark that asks nothing
    # a council member's suggestion: the official who speaks next answers another member's point
    assert not is_question(_remark("c", 7, "共有できる資料を作ってはどうでしょうか。", "委員"))
    assert is_question(_remark("c", 7, "事務局の考えをお尋ねします。", "委員"))
    assert not is_question(PLENARY[3])  # the governor does not ask


def test_answer_links_skip_the_chair_and_stop_at_the_next_member() -> None:
    links = answer_links({r.remark_id: r for r in PLENARY[1:2] + PLENARY[7:8]}, _fetch)
    assert links == {"d#2": ("d#4", "d#6"), "d#8": ("d#9",)}


def test_answer_links_need_an_asking_member() -> None:
    anonymous = [_remark("s", i, "について伺いたい。", None, speaker=None) for i in (1, 2)]
    assert answer_links({r.remark_id: r for r in anonymous}, lambda ids: {}) == {}
    # a member's comment followed by another member's: no answer in between
    council = [_remark("c", 1, "どうでしょうか。", "委員"), _remark("c", 2, "同感です。", "委員")]
    table = {r.remark_id: r for r in council}
    assert answer_links(table, lambda ids: {i: table[i] for i in ids if i in table}) == {}


def test_link_answers_puts_the_best_answer_above_its_question() -> None:
    ids = ["d#2", "x#1", "d#4", "d#6"]
    dense = np.array([0.90, 0.85, 0.70, 0.80])  # the question outranks its answers; d#6 is the better one
    relevance = np.array([1.0, 0.9, 0.4, 0.6])
    order = [0, 1, 3, 2]
    rel, new, partners = link_answers(ids, {"d#2": ("d#4", "d#6")}, dense, relevance, order, head=2)
    assert [ids[i] for i in new] == ["d#6", "d#2", "x#1", "d#4"]
    assert rel[3] > rel[0] == 1.0
    assert partners == {3: 0}
    # a question outside the head moves nothing; an answer already above its question stays where it is
    assert link_answers(ids, {"x#1": ("d#4",)}, dense, relevance, [0, 2, 1, 3], head=1)[1] == [0, 2, 1, 3]
    assert link_answers(ids, {"d#2": ("d#6",)}, dense, relevance, [3, 0, 1, 2], head=4)[1] == [3, 0, 1, 2]
