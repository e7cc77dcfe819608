"""Evidence pack → JSON: every quoted remark once under ``evidence``, questions referring to it by ref."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from rag.brief.build import EvidencePack, EvidenceUse

_OPTIONAL = ("speaker_group", "url", "role")  # citation fields left out when empty (Diet minutes set them)

FORMAT_VERSION = 1


def _use(use: EvidenceUse) -> dict[str, Any]:
    return {
        "ref": use.ref,
        "remark_id": use.remark_id,
        "confidence": round(use.confidence, 4),
        "first": use.first,
        "highlights": [asdict(h) for h in use.highlights],
    }


def pack_to_dict(pack: EvidencePack) -> dict[str, Any]:
    out: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "lang": pack.lang,
        "k": pack.k,
        "model": pack.model,
        "min_confidence": pack.min_confidence,
        "filters": asdict(pack.filters) if pack.filters else None,
        "questions": [
            {
                "number": q.number,
                "question": q.question,
                "answerable": q.answerable,
                "has_evidence": q.has_evidence,
                "groups": [
                    {
                        "document": g.document,
                        "title": g.title,
                        "session": g.session,
                        "date": g.date,
                        "topic": g.topic,
                        "evidence": [_use(u) for u in g.uses],
                    }
                    for g in q.groups
                ],
            }
            for q in pack.questions
        ],
        "evidence": [
            {
                "ref": e.ref,
                "remark_id": e.remark_id,
                "text": e.text,
                "citation": {
                    **{k: v for k, v in asdict(e.citation).items() if v is not None or k not in _OPTIONAL},
                    "pages": list(e.citation.pages),
                },
            }
            for e in pack.evidence
        ],
        "sources": [asdict(s) for s in pack.sources],
    }
    if pack.context:
        out["context"] = pack.context
        for item, e in zip(out["evidence"], pack.evidence, strict=True):
            item["context"] = [
                {
                    "kind": "context",  # beside the evidence, not evidence itself
                    "remark_id": c.remark_id,
                    "position": c.position,
                    "text": c.text,
                    "speaker": c.speaker,
                    "role": c.role,
                    "pages": list(c.pages),
                }
                for c in e.context
            ]
    return out


def render_json(pack: EvidencePack) -> bytes:
    return json.dumps(pack_to_dict(pack), ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
