"""Render a Parla-CLARIN TEI 議事録 (e.g. ../shared/real/*.tei.xml) to the speaker-named text form that
rag.parse reads: a title line, the date, 【議題】 and one ``○名前役職　text`` remark per <u> (its <note> label).

    python tools/render_tei_minutes.py IN.tei.xml OUT.txt

The output is written where you say (a temp folder for tests and evaluations): nothing from the TEI is kept
in the repository. Also prints ``u-id<TAB>first characters`` per remark so evaluations can map labels.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

TEI = "{http://www.tei-c.org/ns/1.0}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def _text(node: ET.Element) -> str:
    return "".join("".join(node.itertext()).split())


def render(tei: Path) -> tuple[str, list[tuple[str, str]]]:
    """(minutes text, [(u id, remark text)]) of the TEI file."""
    root = ET.parse(tei).getroot()
    title = _text(root.find(f".//{TEI}titleStmt/{TEI}title[@type='sub']") or root.find(f".//{TEI}title"))
    date = root.find(f".//{TEI}sourceDesc//{TEI}date")
    when = date.get("when", "") if date is not None else ""
    y, m, d = (int(x) for x in when.split("-")) if when else (2024, 1, 1)
    reiwa = y - 2018
    lines = [title, f"１ 日時 令和{reiwa}年{m}月{d}日", "２ 議事", "【議題１】審議"]
    remarks: list[tuple[str, str]] = []
    for u in root.iter(f"{TEI}u"):
        note = u.find(f"{TEI}note")
        label = _text(note).lstrip("○") if note is not None else ""
        body = "".join(_text(seg) for seg in u.findall(f"{TEI}seg"))
        if not body:
            continue
        lines.append(f"○{label}　{body}")
        remarks.append((u.get(XML_ID, ""), body))
    return "\n".join(lines) + "\n", remarks


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        sys.stderr.write(__doc__ or "")
        return 2
    text, remarks = render(Path(argv[1]))
    Path(argv[2]).write_text(text, encoding="utf-8")
    for uid, body in remarks:
        sys.stdout.write(f"{uid}\t{body[:30]}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
