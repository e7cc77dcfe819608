"""Render a Parla-CLARIN TEI 議事録 (e.g. ../shared/real/*.tei.xml) to the speaker-named text form that
rag.parse reads: a title line, the date, 【議題】 and one ``○名前役職　text`` remark per <u> (its <note> label).

The rendering is written where the caller says (a temp or cache folder): nothing from the TEI is kept in the
repository. ``rendered_minutes`` is what the dataset loader uses for ``render: tei`` entries of dataset.yaml.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

TEI = "{http://www.tei-c.org/ns/1.0}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
CACHE_ENV = "RAG_EVAL_CACHE"


def _text(node: ET.Element | None) -> str:
    return "" if node is None else "".join("".join(node.itertext()).split())


def render(tei: Path) -> tuple[str, list[tuple[str, str]]]:
    """(minutes text, [(u id, remark text)]) of the TEI file."""
    try:
        root = ET.parse(tei).getroot()
    except ET.ParseError as exc:
        raise ValueError(f"{tei}: not well-formed TEI XML ({exc}); give a Parla-CLARIN .tei.xml file") from exc
    # The first <title> (the main one, "… [Parla-CLARIN]"): what this renderer has always written, so the
    # renderings that earlier measurements used stay byte-identical.
    title = _text(root.find(f".//{TEI}title"))
    date = root.find(f".//{TEI}sourceDesc//{TEI}date")
    when = date.get("when", "") if date is not None else ""
    y, m, d = (int(x) for x in when.split("-")) if when else (2024, 1, 1)
    reiwa = y - 2018
    lines = [title, f"１ 日時 令和{reiwa}年{m}月{d}日", "２ 議事", "【議題１】審議"]
    remarks: list[tuple[str, str]] = []
    for u in root.iter(f"{TEI}u"):
        note = u.find(f"{TEI}note")
        label = _text(note).lstrip("○")
        body = "".join(_text(seg) for seg in u.findall(f"{TEI}seg"))
        if not body:
            continue
        lines.append(f"○{label}　{body}")
        remarks.append((u.get(XML_ID, ""), body))
    return "\n".join(lines) + "\n", remarks


def default_document_id(tei: Path) -> str:
    """``x.tei.xml`` → ``x``: the document id the rendering gets when none is given."""
    name = tei.name
    for suffix in (".tei.xml", ".xml"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return tei.stem


def cache_dir() -> Path:
    """Where renderings go: $RAG_EVAL_CACHE, else <tmp>/minutes-rag-eval."""
    return Path(os.environ.get(CACHE_ENV) or Path(tempfile.gettempdir()) / "minutes-rag-eval")


def rendered_minutes(tei: Path, *, document: str | None = None, cache: Path | None = None) -> Path:
    """Render ``tei`` once into ``{cache}/{sha of the TEI}/{document}.txt`` and return that path.

    The file name is the document id (rag's ingest takes the stem), so gold ``{document, ordinal}`` stays
    stable whatever the cache folder is; the sha folder keeps two versions of a TEI file apart.
    """
    tei = Path(tei)
    if not tei.is_file():
        raise ValueError(f"TEI minutes {tei} not found; fix dataset.yaml or pass --minutes PATH")
    doc = document or default_document_id(tei)
    if not doc or "/" in doc or "\\" in doc or doc.startswith("."):
        raise ValueError(f"document id {doc!r} for {tei} must be a plain file name (no '/', not starting with '.')")
    digest = hashlib.sha256(tei.read_bytes()).hexdigest()[:16]
    out = (cache or cache_dir()) / digest / f"{doc}.txt"
    if out.is_file():
        return out
    text, _ = render(tei)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return out
