"""Rendering an evidence pack: Markdown (checked as HTML), Word (reopened, East Asian font), JSON."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile

import docx
import markdown
import pytest

from rag.brief import EvidencePack, build_pack, format_for_path, render
from rag.errors import InputError
from rag.types import Citation, Filters, Highlight, Hit, SearchResult

TITLE = "架空技術会合（第１回）議事要旨"
# Hand-written remarks; the second is full of characters Markdown would otherwise eat.
PLAIN = "研究投資は分野を絞るべきだ。広く薄い支援では成果が出ない。"
TRICKY = "# 見出しではない\n1. 番号でもない\n- *星* と _下線_ と [括弧](x) と <b>タグ</b> & 記号\n=== 終わり"
HL_PLAIN = "広く薄い支援では成果が出ない。"
HL_TRICKY = "*星* と _下線_"


def _hit(rid: str, text: str, conf: float, topic: str, hl: str, speaker: str | None = None) -> Hit:
    start = text.index(hl)
    cit = Citation(rid.split("#")[0], TITLE, 1, "2021-12-09", topic, speaker, (2, 3))
    return Hit(rid, text, conf, conf, cit, (Highlight(hl, start, start + len(hl)),))


RESULTS = {
    "研究投資は？": SearchResult(
        "研究投資は？",
        True,
        [
            _hit("m1#2", PLAIN, 0.8, "論点① 研究投資", HL_PLAIN, "青木"),
            _hit("m1#4", TRICKY, 0.7, "論点② 表記", HL_TRICKY),
        ],
        "fake",
    ),
    "What about symbols?": SearchResult(
        "What about symbols?", True, [_hit("m1#4", TRICKY, 0.66, "論点② 表記", "番号でもない")], "fake"
    ),
    "原子力は？": SearchResult("原子力は？", False, [], "fake"),
}


class FakeService:
    answer_threshold = 0.5

    def search(self, question: str, *, k: int | None = None, filters: Filters | None = None) -> SearchResult:
        return RESULTS[question]


def _pack(lang: str) -> EvidencePack:
    return build_pack(FakeService(), list(RESULTS), lang=lang)


def _text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def _squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_markdown_renders_to_clean_html(lang: str) -> None:
    md = render(_pack(lang), "md").decode("utf-8")
    page = markdown.markdown(md)
    assert "**" not in page and "\\" not in page and "&amp;amp;" not in page
    headings = re.findall(r"<h(\d)>(.*?)</h\1>", page)
    quotes = re.findall(r"<blockquote>(.*?)</blockquote>", page, flags=re.S)
    # every quote reads exactly as the remark (line breaks aside); the highlight is bold inside it
    assert [_text(q) for q in quotes] == [_squash(PLAIN), _squash(TRICKY)]
    assert f"<strong>{HL_PLAIN}</strong>" in quotes[0]
    assert "<strong>*星* と _下線_</strong>" in quotes[1]
    assert "&lt;b&gt;タグ&lt;/b&gt; &amp; 記号" in quotes[1]  # a tag in a remark is shown, not obeyed
    if lang == "ja":
        assert [h for h in headings if h[0] in "12"] == [
            ("1", "ブリーフィング資料：質問と根拠"),
            ("2", "質問 1：研究投資は？"),
            ("2", "質問 2：What about symbols?"),
            ("2", "質問 3：原子力は？"),
            ("2", "出典"),
        ]
        assert ("3", f"{TITLE}（2021年12月9日）") in headings
        assert ("4", "論点: 論点① 研究投資") in headings
        assert "<p>→ [E2] を参照（信頼度 0.66）：「番号でもない」</p>" in page
        assert "<em>該当する発言は見つかりませんでした</em>" in page
        assert "信頼度 0.80 · 発言者: 青木 · 2–3頁 · <code>m1#2</code>" in page
        assert f"<li>{TITLE}（2021年12月9日） — 文書 <code>m1</code></li>" in page
    else:
        assert ("2", "Question 1: 研究投資は？") in headings and ("2", "Sources") in headings
        assert ("3", f"{TITLE} (Session 1, 9 December 2021)") in headings
        assert "<p>→ see [E2] (Confidence 0.66): “番号でもない”</p>" in page
        assert "<em>No supporting remarks found</em>" in page
        assert "Confidence 0.80 · Speaker: 青木 · pp. 2–3" in page
    assert page.count("<blockquote>") == 2  # the shared remark is quoted once


def test_docx_reopens_with_east_asian_font() -> None:
    data = render(_pack("ja"), "docx")
    document = docx.Document(io.BytesIO(data))
    texts = [(p.style.name if p.style is not None else "", p.text) for p in document.paragraphs]
    assert ("Heading 1", "質問 1：研究投資は？") in texts
    assert ("Heading 1", "出典") in texts
    assert ("Quote", PLAIN) in texts
    assert ("Quote", TRICKY) in texts  # "\n" comes back from the line breaks
    assert ("Normal", "該当する発言は見つかりませんでした") in texts
    assert ("Normal", "→ [E2] を参照（信頼度 0.66）：「番号でもない」") in texts
    bold = [
        r.text
        for p in document.paragraphs
        if p.style is not None and p.style.name == "Quote"
        for r in p.runs
        if r.bold
    ]
    assert bold == [HL_PLAIN, HL_TRICKY]

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        styles, body = z.read("word/styles.xml").decode(), z.read("word/document.xml").decode()
    normal = re.search(r'<w:style [^>]*w:styleId="Normal".*?</w:style>', styles, flags=re.S)
    assert normal is not None and 'w:eastAsia="Yu Mincho"' in normal.group(0)
    fonts = re.findall(r"<w:rFonts [^>]*/>", body)
    assert fonts and all('w:eastAsia="Yu Mincho"' in f for f in fonts)  # every run
    heading = re.search(r'<w:style [^>]*w:styleId="Heading1".*?</w:style>', styles, flags=re.S)
    assert heading is not None and "eastAsiaTheme" not in heading.group(0)  # a theme font would win


def test_json_lists_every_remark_once_with_references() -> None:
    data = json.loads(render(_pack("en"), "json"))
    assert [(e["ref"], e["remark_id"], e["text"]) for e in data["evidence"]] == [
        ("E1", "m1#2", PLAIN),
        ("E2", "m1#4", TRICKY),
    ]
    assert data["evidence"][0]["citation"] == {
        "document": "m1", "title": TITLE, "session": 1, "date": "2021-12-09",
        "topic": "論点① 研究投資", "speaker": "青木", "pages": [2, 3],
    }  # fmt: skip
    q1, q2, q3 = data["questions"]
    assert [g["topic"] for g in q1["groups"]] == ["論点① 研究投資", "論点② 表記"]
    assert q2["groups"][0]["evidence"] == [
        {"ref": "E2", "remark_id": "m1#4", "confidence": 0.66, "first": False,
         "highlights": [{"text": "番号でもない", "start": 13, "end": 19}]},
    ]  # fmt: skip
    assert (q3["answerable"], q3["has_evidence"], q3["groups"]) == (False, False, [])
    assert data["sources"] == [
        {"document": "m1", "title": TITLE, "session": 1, "date": "2021-12-09", "remarks": 2}
    ]
    assert (data["lang"], data["k"], data["min_confidence"], data["model"]) == ("en", 5, 0.5, "fake")


def test_empty_pack_still_has_a_source_section() -> None:
    pack = build_pack(FakeService(), ["原子力は？"], lang="en")
    page = markdown.markdown(render(pack, "md").decode())
    assert "<h2>Sources</h2>" in page and "<blockquote>" not in page


def test_formats() -> None:
    with pytest.raises(InputError, match="Unknown brief format 'pdf'"):
        render(_pack("ja"), "pdf")
    assert [format_for_path(p) for p in ("a.MD", "b.json", "c.docx")] == ["md", "json", "docx"]  # type: ignore[arg-type]
    with pytest.raises(InputError, match="name it .md, .json or .docx"):
        format_for_path("brief.pdf")  # type: ignore[arg-type]
