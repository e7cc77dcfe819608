"""The tuning script's pieces with hand-worked values: ECE, the abstention threshold, the logistic fit,
and the rule that an optimum on a grid edge extends the grid."""

from __future__ import annotations

from typing import Any

import pytest

from eval.calibrate import choose_features, choose_threshold, fit_logistic, loco_log_loss, reliability
from eval.tune import GRID, STAGES, _extension
from rag.retrieve.confidence import ConfidenceModel
from rag.retrieve.params import RetrievalParams


def test_ece_by_hand() -> None:
    # bins of width 0.1: [0.1, 0.2) holds 0.12 and 0.18 (mean 0.15, one of two right: |0.5 − 0.15| = 0.35),
    # [0.8, 0.9) holds 0.85 (right: 0.15), [0.9, 1.0] holds 0.95 (right: 0.05)
    rel = reliability([0.12, 0.18, 0.85, 0.95], [False, True, True, True])
    assert rel["ece"] == pytest.approx(0.35 * 2 / 4 + 0.15 / 4 + 0.05 / 4)
    assert [(b["lo"], b["n"], b["accuracy"]) for b in rel["bins"]] == [(0.1, 2, 0.5), (0.8, 1, 1.0), (0.9, 1, 1.0)]
    assert reliability([], [])["ece"] is None
    assert reliability([1.0, 0.0], [True, False])["ece"] == pytest.approx(0.0)  # the ends fall in the end bins


def test_threshold_catches_the_most_unanswerable_questions_without_withholding_right_answers() -> None:
    probs = [0.1, 0.3, 0.5, 0.6, 0.9]
    answerable = [False, False, True, True, True]
    correct = [False, False, False, True, True]
    # below 0.55 abstains on both unanswerable questions and on an answerable one whose top hit is wrong
    # (allowed); the cut farthest from any observation among those catching both is 0.4 (midpoint of 0.3, 0.5)
    assert choose_threshold(probs, answerable, correct, max_withheld=0.0) == pytest.approx(0.4)
    # the unanswerable question above a right answer can only be caught by withholding that answer
    probs2, ans2, right2 = [0.2, 0.5, 0.7, 0.8], [True, False, True, True], [True, False, True, True]
    assert choose_threshold(probs2, ans2, right2, max_withheld=0.0) == pytest.approx(0.0)
    assert choose_threshold(probs2, ans2, right2, max_withheld=0.34) == pytest.approx(0.6)
    assert choose_threshold([0.2, 0.4], [True, True], [True, False]) == 0.0  # nothing to abstain on


def test_logistic_fit_orders_by_the_feature() -> None:
    rows = [{"dense": d, "is_en": 0.0} for d in (0.70, 0.72, 0.74, 0.80, 0.82, 0.84, 0.76, 0.78)]
    labels = [0, 0, 0, 1, 1, 1, 0, 1]
    model = fit_logistic(rows, labels, ("dense", "is_en"))
    assert model.weights[0] > 0
    assert model.probability({"dense": 0.9}) > 0.5 > model.probability({"dense": 0.6})
    with pytest.raises(ValueError, match="right and ones where it is wrong"):
        fit_logistic(rows, [1] * len(rows), ("dense",))


def _two_collections() -> tuple[list[dict[str, float]], list[int], list[str]]:
    # "signal" rises with the label in both collections; "flip" follows the label in a and opposes it in b, so
    # a model fitted on one collection with it is confidently wrong on the other
    rows, labels, groups = [], [], []
    for group, sign in (("a", 1.0), ("b", -1.0)):
        for i in range(20):
            label = i % 2
            signal = label + (0.6 if i % 4 == 0 else -0.6 if i % 4 == 3 else 0.0)
            rows.append({"dense": signal, "lex_cov": sign * (label - 0.5) + 0.05 * (i % 3)})
            labels.append(label)
            groups.append(group)
    return rows, labels, groups


def test_features_that_do_not_carry_over_to_another_collection_are_dropped() -> None:
    rows, labels, groups = _two_collections()
    both = loco_log_loss(rows, labels, groups, ("dense", "lex_cov"))
    alone = loco_log_loss(rows, labels, groups, ("dense",))
    assert alone < both  # fitted on a, lex_cov points the wrong way on b
    kept, steps = choose_features(rows, labels, groups, ("dense", "lex_cov"))
    assert kept == ("dense",)
    assert steps[0]["dropped"] == "lex_cov" and steps[0]["log_loss"] == pytest.approx(both, abs=1e-4)
    assert len(steps) == 1  # one feature left: nothing more to try
    # with a gain threshold above what dropping it wins, both stay and the single step records why
    kept, steps = choose_features(rows, labels, groups, ("dense", "lex_cov"), min_gain=both - alone + 0.01)
    assert kept == ("dense", "lex_cov") and steps[-1]["dropped"] is None
    with pytest.raises(ValueError, match="at least two collections"):
        loco_log_loss(rows, labels, ["a"] * len(rows), ("dense",))


def test_edge_optima_extend_the_grid_unless_they_switch_the_stage_off() -> None:
    assert _extension("w_lex_ja", [0.0, 0.1, 0.2], 0.2) == pytest.approx(0.3)
    assert _extension("w_lex_ja", [0.0, 0.1, 0.2], 0.0) is None  # 0 = the lexical leg off: a natural limit
    assert _extension("w_lex_ja", [0.0, 0.1, 0.2], 0.1) is None  # inside
    assert _extension("sentence_mix", [0.2, 0.35, 0.5, 1.0], 0.2) == pytest.approx(0.05)
    assert _extension("sentence_mix", [0.5, 1.0], 1.0) is None  # 1 = the rerank off
    assert _extension("rerank_depth", [5, 10, 20], 20) == 40
    assert _extension("rerank_depth", [5, 10, 20], 5) == 2
    assert _extension("norm", ["minmax", "max"], "max") is None


def test_grid_and_stages_name_real_parameters() -> None:
    fields = set(RetrievalParams.__dataclass_fields__)
    assert set(GRID) <= fields
    for off in STAGES.values():
        assert set(off) <= fields
        RetrievalParams(**off)  # each "off" setting is a valid parameter value


def test_abstention_counts_each_language_and_kind_below_the_threshold() -> None:
    from types import SimpleNamespace

    from eval.tune_report import _abstention

    def item(lang: str, answerable: bool) -> SimpleNamespace:
        return SimpleNamespace(lang=lang, answerable=answerable)

    rows: list[tuple[Any, dict[str, float], bool]] = [(item("ja", False), {}, False), (item("ja", False), {}, False), (item("ja", True), {}, True),
            (item("en", True), {}, True), (item("en", True), {}, False)]
    probs = [0.1, 0.6, 0.3, 0.9, 0.39]
    # threshold 0.4: ja unanswerable 0.1 abstained, 0.6 not; ja answerable 0.3 refused; en 0.39 refused, 0.9 not
    model = ConfidenceModel(("dense",), (1.0,), 0.0, 0.4)
    # right top hits: ja 0.3 (withheld), en 0.9 (kept); en 0.39 is refused but its top hit was wrong
    assert _abstention(probs, rows, model) == {
        "ja/unanswerable": {"n": 2, "abstained": 1},
        "ja/answerable": {"n": 1, "abstained": 1, "right": 1, "right_abstained": 1},
        "en/unanswerable": {"n": 0, "abstained": 0},
        "en/answerable": {"n": 2, "abstained": 1, "right": 1, "right_abstained": 0}}


def test_a_pooled_view_is_held_out_with_its_collection() -> None:
    """Leave one collection out must hold out the collection's questions over the pooled index too (pooled-a is
    a's questions, ranked against everything): otherwise the fit without a has seen a's questions."""
    from types import SimpleNamespace

    from eval.tune import Tuner, _dev
    from eval.tune_data import Collection

    def item(qid: str, split: str) -> Any:
        return SimpleNamespace(qid=qid, split=split)

    cols = [
        Collection("a", "minutes", "", [item("a1", "dev"), item("a2", "test")], None),
        Collection("b", "minutes", "", [item("b1", "dev")], None),
        Collection("pooled-a", "minutes", "", [item("pa1", "dev"), item("pa2", "test")], None, source="a"),
    ]
    tuner = Tuner(cols)
    assert tuner.origins() == ["a", "b"]
    assert [c.name for c in tuner.alone()] == ["a", "b"]
    assert [it.qid for it in _dev(tuner, "dev", ["a"])] == ["a1", "pa1"]
    assert [it.qid for it in _dev(tuner)] == ["a1", "b1", "pa1"]
    seen: dict[str, list[str]] = {}

    def fit(items: Any, fixed: Any = None) -> tuple[str, dict[str, list[Any]]]:
        key = f"fit{len(seen)}"
        seen[key] = [it.qid for it in items]
        return key, {}

    tuner.fit = fit  # type: ignore[method-assign]
    fits = tuner.loco({})
    assert sorted(fits) == ["a", "b"]
    assert seen[str(fits["a"])] == ["b1"]  # neither a1 nor pa1
    assert seen[str(fits["b"])] == ["a1", "pa1"]


def test_the_pool_fingerprint_follows_the_bytes(tmp_path: Any) -> None:
    from types import SimpleNamespace

    from eval.pool import pool_fingerprint

    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("○ 一つ目の発言。", encoding="utf-8")
    b.write_text("○ 二つ目の発言。", encoding="utf-8")
    docs = [SimpleNamespace(document="p1", sha256="00"), SimpleNamespace(document="p2", sha256="11")]
    first = pool_fingerprint([a, b], docs)
    assert pool_fingerprint([b, a], docs) == first  # the files' order does not matter
    a.write_text("○ 一つ目の発言！", encoding="utf-8")
    assert pool_fingerprint([a, b], docs) != first
    assert pool_fingerprint([a, b], docs[:1]) != pool_fingerprint([a, b], docs)
