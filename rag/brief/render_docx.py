"""Evidence pack → Word (.docx) with python-docx; an East Asian font is set on the styles and every run so
that Japanese renders in Word and LibreOffice alike."""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph

from rag.brief.build import (
    EvidenceGroup,
    EvidencePack,
    QuestionEvidence,
    highlight_segments,
    highlighted_sentences,
)
from rag.brief.labels import Labels, get_labels

EAST_ASIA_FONT = "Yu Mincho"
LATIN_FONT = "Times New Roman"
_STYLES = ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "Quote", "List Bullet")
_GREY = RGBColor(0x59, 0x59, 0x59)


def _set_fonts(rpr: BaseOxmlElement, *, latin: str | None, east_asia: str) -> None:
    """Point the run properties' rFonts at ``east_asia`` for CJK text (theme fonts would override it)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asia)
    for attr in ("w:eastAsiaTheme", *(("w:asciiTheme", "w:hAnsiTheme") if latin else ())):
        if fonts.get(qn(attr)) is not None:
            del fonts.attrib[qn(attr)]
    if latin:
        fonts.set(qn("w:ascii"), latin)
        fonts.set(qn("w:hAnsi"), latin)


def _prepare_styles(doc: DocumentObject, lang: str) -> None:
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    default_rpr = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    if default_rpr is not None and default_rpr.find(qn("w:rPr")) is not None:
        _set_fonts(default_rpr.find(qn("w:rPr")), latin=None, east_asia=EAST_ASIA_FONT)
    for name in _STYLES:
        style = doc.styles[name]
        rpr = style.element.get_or_add_rPr()
        _set_fonts(rpr, latin=LATIN_FONT if name == "Normal" else None, east_asia=EAST_ASIA_FONT)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    lang_el = normal.element.get_or_add_rPr().find(qn("w:lang"))
    if lang_el is None:
        lang_el = OxmlElement("w:lang")
        normal.element.get_or_add_rPr().append(lang_el)
    lang_el.set(qn("w:val"), "ja-JP" if lang == "ja" else "en-GB")
    lang_el.set(qn("w:eastAsia"), "ja-JP")


def _run(
    paragraph: Paragraph, text: str, *, bold: bool = False, grey: bool = False, mark: bool = False
) -> None:
    run = paragraph.add_run(text)  # python-docx turns "\n" into line breaks
    _set_fonts(run._r.get_or_add_rPr(), latin=None, east_asia=EAST_ASIA_FONT)
    if bold:
        run.bold = True
    if mark:
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    if grey:
        run.font.color.rgb = _GREY
        run.font.size = Pt(9)


def _heading(doc: DocumentObject, text: str, level: int) -> None:
    paragraph = doc.add_heading(level=level)
    _run(paragraph, text)


def _group(
    doc: DocumentObject, group: EvidenceGroup, pack: EvidencePack, lb: Labels, *, new_meeting: bool
) -> None:
    if new_meeting:
        _heading(doc, lb.meeting_line(group.title, group.session, group.date), 2)
    _heading(doc, f"{lb.topic}: {lb.topic_text(group.topic)}", 3)
    for use in group.uses:
        item = pack.get(use.ref)
        if not use.first:
            see = doc.add_paragraph()
            _run(see, lb.reference(item.ref, use.confidence))
            sentences = lb.quoted(highlighted_sentences(item.text, use.highlights))
            if sentences:
                _run(see, sentences, bold=True)
            continue
        c = item.citation
        meta = doc.add_paragraph()
        _run(meta, f"[{item.ref}] ", bold=True)
        details = [
            lb.confidence_text(use.confidence),
            lb.speaker_text(c.speaker),
            lb.pages(c.pages),
            item.remark_id,
        ]
        _run(meta, " · ".join(d for d in details if d), grey=True)
        quote = doc.add_paragraph(style="Quote")
        for segment, marked in highlight_segments(item.text, use.highlights):
            _run(quote, segment, bold=marked, mark=marked)
        if item.context:
            caption = doc.add_paragraph()
            _run(caption, f"{lb.context} [{item.ref}]", grey=True)
            for near in item.context:
                line = doc.add_paragraph()
                label = lb.context_line(near.position, near.speaker, near.role, near.pages)
                _run(line, f"{label} · {near.remark_id}: ", grey=True)
                _run(line, " ".join(near.text.split()), grey=True)


def _question(doc: DocumentObject, q: QuestionEvidence, pack: EvidencePack, lb: Labels) -> None:
    _heading(doc, lb.question_heading(q.number, q.question), 1)
    if not q.has_evidence:
        _run(doc.add_paragraph(), lb.no_evidence)
        return
    previous: str | None = None
    for group in q.groups:
        _group(doc, group, pack, lb, new_meeting=group.document != previous)
        previous = group.document


def render_docx(pack: EvidencePack) -> bytes:
    lb = get_labels(pack.lang)
    doc = Document()
    _prepare_styles(doc, pack.lang)
    doc.core_properties.title = lb.title
    doc.core_properties.language = "ja-JP" if pack.lang == "ja" else "en-GB"
    _heading(doc, lb.title, 0)
    _run(
        doc.add_paragraph(),
        lb.summary.format(questions=len(pack.questions), answered=pack.answered, evidence=len(pack.evidence)),
    )
    for q in pack.questions:
        _question(doc, q, pack, lb)
    _heading(doc, lb.sources, 1)
    if not pack.sources:
        _run(doc.add_paragraph(), lb.no_evidence)
    for s in pack.sources:
        item = doc.add_paragraph(style="List Bullet")
        _run(item, lb.meeting_line(s.title, s.session, s.date))
        _run(item, f" — {lb.document} {s.document}", grey=True)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
