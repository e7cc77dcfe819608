"""Parser fixtures in the layouts governments publish, written at test time (never committed).

    python tools/make_parse_fixtures.py OUT_DIR [--tei PATH]

- From a Parla-CLARIN TEI 議事録 (../shared/real/…tei.xml: `<note>` holds the label, listPerson the roster):
  `tei_circle.txt/.pdf` (○ + ideographic space, cover page, 議事次第, 出席者 grouped over many lines, running
  header, 「- n -」 footers) and `tei_zero.txt` (〇 + full-width colon, 「n/N」 footers); `tei_truth.json`
  lists each utterance's label, speaker, role and first words.
- Invented minutes (all text written here): `council.txt` (cover page, 第25回 …会議, grouped 出席者 with
  ministries, 欠席者, 議事次第, name + office labels, stage directions), `assembly.txt` (会議録: 出席議員 with seat
  numbers, ○議長（…君）, 〔…〕 directions, ――――◇―――― separators), `kokkai_meeting.json` and
  `kokkai_speech.json` (the 国会会議録検索システム API schema), `council.docx`, `assembly.html`.
Functions return what they wrote, so tests can call them into a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

NS = {"t": "http://www.tei-c.org/ns/1.0"}
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TEI = ROOT.parent / "shared" / "real" / "env_chuokankyo_sogoseisaku_113_gijiroku.tei.xml"
WIDTH = 38  # characters per rendered line
PAGE_LINES = 34


@dataclass(frozen=True)
class Utterance:
    label: str  # without the marker: 高村部会長
    speaker: str
    role: str
    segments: tuple[str, ...]


@dataclass(frozen=True)
class TeiMinutes:
    title: str
    front: tuple[tuple[str, ...], ...]  # paragraphs of each leading div
    back: tuple[str, ...]
    members: tuple[tuple[str, str, str], ...]  # (surname, forename, affiliation)
    staff: tuple[tuple[str, str, str], ...]  # (surname, organisation, role)
    utterances: tuple[Utterance, ...]


def _text(el: ET.Element | None) -> str:
    return "".join(el.itertext()).strip() if el is not None else ""


def read_tei(path: Path) -> TeiMinutes:
    root = ET.parse(path).getroot()
    title = _text(root.find(".//t:titleStmt/t:title[@type='sub']", NS))
    lists = root.findall(".//t:listPerson", NS)
    members: list[tuple[str, str, str]] = []
    staff: list[tuple[str, str, str]] = []
    for index, plist in enumerate(lists):
        for person in plist.findall("t:person", NS):
            pn = person.find("t:persName", NS)
            surname = _text(pn.find("t:surname", NS)) if pn is not None else ""
            forename = _text(pn.find("t:forename", NS)) if pn is not None else ""
            aff = person.find("t:affiliation", NS)
            org = _text(aff.find("t:orgName", NS)) if aff is not None else ""
            role = _text(aff.find("t:roleName", NS)) if aff is not None else ""
            if index == 0:
                members.append((surname, forename, "".join((org + role).split())))
            else:
                staff.append((surname, org, role))
    utterances = []
    for u in root.findall(".//t:u", NS):
        note = u.find("t:note", NS)
        pn = note.find("t:persName", NS) if note is not None else None
        surname = _text(pn.find("t:surname", NS)) if pn is not None else ""
        forename = _text(pn.find("t:forename", NS)) if pn is not None else ""
        role = _text(pn.find("t:roleName", NS)) if pn is not None else ""
        label = "".join(_text(note).split()).lstrip("○")
        segs = tuple(" ".join(_text(s).split()) for s in u.findall("t:seg", NS))
        utterances.append(Utterance(label, surname + forename, role, segs))
    divs = root.findall(".//t:body/t:div", NS)
    front = tuple(
        tuple(" ".join(_text(p).split()) for p in d.findall("t:p", NS)) for d in divs if d.get("type") != "debate"
    )
    debate_at = next(i for i, d in enumerate(divs) if d.get("type") == "debate")
    return TeiMinutes(
        title=title,
        front=front[:debate_at],
        back=tuple(p for ps in front[debate_at:] for p in ps),
        members=tuple(members),
        staff=tuple(staff),
        utterances=tuple(utterances),
    )


def wrap(text: str, width: int = WIDTH) -> list[str]:
    """Cut a paragraph into lines of `width` characters, never inside an ASCII word."""
    out: list[str] = []
    while len(text) > width:
        cut = width
        while cut > 1 and (text[cut - 1].isascii() and text[cut].isascii() or text[cut] in "、。）」"):
            cut -= 1
        out.append(text[:cut])
        text = text[cut:]
    out.append(text)
    return out


def paginate(lines: list[str], header: str, footer: str, breaks: set[int] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """Pages of at most PAGE_LINES lines with a running header and a footer (`{n}` and `{total}` filled)."""
    pages: list[list[str]] = [[]]
    for index, line in enumerate(lines):
        if len(pages[-1]) >= PAGE_LINES or (index in breaks and pages[-1]):
            pages.append([])
        pages[-1].append(line)
    total = len(pages)
    out = []
    for number, body in enumerate(pages, start=1):
        head = [header] if number > 1 else []
        out.append("\n".join([*head, *body, footer.format(n=number, total=total)]) + "\n")
    return out


def render_tei(tei: TeiMinutes, *, marker: str = "○", sep: str = "\u3000", footer: str = "- {n} -") -> list[str]:
    cover = ["中央環境審議会", tei.title.replace("中央環境審議会", "").strip(" \u3000"), "", "環境省"]
    lines = list(cover)
    cover_end = len(lines)
    when = tei.front[1] if len(tei.front) > 1 else ()
    lines += [f"日時　{when[0]}" if when else "日時", f"場所　{' '.join(when[1:])}", "出席者", "（委員）"]
    for surname, forename, _affiliation in tei.members:
        title = "部会長" if surname == tei.utterances[1].speaker else "委員"
        lines.append(f"{surname}　{forename}　　{title}")
    by_org: dict[str, list[str]] = {}
    for surname, org, role in tei.staff:
        ministry = org[: org.index("省") + 1] if "省" in org else org
        office = org[len(ministry) :]
        if office.endswith(role[:1]) and role[:1] in "課部室局":
            office = office[:-1]  # 環境影響評価課 + 課長 → 環境影響評価課長
        by_org.setdefault(ministry, []).append(surname + office + role)
    lines.append("（事務局）")
    for ministry, people in by_org.items():
        lines.append(f"{ministry}：{'、'.join(people)}")
    for paragraph in tei.front[2] if len(tei.front) > 2 else ():
        lines += wrap(paragraph)
    for u in tei.utterances:
        first, *rest = u.segments or ("",)
        lines += wrap(f"{marker}{u.label}{sep}{first}")
        for seg in rest:
            lines += wrap("\u3000" + seg)
    lines += list(tei.back)
    header = "".join(tei.title.split())
    return paginate(lines, header, footer, breaks={cover_end})


def truth(tei: TeiMinutes) -> list[dict[str, str]]:
    return [
        {"label": u.label, "speaker": u.speaker, "role": u.role, "text": (u.segments or ("",))[0][:20]}
        for u in tei.utterances
    ]


def write_pdf(pages: list[str], target: Path) -> None:
    """One PDF page per text page (reportlab's built-in CID font: no font file needed)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "HeiseiMin-W3"
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    width, height = A4
    pdf = canvas.Canvas(str(target), pagesize=A4, invariant=True)
    for page in pages:
        y = height - 60
        for line in page.splitlines():
            pdf.setFont(font, 11)
            pdf.drawString(50, y, line)
            y -= 20
        pdf.showPage()
    pdf.save()


def write_scanned(source: Path, out: Path, *, first: int = 3, count: int = 3, dpi: int = 150) -> tuple[Path, Path]:
    """(text PDF, image-only PDF) of `count` pages of `source` from page `first`: the scan is each page
    rendered at `dpi` into an image, with no text layer."""
    import subprocess
    import tempfile

    from PIL import Image
    from pypdf import PdfReader, PdfWriter

    text_pdf, scan_pdf = out / f"{source.stem}_p{first}.pdf", out / f"{source.stem}_p{first}_scan.pdf"
    writer = PdfWriter()
    for page in PdfReader(source).pages[first - 1 : first - 1 + count]:
        writer.add_page(page)
    with text_pdf.open("wb") as handle:
        writer.write(handle)
    # poppler substitutes an installed Japanese font for reportlab's non-embedded CID font (pdfium does not)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(text_pdf), f"{tmp}/page"],  # noqa: S607
            check=True,
        )
        images = [Image.open(p).convert("L") for p in sorted(Path(tmp).glob("page*.png"))]
        images[0].save(scan_pdf, save_all=True, append_images=images[1:], resolution=float(dpi))
    return text_pdf, scan_pdf


def write_tei_fixtures(out: Path, tei_path: Path = DEFAULT_TEI) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    tei = read_tei(tei_path)
    written = {}
    circle = render_tei(tei)
    written["tei_circle.txt"] = out / "tei_circle.txt"
    written["tei_circle.txt"].write_text("\f".join(circle), encoding="utf-8")
    written["tei_circle.pdf"] = out / "tei_circle.pdf"
    write_pdf(circle, written["tei_circle.pdf"])
    zero = render_tei(tei, marker="〇", sep="：", footer="{n}/{total}")
    written["tei_zero.txt"] = out / "tei_zero.txt"
    written["tei_zero.txt"].write_text("\f".join(zero), encoding="utf-8")
    written["tei_zero.pdf"] = out / "tei_zero.pdf"
    write_pdf(zero, written["tei_zero.pdf"])
    written["tei_truth.json"] = out / "tei_truth.json"
    written["tei_truth.json"].write_text(json.dumps(truth(tei), ensure_ascii=False, indent=1), encoding="utf-8")
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--tei", type=Path, default=DEFAULT_TEI)
    args = parser.parse_args()
    from make_invented_minutes import write_invented  # noqa: PLC0415

    for path in [*write_tei_fixtures(args.out, args.tei).values(), *write_invented(args.out).values()]:
        print(f"wrote {path}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
