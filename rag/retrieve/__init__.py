"""Retrieval and ranking: hybrid dense + lexical search, fusion, rerank, diversity, evidence, abstention."""

from __future__ import annotations

from rag.retrieve.pipeline import Retriever
from rag.retrieve.query import (
    MODES,
    Query,
    detect_language,
    era_years,
    fold_width,
    parse_query,
    validate_question,
)

__all__ = [
    "MODES",
    "Query",
    "Retriever",
    "detect_language",
    "era_years",
    "fold_width",
    "parse_query",
    "validate_question",
]
