"""What a parse found, for people: counts, speakers, header facts, pages without text, and a warning.

`summary_lines(doc)` gives the lines `rag parse` prints after the remarks; `speaker_warning(doc)` a
one-line warning when a speaker-style document (most remarks carry a label) still has many remarks
without one — the sign of a label form the parser does not know.
"""

from __future__ import annotations

from collections import Counter

from rag.types import ParsedDocument

WARN_SHARE = 0.2  # unlabelled remarks above this share of a speaker-style document


def _who(speaker: str | None, role: str | None) -> str:
    return f"{speaker or ''}{role or ''}"


def summary_lines(doc: ParsedDocument) -> list[str]:
    m = doc.meeting
    speakers = Counter(_who(r.speaker, r.role) for r in doc.remarks if r.speaker or r.role)
    unlabelled = sum(1 for r in doc.remarks if not (r.speaker or r.role))
    lines = [
        f"format: {doc.format}, remarks: {len(doc.remarks)}, without a speaker: {unlabelled}",
        f"date: {m.date or '(not found)'}, body: {m.body or '(not found)'}, session: {m.session or '-'}",
        f"attendees: {len(m.attendees)}"
        + (f" ({', '.join(a.name for a in m.attendees[:8])}{' …' if len(m.attendees) > 8 else ''})" if m.attendees else ""),
    ]
    if m.absentees:
        lines.append(f"absentees: {', '.join(a.name for a in m.absentees)}")
    if m.agenda:
        lines.append(f"agenda: {' / '.join(m.agenda)}")
    if speakers:
        lines.append("speakers: " + ", ".join(f"{who} ×{n}" for who, n in speakers.most_common()))
    directions = sum(len(r.directions) for r in doc.remarks)
    if directions:
        lines.append(f"stage directions taken out of the text: {directions}")
    if doc.ocr_pages:
        lines.append(f"pages read by OCR: {', '.join(map(str, doc.ocr_pages))}")
    lines.append(f"pages that gave no text: {', '.join(map(str, doc.empty_pages)) or 'none'}")
    return lines


def speaker_warning(doc: ParsedDocument) -> str | None:
    labelled = sum(1 for r in doc.remarks if r.speaker or r.role)
    unlabelled = len(doc.remarks) - labelled
    if labelled * 2 < len(doc.remarks) or unlabelled <= max(1, WARN_SHARE * len(doc.remarks)):
        return None
    return (
        f"warning: {unlabelled} of {len(doc.remarks)} remarks have no speaker although this document labels its "
        "speakers; check the label form (see `rag parse --json`)"
    )
