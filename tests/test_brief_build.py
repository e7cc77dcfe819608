"""Evidence pack assembly against a fake service: dedup, grouping, thresholds, labels."""

from __future__ import annotations

import pytest

from rag.brief import build_pack, get_labels
from rag.brief.build import highlight_segments, service_threshold
from rag.errors import InputError
from rag.types import Citation, Filters, Highlight, Hit, SearchResult

TITLE_1 = "架空技術会合（第１回）議事要旨"
TITLE_2 = "架空技術会合（第２回）議事要旨"

# Hand-written remarks (doc, ordinal, topic, text)
R_INVEST = "研究投資は分野を絞るべきだ。広く薄い支援では成果が出ない。"
R_TALENT = "若手研究者の処遇を改善しなければ人材は海外へ流出する。"
R_STARTUP = "新興企業は初期の資金繰りに苦しんでいる。公共調達で最初の顧客になるべきだ。"
R_LATER = "前回の議論を踏まえ、支援策を具体化したい。"


def _cit(doc: str, topic: str | None, pages: tuple[int, ...], *, second: bool = False) -> Citation:
    return Citation(
        document=doc,
        title=TITLE_2 if second else TITLE_1,
        session=2 if second else 1,
        date="2022-03-01" if second else "2021-12-09",
        topic=topic,
        speaker=None,
        pages=pages,
    )


def _hit(rid: str, text: str, conf: float, topic: str | None, *, second: bool = False, hl: str = "") -> Hit:
    doc = rid.split("#")[0]
    start = text.find(hl) if hl else -1
    highlights = (Highlight(hl, start, start + len(hl)),) if hl and start >= 0 else ()
    return Hit(rid, text, conf, conf, _cit(doc, topic, (1,), second=second), highlights)


T1 = "論点① 研究投資"
T2 = "論点② 人材"

RESULTS = {
    # Q1: two remarks in topic 1 (served out of document order), one in topic 2, one from the second meeting
    "投資はどうあるべきか": SearchResult(
        "投資はどうあるべきか",
        True,
        [
            _hit("m2#2", R_LATER, 0.81, T1, second=True),
            _hit("m1#5", R_STARTUP, 0.9, T1, hl="公共調達で最初の顧客になるべきだ。"),
            _hit("m1#2", R_INVEST, 0.85, T1, hl="研究投資は分野を絞るべきだ。"),
            _hit("m1#9", R_TALENT, 0.7, T2),
            _hit("m1#11", "弱い関連の発言。", 0.2, T2),  # below the threshold: dropped
        ],
        "fake-model",
    ),
    # Q2 shares m1#5 with Q1
    "新興企業の資金は？": SearchResult(
        "新興企業の資金は？",
        True,
        [_hit("m1#5", R_STARTUP, 0.95, T1, hl="新興企業は初期の資金繰りに苦しんでいる。")],
        "fake-model",
    ),
    # Q3: the service abstains even though it returns hits
    "天気はどうか": SearchResult("天気はどうか", False, [_hit("m1#9", R_TALENT, 0.3, T2)], "fake-model"),
    # Q4: answerable but every hit is below the bar
    "宇宙開発は？": SearchResult("宇宙開発は？", True, [_hit("m1#2", R_INVEST, 0.45, T1)], "fake-model"),
}


class FakeService:
    answer_threshold = 0.5

    def __init__(self) -> None:
        self.calls: list[tuple[str, int | None, Filters | None]] = []

    def search(self, question: str, *, k: int | None = None, filters: Filters | None = None) -> SearchResult:
        self.calls.append((question, k, filters))
        return RESULTS[question]


def test_shared_remark_quoted_once_then_referenced() -> None:
    pack = build_pack(FakeService(), ["投資はどうあるべきか", "新興企業の資金は？"])
    assert [e.remark_id for e in pack.evidence] == ["m1#2", "m1#5", "m1#9", "m2#2"]
    assert [e.ref for e in pack.evidence] == ["E1", "E2", "E3", "E4"]
    q1, q2 = pack.questions
    assert [(u.ref, u.first) for u in q1.uses] == [("E1", True), ("E2", True), ("E3", True), ("E4", True)]
    assert [(u.ref, u.remark_id, u.first, u.confidence) for u in q2.uses] == [("E2", "m1#5", False, 0.95)]
    # the second question keeps its own highlight
    assert q2.uses[0].highlights[0].text == "新興企業は初期の資金繰りに苦しんでいる。"
    assert pack.get("E2").text == R_STARTUP


def test_grouped_by_meeting_then_topic_in_document_order() -> None:
    pack = build_pack(FakeService(), ["投資はどうあるべきか"])
    groups = pack.questions[0].groups
    assert [(g.document, g.topic, [u.remark_id for u in g.uses]) for g in groups] == [
        ("m1", T1, ["m1#2", "m1#5"]),
        ("m1", T2, ["m1#9"]),
        ("m2", T1, ["m2#2"]),
    ]
    assert (groups[0].title, groups[0].session, groups[0].date) == (TITLE_1, 1, "2021-12-09")
    assert (groups[2].title, groups[2].session, groups[2].date) == (TITLE_2, 2, "2022-03-01")
    assert [(s.document, s.date, s.remarks) for s in pack.sources] == [
        ("m1", "2021-12-09", 3),
        ("m2", "2022-03-01", 1),
    ]


def test_unanswerable_and_weak_questions_have_no_evidence() -> None:
    pack = build_pack(FakeService(), ["天気はどうか", "宇宙開発は？", "新興企業の資金は？"])
    weather, space, startup = pack.questions
    assert (weather.answerable, weather.has_evidence, weather.groups) == (False, False, ())
    assert (space.answerable, space.has_evidence) == (True, False)
    assert startup.has_evidence
    assert [e.remark_id for e in pack.evidence] == ["m1#5"]  # nothing padded in from the weak hits
    assert pack.answered == 1
    assert pack.min_confidence == 0.5


def test_min_confidence_overrides_the_service_bar() -> None:
    loose = build_pack(FakeService(), ["宇宙開発は？"], min_confidence=0.4)
    assert [u.remark_id for u in loose.questions[0].uses] == ["m1#2"]
    strict = build_pack(FakeService(), ["投資はどうあるべきか"], min_confidence=0.88)
    assert [u.remark_id for u in strict.questions[0].uses] == ["m1#5"]


def test_k_and_filters_reach_the_service() -> None:
    svc = FakeService()
    flt = Filters(topic="1")
    pack = build_pack(svc, ["  投資はどうあるべきか  "], k=2, filters=flt)
    assert svc.calls == [("投資はどうあるべきか", 2, flt)]
    assert len(pack.questions[0].uses) == 2  # never more than k
    assert pack.model == "fake-model"


@pytest.mark.parametrize(
    ("questions", "kwargs", "message"),
    [
        ([], {}, "No questions"),
        (["投資はどうあるべきか", "  "], {}, "Question 2 is empty"),
        ("投資はどうあるべきか", {}, "list of strings"),
        (["投資はどうあるべきか"], {"lang": "fr"}, "Unknown language"),
        (["投資はどうあるべきか"], {"k": 0}, "k must be a positive integer"),
        (["投資はどうあるべきか"], {"min_confidence": 1.5}, "between 0 and 1"),
        (["q"] * 51, {}, "at most 50"),
    ],
)
def test_bad_arguments_raise_input_error(questions: object, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        build_pack(FakeService(), questions, **kwargs)  # type: ignore[arg-type]


def test_service_threshold_discovery() -> None:
    class Calibrated:
        class retriever:  # noqa: N801 - mimics RagService.retriever.calibration.confidence
            class calibration:  # noqa: N801
                class confidence:  # noqa: N801
                    threshold = 0.42

    assert service_threshold(FakeService()) == 0.5
    assert service_threshold(Calibrated()) == 0.42
    assert service_threshold(object()) is None


def test_highlight_segments_merge_and_clip() -> None:
    text = "あいうえおかきくけこ"
    hl = (Highlight("", 2, 5), Highlight("", 4, 7), Highlight("", 9, 40))
    assert highlight_segments(text, hl) == [
        ("あい", False),
        ("うえおかき", True),
        ("くけ", False),
        ("こ", True),
    ]


def test_labels_ja_and_en() -> None:
    ja, en = get_labels("ja"), get_labels("en")
    assert (ja.question, ja.evidence, ja.confidence, ja.sources) == ("質問", "根拠", "信頼度", "出典")
    assert (en.question, en.evidence, en.confidence, en.sources) == (
        "Question",
        "Evidence",
        "Confidence",
        "Sources",
    )
    assert ja.no_evidence == "該当する発言は見つかりませんでした"
    assert en.no_evidence == "No supporting remarks found"
    assert (ja.session(3), en.session(3)) == ("第3回", "Session 3")
    assert (ja.date("2021-12-09"), en.date("2021-12-09")) == ("2021年12月9日", "9 December 2021")
    assert (ja.pages((2, 3)), en.pages((2, 3)), en.pages((4,)), en.pages(())) == (
        "2–3頁",
        "pp. 2–3",
        "p. 4",
        None,
    )
    assert ja.reference("E3", 0.714) == "→ [E3] を参照（信頼度 0.71）"
    assert en.reference("E3", 0.714) == "→ see [E3] (Confidence 0.71)"
    # the session is said once when the title already names it (full-width digits included)
    assert ja.meeting_line(TITLE_1, 1, "2021-12-09") == f"{TITLE_1}（2021年12月9日）"
    assert ja.meeting_line("架空会合", 1, None) == "架空会合（第1回）"
    assert en.meeting_line(TITLE_1, 1, "2021-12-09") == f"{TITLE_1} (Session 1, 9 December 2021)"
