"""Unit tests of the retrieval pieces: questions, fusion math, diversity, highlights, confidence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.errors import InputError
from rag.retrieve import confidence
from rag.retrieve.confidence import Calibration, ConfidenceModel, load_calibration
from rag.retrieve.diversity import bigrams, collapse_near_duplicates, overlap
from rag.retrieve.fusion import fuse, lexical_margin, normalize
from rag.retrieve.highlight import highlight, split_sentences
from rag.retrieve.lexical import JapaneseTokenizer, LexicalIndex
from rag.retrieve.params import RetrievalParams
from rag.retrieve.query import detect_language, era_years, parse_query, topic_numbers, validate_question


# --- questions ----------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["", "   ", "\n\t　"])
def test_empty_question_is_refused(bad: str) -> None:
    with pytest.raises(InputError, match="empty"):
        validate_question(bad, 1000)


def test_long_question_is_refused_with_the_limit_in_the_message() -> None:
    with pytest.raises(InputError, match="1001 characters long; the limit is 1000"):
        validate_question("あ" * 1001, 1000)
    assert validate_question("  " + "あ" * 1000 + " ", 1000) == "あ" * 1000


def test_non_text_question_is_refused() -> None:
    with pytest.raises(InputError, match="must be text"):
        validate_question(42, 1000)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("スタートアップの資金調達の課題は？", "ja"),
        ("What was said about think tanks?", "en"),
        ("ＤＡＲＰＡについての発言は？", "ja"),
        ("DARPAとRANDについて", "ja"),
        ("What does 経済安全保障 mean for startups and venture capital funding?", "en"),
        ("2021", "en"),
    ],
)
def test_language_detection(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_width_folding_and_era_years() -> None:
    q = parse_query("令和３年の会合でＡＩについて何が議論された？")
    assert q.folded == "令和3年の会合でaiについて何が議論された?"
    assert q.years == (2021,)
    assert "令和" not in q.undated and "ai" in q.undated
    assert era_years("平成元年と2019年") == (1989, 2019)
    assert parse_query("What was discussed in 2021?").years == (2021,)
    assert parse_query("スタートアップの課題は？").years == ()


def test_topic_numbers() -> None:
    assert topic_numbers(parse_query("論点③ではどのような意見が出たか？").folded) == (3,)
    assert topic_numbers(parse_query("What was raised under the third issue?").folded) == (3,)
    assert topic_numbers(parse_query("issue 2, please").folded) == (2,)
    assert topic_numbers(parse_query("What is the first step?").folded) == ()


# --- lexical --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tokenizer() -> JapaneseTokenizer:
    return JapaneseTokenizer("A")


def test_tokenizer_keeps_content_words_and_folds_latin(tokenizer: JapaneseTokenizer) -> None:
    assert tokenizer.tokenize("スタートアップの資金調達の課題は？") == [
        "スタートアップ",
        "資金",
        "調達",
        "課題",
    ]
    assert tokenizer.tokenize("ＤＡＲＰＡのように") == ["darpa"]
    # English function words are dropped; katakana readings only with the loanword bridge
    assert tokenizer.tokenize("What about risk money?") == ["risk", "money"]
    assert tokenizer.tokenize("What about risk money?", bridge=True) == ["risk", "リスク", "money", "マネー"]


def test_bm25_scores_and_coverage(tokenizer: JapaneseTokenizer) -> None:
    index = LexicalIndex(tokenizer, ["a", "b", "c"], ["量子技術の研究", "資金調達の課題", "量子と資金"])
    tokens = index.query_tokens("量子の研究は？")
    assert tokens == ["量子", "研究"]
    scores = index.scores(tokens)
    assert scores.shape == (3,)
    assert scores[0] > scores[2] > scores[1] == 0.0
    assert index.coverage(["量子", "原子力"]) == 0.5
    assert index.scores(["原子力"]).tolist() == [0.0, 0.0, 0.0]


# --- fusion ---------------------------------------------------------------------------------------
def test_normalizers_hand_computed() -> None:
    s = np.array([0.9, 0.8, 0.5])
    assert normalize(s, "minmax") == pytest.approx([1.0, 0.75, 0.0])
    assert normalize(s, "max") == pytest.approx([1.0, 0.8 / 0.9, 0.5 / 0.9])
    assert normalize(s, "zscore") == pytest.approx((s - s.mean()) / s.std())
    assert normalize(np.array([2.0, 2.0]), "zscore").tolist() == [1.0, 1.0]
    assert normalize(np.array([0.0, 0.0]), "max").tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="unknown normalization"):
        normalize(s, "rrf")


def test_fuse_hand_computed() -> None:
    dense = np.array([0.90, 0.85, 0.80])  # minmax → 1, 0.5, 0
    lexical = np.array([0.0, 4.0, 8.0])  # minmax → 0, 0.5, 1
    fused = fuse(dense, lexical, w_lex=0.5, norm="minmax")
    # (d + 0.5 l) / 1.5
    assert fused == pytest.approx([1.0 / 1.5, 0.75 / 1.5, 0.5 / 1.5])
    # a weight of 3 lets the lexical leg win
    assert np.argmax(fuse(dense, lexical, w_lex=3.0, norm="minmax")) == 2
    # w_lex = 0 is dense alone; the bonus is added after
    assert fuse(dense, lexical, w_lex=0.0, norm="minmax", bonus=np.array([0.0, 0.6, 0.0])) == pytest.approx(
        [1.0, 1.1, 0.0]
    )


def test_lexical_weight_by_language() -> None:
    p = RetrievalParams(w_lex_ja=0.7, w_lex_en=0.4)
    assert p.lexical_weight("ja", 0.0, 0.0) == 0.7  # gate 0: no gating
    assert p.lexical_weight("en", 0.0, 1.0) == 0.0  # no shared Latin tokens: dense only
    assert p.lexical_weight("en", 0.5, 1.0) == pytest.approx(0.2)
    # the Japanese gate: w_lex_ja × best_share ** lex_gate (best_share = 0.5 → 0.25 at gate 2)
    gated = RetrievalParams(w_lex_ja=0.4, lex_gate=2.0)
    assert gated.lexical_weight("ja", 1.0, 0.5) == pytest.approx(0.1)
    assert gated.lexical_weight("ja", 1.0, 1.0) == pytest.approx(0.4)
    assert gated.lexical_weight("ja", 1.0, 0.0) == 0.0
    # the English margin lift: w_lex_en × coverage × (1 + lex_margin × margin)
    lifted = RetrievalParams(w_lex_en=0.3, lex_margin=4.0)
    assert lifted.lexical_weight("en", 0.5, 1.0, margin=0.5) == pytest.approx(0.3 * 0.5 * 3.0)
    assert lifted.lexical_weight("en", 0.0, 1.0, margin=1.0) == 0.0  # nothing in the corpus: still dense only


def test_lexical_margin_hand_computed() -> None:
    assert lexical_margin(np.array([1.0, 5.0, 2.0])) == pytest.approx(1 - 2 / 5)
    assert lexical_margin(np.array([3.0])) == 1.0
    assert lexical_margin(np.array([0.0, 0.0])) == 0.0
    assert lexical_margin(np.array([])) == 0.0


def test_retrieval_params_default_to_dense_only_and_reject_bad_values() -> None:
    p = RetrievalParams()
    assert (p.w_lex_ja, p.w_lex_en, p.sentence_mix, p.topic_bonus, p.date_bonus) == (0.0, 0.0, 1.0, 0.0, 0.0)
    assert RetrievalParams.from_dict(RetrievalParams(w_lex_ja=0.3).to_dict()) == RetrievalParams(w_lex_ja=0.3)
    with pytest.raises(ValueError, match="norm must be one of"):
        RetrievalParams(norm="rrf")
    with pytest.raises(ValueError, match="unknown retrieval parameters"):
        RetrievalParams.from_dict({"mmr_lambda": 0.7})


# --- diversity ------------------------------------------------------------------------------------
def test_bigram_similarities() -> None:
    a, b = bigrams("あいう"), bigrams("いうえ")
    assert a == {"あい", "いう"}
    assert overlap(a, b) == pytest.approx(1 / 2)
    assert bigrams("ＡＩ　ai") == {"ai", "ia"}


def test_near_duplicates_collapse() -> None:
    texts = ["量子技術の研究開発を進める", "資金調達の課題がある", "量子技術の研究開発を進める。", "研究開発"]
    grams = [bigrams(t) for t in texts]
    # 2 is 0 with a full stop; 3 is contained in 0 (overlap coefficient 1)
    assert collapse_near_duplicates([0, 1, 2, 3], grams) == [0, 1]
    assert collapse_near_duplicates([1, 2, 0], grams) == [1, 2]
    # keep=2: checking stops once two are kept; the rest follows unchecked
    assert collapse_near_duplicates([0, 2, 1, 3], grams, keep=2) == [0, 1, 3]
    assert collapse_near_duplicates([0, 1, 2, 3], grams, keep=1) == [0, 1, 2, 3]


# --- highlights -----------------------------------------------------------------------------------
def test_sentence_spans() -> None:
    text = "最初の文。 二番目の文！\n三番目"
    assert [text[a:b] for a, b in split_sentences(text)] == ["最初の文。", "二番目の文！", "三番目"]


def test_highlight_offsets_point_into_the_text(tokenizer: JapaneseTokenizer) -> None:
    text = "研究費は集中して配分すべき。スタートアップの資金調達には課題がある。人材も大事。"
    hl = highlight(text, tokenizer.tokenize("スタートアップの資金調達の課題は？"))
    assert [h.text for h in hl] == ["スタートアップの資金調達には課題がある。"]
    for h in hl:
        assert text[h.start : h.end] == h.text
    assert (hl[0].start, hl[0].end) == (14, 34)


def test_highlight_fallbacks() -> None:
    text = "一つ目。二つ目。"
    assert [h.text for h in highlight(text, ["english"])] == ["一つ目。"]
    picked = highlight(text, ["english"], fallback=lambda sents: [0.1, 0.9])
    assert [(h.text, h.start, h.end) for h in picked] == [("二つ目。", 4, 8)]
    assert highlight("", ["x"]) == ()


# --- confidence -----------------------------------------------------------------------------------
def test_confidence_is_a_logistic_of_named_features() -> None:
    model = ConfidenceModel(features=("dense", "lex_cov"), weights=(10.0, 2.0), bias=-9.0, threshold=0.6)
    assert model.probability({"dense": 0.9, "lex_cov": 0.0}) == pytest.approx(0.5)
    assert model.probability({"dense": 0.9, "lex_cov": 1.0}) == pytest.approx(1 / (1 + np.exp(-2.0)))
    assert 0.0 <= model.probability({"dense": -1e9}) <= 1.0
    assert not model.answerable(0.5) and model.answerable(0.6)
    with pytest.raises(ValueError, match="unknown confidence features"):
        ConfidenceModel(features=("nope",), weights=(1.0,))
    with pytest.raises(ValueError, match="1 features but 2 weights"):
        ConfidenceModel(features=("dense",), weights=(1.0, 2.0))


def test_calibration_file_fallbacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "calibration.json"
    with pytest.raises(InputError, match="python -m eval.tune --out"):
        load_calibration("m", path)  # a file the user named must exist
    monkeypatch.setattr(confidence, "CALIBRATION_PATH", path)  # the shipped file missing: built-in values
    assert load_calibration("m").source == "built-in"
    assert load_calibration("m").retrieval == RetrievalParams()  # dense only without a file
    default = Calibration(retrieval=RetrievalParams(w_lex_ja=0.2)).to_dict()
    special = Calibration(retrieval=RetrievalParams(w_lex_ja=0.6)).to_dict()
    path.write_text(json.dumps({"models": {"m": special}, "default": default}), encoding="utf-8")
    assert load_calibration("m", path).retrieval.w_lex_ja == 0.6
    assert load_calibration("other", path).retrieval.w_lex_ja == 0.2
    special["confidence"]["features"] = ["nope"]
    special["confidence"]["weights"] = [1.0]
    path.write_text(json.dumps({"models": {"m": special}}), encoding="utf-8")
    with pytest.raises(ValueError, match="unknown confidence features"):
        load_calibration("m", path)
