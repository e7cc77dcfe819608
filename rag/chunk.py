"""Chunking: split one remark into overlapping passages small enough for the embedding model.

A remark that fits in ``size`` characters is one chunk. Longer remarks are split with langchain's
``RecursiveCharacterTextSplitter``: first at sentence ends (。！？, and ``.!?`` before a space, the
punctuation staying with its sentence), then at newlines, then at 、/，, then at spaces, and as a
last resort between any two characters except inside an ASCII word. Every chunk keeps its offsets
into the remark text, so ``remark.text[c.start:c.end] == c.text``.
"""

from __future__ import annotations

import logging

from langchain_text_splitters import RecursiveCharacterTextSplitter

from rag.types import Chunk, Remark

log = logging.getLogger(__name__)

# Regex separators, tried in order (the splitter falls back to the next one for pieces still too long).
SENTENCE_END = r"[。！？]|[.!?](?=\s)"
NEWLINE = r"\n"
COMMA = r"[、，]"
SPACE = r"[ \u3000\t]"
# Zero-width: any position that is not between two ASCII letters/digits (never split a Latin word).
NOT_IN_WORD = r"(?:(?<![A-Za-z0-9])|(?![A-Za-z0-9]))"
SEPARATORS = [SENTENCE_END, NEWLINE, COMMA, SPACE, NOT_IN_WORD]


def _splitter(size: int, overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        separators=SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",
        chunk_size=size,
        chunk_overlap=overlap,
        strip_whitespace=True,
    )


def chunk_remark(remark: Remark, *, size: int = 400, overlap: int = 60) -> list[Chunk]:
    """Split ``remark`` into chunks of at most ``size`` characters overlapping by about ``overlap``.

    A single ASCII word longer than ``size`` stays whole (the chunk is then longer than ``size``).
    Whitespace-only remarks give no chunks.
    """
    if size <= 0:
        raise ValueError(f"chunk size must be positive, got {size}; set RAG_CHUNK_SIZE to e.g. 400")
    if overlap < 0 or overlap >= size:
        raise ValueError(
            f"chunk overlap must be ≥ 0 and smaller than the chunk size ({size}), got {overlap}; "
            "set RAG_CHUNK_OVERLAP to e.g. 60"
        )
    text = remark.text
    if not text.strip():
        return []
    if len(text) <= size:
        return [Chunk(remark_id=remark.id, ordinal=0, text=text, start=0, end=len(text))]

    chunks: list[Chunk] = []
    cursor = 0
    for piece in _splitter(size, overlap).split_text(text):
        start = text.find(piece, cursor)
        if start < 0:  # cannot happen with keep_separator + merge separator "" (pieces are substrings)
            start = text.find(piece)
        if start < 0:
            log.warning("chunk of remark %s not found in its text; dropped", remark.id)
            continue
        chunks.append(
            Chunk(remark_id=remark.id, ordinal=len(chunks), text=piece, start=start, end=start + len(piece))
        )
        # The next chunk starts after this one's start and overlaps it by at most ``overlap`` characters.
        cursor = max(start + 1, start + len(piece) - overlap)
    return chunks
