"""The English → Japanese glossary, agenda items named by title, and per-language fusion parameters."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from test_retrieve_pipeline import FakeStore

from rag.embed.hashing import HashingEmbedder
from rag.errors import InputError
from rag.retrieve.confidence import Calibration
from rag.retrieve.glossary import BUILTIN_PATH, Glossary, fold_word, is_content_word, load_glossary, words_of
from rag.retrieve.lexical import JapaneseTokenizer
from rag.retrieve.params import RetrievalParams
from rag.retrieve.pipeline import Retriever
from rag.retrieve.query import parse_query
from rag.retrieve.ranking import fused_scores
from rag.retrieve.topics import TopicMatcher
from rag.settings import Settings


@pytest.mark.parametrize(
    ("word", "folded"),
    [
        ("agencies", "agency"),
        ("labs", "lab"),
        ("gyroscopes", "gyroscope"),
        ("analysis", "analysis"),
        ("business", "business"),
        ("approaches", "approach"),
        ("us", "us"),
        ("r&d", "r&d"),
    ],
)
def test_plural_folding(word: str, folded: str) -> None:
    assert fold_word(word) == folded


def test_words_are_width_folded_and_lower_cased() -> None:
    assert words_of("ＲＩＫＥＮ and the U.S. labs, R&D!") == ["riken", "and", "the", "u.s", "lab", "r&d"]
    assert is_content_word("riken") and not is_content_word("should") and not is_content_word("2021")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_longest_phrase_wins_and_words_are_used_once(tmp_path: Path) -> None:
    g = Glossary.load(
        [write(tmp_path / "g.tsv", "# c\nsecurity\t安全\neconomic security\t経済安全保障\nfund\t資金|基金\n")]
    )
    e = g.expand("Who would manage economic-security funds? And security?")
    assert [(m.phrase, m.terms) for m in e.matches] == [
        ("economic security", ("経済安全保障",)),
        ("fund", ("資金", "基金")),
        ("security", ("安全",)),
    ]
    # words: who would manage economic security fund and security
    assert [(m.start, m.end) for m in e.matches] == [(3, 5), (5, 6), (7, 8)]


def test_later_files_add_terms(tmp_path: Path) -> None:
    a = write(tmp_path / "a.tsv", "agency\t機関\n")
    b = write(tmp_path / "b.tsv", "agency\tエージェンシー|機関\nriken\t理研\n")
    g = Glossary.load([a, b])
    assert g.entries[("agency",)] == ("機関", "エージェンシー")
    assert len(g) == 2 and g.longest == 1


def test_bad_glossary_lines_and_missing_files_say_what_to_fix(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"bad\.tsv:2: expected 'english phrase<TAB>"):
        Glossary.load([write(tmp_path / "bad.tsv", "riken\t理研\nAIST 産総研\n")])
    with pytest.raises(InputError, match="Cannot read the glossary"):
        Glossary.load([tmp_path / "missing.tsv"])


def test_builtin_glossary_loads_and_knows_the_agencies() -> None:
    g = load_glossary()
    assert len(g) > 500
    for phrase, term in (
        ("riken", "理研"),
        ("aist", "産総研"),
        ("funding agency", "エージェンシー"),
        ("economic security", "経済安全保障"),
        ("think tank", "シンクタンク"),
    ):
        assert term in g.entries[tuple(phrase.split())], phrase
    assert BUILTIN_PATH.name == "glossary_en_ja.tsv"


# --- in the pipeline ------------------------------------------------------------------------------
@pytest.fixture()
def retriever(tmp_path: Path) -> Retriever:
    embedder = HashingEmbedder(64)
    extra = write(tmp_path / "extra.tsv", "liquidity of researchers\t流動性\n")
    return Retriever(FakeStore(embedder), embedder, Settings(model="hash:64", glossary=extra))


def test_english_question_gets_japanese_tokens_and_coverage(retriever: Retriever) -> None:
    lexical = retriever.refresh()
    tokens, coverage, _ = retriever.query_terms(lexical, parse_query("What about venture capital and quantum?"))
    assert {"ベンチャー", "キャピタル", "量子"} <= set(tokens)
    assert coverage == 1.0  # venture, capital, quantum all reach the corpus through the glossary
    tokens, coverage, _ = retriever.query_terms(lexical, parse_query("What about fisheries and quantum?"))
    assert "量子" in tokens and coverage == pytest.approx(0.5)  # 漁業 is in no remark
    # the user's glossary (RAG_GLOSSARY) is used too
    tokens, _, _ = retriever.query_terms(lexical, parse_query("the liquidity of researchers"))
    assert "流動" in tokens


def test_glossary_topics_the_corpus_lacks_are_counted_apart_from_unknown_words(retriever: Retriever) -> None:
    lexical = retriever.refresh()
    # fisheries is a glossary topic (漁業, 水産) no remark mentions: half the content words name a missing topic
    _, coverage, unmet = retriever.query_terms(lexical, parse_query("What about fisheries and quantum?"))
    assert (coverage, unmet) == (pytest.approx(0.5), pytest.approx(0.5))
    # a word the glossary does not know is uncovered but says nothing about the corpus's topics
    _, coverage, unmet = retriever.query_terms(lexical, parse_query("What about zebras and quantum?"))
    assert (coverage, unmet) == (pytest.approx(0.5), 0.0)
    _, _, unmet = retriever.query_terms(lexical, parse_query("What about venture capital and quantum?"))
    assert unmet == 0.0
    _, _, unmet = retriever.query_terms(lexical, parse_query("漁業の支援は？"))
    assert unmet == 0.0  # Japanese questions: the feature is English-only


def test_frame_words_stay_frame_words_once_folded(retriever: Retriever) -> None:
    # "does" folds to "doe"; counted as a topic word it halved the coverage of a fully covered question
    assert not is_content_word(fold_word("does"))
    lexical = retriever.refresh()
    _, with_does, _ = retriever.query_terms(lexical, parse_query("Does venture capital matter for quantum?"))
    _, without, _ = retriever.query_terms(lexical, parse_query("Did venture capital matter for quantum?"))
    assert with_does == without


def test_glossary_lets_an_english_question_find_the_japanese_remark(retriever: Retriever) -> None:
    # the hashing embedder cannot cross languages: only the glossary's tokens can find B#2
    result = retriever.search("Is venture capital money stuck at the early stage?", k=3, mode="lexical")
    assert result.hits[0].remark_id == "B#2"
    # the glossary's Japanese terms also pick the highlighted words
    assert any("ベンチャー" in h.text for h in result.hits[0].highlights)


def test_japanese_questions_are_not_expanded(retriever: Retriever) -> None:
    lexical = retriever.refresh()
    tokens, coverage, _ = retriever.query_terms(lexical, parse_query("量子の研究は？"))
    assert tokens == ["量子", "研究"] and coverage == 1.0


# --- agenda items named by title ------------------------------------------------------------------
@pytest.fixture(scope="module")
def tokenizer() -> JapaneseTokenizer:
    return JapaneseTokenizer("A")


def test_topic_named_by_its_title(tokenizer: JapaneseTokenizer) -> None:
    titles = {
        "先端技術の研究開発への投資をどのように推進していくべきか。": 1,
        "先端技術を効果的に守りつつ育成する仕組みはどのようなものか。": 2,
        "育成すべき先端技術を見出すための仕組みはどうあるべきか。": 3,
    }
    remarks = ["量子技術の研究に投資する", "先端技術を守る仕組み", "人材を育成する", "先端技術の分析"]
    matcher = TopicMatcher(
        {t: tokenizer.tokenize(t) for t in titles}, [tokenizer.tokenize(r) for r in remarks]
    )
    q = "先端技術を守りながら育てる仕組みの論点で出た意見は？"
    assert matcher.named(q, tokenizer.tokenize(q)) == frozenset(
        {"先端技術を効果的に守りつつ育成する仕組みはどのようなものか。"}
    )
    # without a word that points at an agenda item, nothing is named
    q2 = "先端技術を守りながら育てる仕組みは？"
    assert matcher.named(q2, tokenizer.tokenize(q2)) == frozenset()
    # too little in common with any title
    q3 = "量子についての論点は？"
    assert matcher.named(q3, tokenizer.tokenize(q3)) == frozenset()
    assert TopicMatcher({}, []).named(q, tokenizer.tokenize(q)) == frozenset()


def test_topic_named_by_number_lifts_its_remarks(retriever: Retriever) -> None:
    retriever.calibration = Calibration(retrieval=RetrievalParams(topic_bonus=0.3))
    lexical = retriever.refresh()
    assert parse_query("論点2の意見").topics == (2,)
    hits = retriever.search("論点2の意見", k=4).hits
    assert {h.citation.topic for h in hits[:3]} == {"論点2"}
    assert lexical is retriever.refresh()


def test_named_title_lifts_its_remarks(retriever: Retriever) -> None:
    # FakeStore's topic titles are 論点1 / 論点2; the question names neither by number, so only a title
    # the matcher found (set here by hand) can lift the remarks under it
    retriever.refresh()
    query = parse_query("研究者の仕組みは？")
    assert query.topics == ()
    cands = retriever.candidates(query, k=4, filters=None, mode="hybrid", timings={})
    params = RetrievalParams(topic_bonus=0.5)
    plain = fused_scores(query, cands, params, "hybrid")
    named = dataclasses.replace(cands, topic_titles=frozenset({"論点2"}))
    lifted = fused_scores(query, named, params, "hybrid")
    under = [cands.remarks[rid].topic == "論点2" for rid in cands.ids]
    np.testing.assert_allclose(lifted - plain, [0.5 if u else 0.0 for u in under])
    assert any(under) and not all(under)


def test_best_share_is_the_fullest_candidate(retriever: Retriever) -> None:
    full = retriever.candidates(parse_query("量子の研究"), k=4, filters=None, mode="hybrid", timings={})
    assert full.best_share == 1.0  # A#1 has both 量子 and 研究
    half = retriever.candidates(parse_query("量子と原子力"), k=4, filters=None, mode="hybrid", timings={})
    assert half.best_share == pytest.approx(0.5)  # no remark mentions 原子力
