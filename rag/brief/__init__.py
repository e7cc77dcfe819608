"""Evidence packs for briefings: questions → cited remarks grouped by meeting and topic → md / json / docx.

Typical use (the CLI ``rag brief`` and ``POST /brief`` do exactly this)::

    questions = load_questions(Path("questions.txt"))
    pack = build_pack(service, questions, k=5, lang="ja")
    Path("brief.docx").write_bytes(render(pack, "docx"))
"""

from __future__ import annotations

from rag.brief.build import (
    MAX_QUESTIONS,
    ContextRemark,
    Evidence,
    EvidenceGroup,
    EvidencePack,
    EvidenceUse,
    QuestionEvidence,
    SearchService,
    Source,
    build_pack,
)
from rag.brief.labels import LANGS, Labels, get_labels
from rag.brief.questions import load_questions, parse_plain
from rag.brief.render import FORMATS, MEDIA_TYPES, check_format, format_for_path, render

__all__ = [
    "FORMATS",
    "LANGS",
    "MAX_QUESTIONS",
    "MEDIA_TYPES",
    "ContextRemark",
    "Evidence",
    "EvidenceGroup",
    "EvidencePack",
    "EvidenceUse",
    "Labels",
    "QuestionEvidence",
    "SearchService",
    "Source",
    "build_pack",
    "check_format",
    "format_for_path",
    "get_labels",
    "load_questions",
    "parse_plain",
    "render",
]
