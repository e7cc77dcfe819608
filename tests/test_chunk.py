from __future__ import annotations

import re

import pytest

from rag.chunk import chunk_remark
from rag.types import Chunk, Remark


def remark(text: str) -> Remark:
    return Remark(id="doc#7", ordinal=7, text=text)


def check_offsets(r: Remark, chunks: list[Chunk]) -> None:
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    for c in chunks:
        assert c.remark_id == "doc#7"
        assert r.text[c.start : c.end] == c.text
    # together the chunks cover the remark (up to whitespace between them)
    covered: set[int] = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered or r.text[i].isspace() for i in range(len(r.text)))


def test_short_remark_is_one_chunk() -> None:
    r = remark("研究開発の国際連携を強化すべきである。")
    assert chunk_remark(r) == [Chunk(remark_id="doc#7", ordinal=0, text=r.text, start=0, end=len(r.text))]
    exactly = remark("あ" * 400)
    assert len(chunk_remark(exactly, size=400)) == 1


def test_blank_remark_has_no_chunks() -> None:
    assert chunk_remark(remark("  \n ")) == []


def test_long_japanese_remark_splits_after_sentence_ends() -> None:
    sentences = [f"第{i}の論点について、委員から具体的な改善策が示された。" for i in range(1, 31)]
    r = remark("".join(sentences))
    chunks = chunk_remark(r, size=100, overlap=30)
    check_offsets(r, chunks)
    assert len(chunks) >= 10
    for c in chunks:
        assert len(c.text) <= 100
        assert c.text.endswith("。")  # the 。 stays with its sentence
        assert c.text.startswith("第")  # and every chunk starts a sentence
    # sentences are 27-28 chars: consecutive chunks share exactly one whole sentence (≤ overlap)
    for prev, c in zip(chunks, chunks[1:], strict=False):
        assert r.text[c.start : prev.end] in sentences


def test_questions_and_exclamations_also_end_sentences() -> None:
    r = remark("本当に必要なのか？" * 20 + "実施すべきだ！" * 20)
    chunks = chunk_remark(r, size=50, overlap=0)
    check_offsets(r, chunks)
    assert all(c.text[-1] in "？！" for c in chunks)


def test_long_english_remark_never_splits_inside_a_word() -> None:
    words = [
        "international",
        "cooperation",
        "requires",
        "sustained",
        "investment",
        "in",
        "research",
        "infrastructure",
        "and",
        "talent",
    ]
    r = remark(" ".join(words[i % len(words)] for i in range(300)))
    chunks = chunk_remark(r, size=120, overlap=30)
    check_offsets(r, chunks)
    assert len(chunks) > 10
    for c in chunks:
        assert len(c.text) <= 120
        assert c.start == 0 or not r.text[c.start - 1].isalnum()
        assert c.end == len(r.text) or not r.text[c.end].isalnum()
    assert any(chunks[i].start < chunks[i - 1].end for i in range(1, len(chunks)))  # they overlap


def test_unpunctuated_mixed_text_falls_back_to_characters_but_not_inside_words() -> None:
    r = remark("あ" * 250 + "Internationalization" + "い" * 250)
    chunks = chunk_remark(r, size=100, overlap=20)
    check_offsets(r, chunks)
    word = re.search("Internationalization", r.text)
    assert word is not None
    for c in chunks:
        assert not (word.start() < c.start < word.end()) and not (word.start() < c.end < word.end())
    assert [(c.start, c.end) for c in chunks] == [
        (0, 100),
        (80, 180),
        (160, 250),
        (230, 330),
        (310, 410),
        (390, 490),
        (470, 520),
    ]


def test_newlines_and_commas_are_used_before_spaces() -> None:
    line = "人材の育成、研究環境の整備、国際的な発信"  # 20 chars, no sentence end
    r = remark("\n".join([line] * 12))
    chunks = chunk_remark(r, size=50, overlap=0)
    check_offsets(r, chunks)
    assert all(c.text.endswith("発信") for c in chunks)  # cut at the newlines, stripped


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (100, 100), (100, -1)])
def test_bad_sizes_are_refused(size: int, overlap: int) -> None:
    with pytest.raises(ValueError, match="RAG_CHUNK"):
        chunk_remark(remark("x" * 500), size=size, overlap=overlap)
