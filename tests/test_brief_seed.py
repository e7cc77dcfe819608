"""An evidence pack over the seed minutes with the real service and the bundled model."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import docx
import markdown
import pytest

from rag.brief import build_pack, render
from rag.service import RagService
from rag.settings import Settings

STARTUP = "スタートアップの資金調達の課題は？"
THINK_TANK = "What was said about think tanks?"
NUCLEAR = "原子力発電所の再稼働についての議論は？"
TITLE = "官民技術協力に関する検討会合（第１回）議事要旨"


@pytest.fixture(scope="module")
def seeded(seed_txt: Path, tmp_path_factory: pytest.TempPathFactory) -> RagService:
    svc = RagService(Settings(index_dir=tmp_path_factory.mktemp("brief-index")))
    report = svc.ingest([seed_txt])
    assert report.added == [seed_txt.stem], report
    return svc


@pytest.mark.slow
def test_pack_over_the_seed(seeded: RagService, seed_txt: Path) -> None:
    pack = build_pack(seeded, [STARTUP, THINK_TANK, NUCLEAR], k=5, lang="ja")
    startup, think_tank, nuclear = pack.questions
    assert startup.has_evidence and think_tank.has_evidence
    assert (nuclear.question, nuclear.has_evidence, nuclear.groups) == (NUCLEAR, False, ())

    doc = seeded.document(seed_txt.stem)
    remarks = {r.id: r for r in doc.remarks}
    assert pack.evidence
    for item in pack.evidence:
        remark = remarks[item.remark_id]
        assert item.text == remark.text  # quoted in full, exactly
        c = item.citation
        assert (c.document, c.title, c.session, c.date) == (seed_txt.stem, TITLE, 1, "2021-12-09")
        assert (c.topic, c.pages, c.speaker) == (remark.topic, remark.pages, remark.speaker)
        assert c.pages and all(1 <= p <= 7 for p in c.pages)
    # the questions' own words are in the remarks they cite
    assert any("資金調達" in pack.get(u.ref).text for u in startup.uses)
    assert any("シンクタンク" in pack.get(u.ref).text for u in think_tank.uses)
    threshold = seeded.retriever.calibration.confidence.threshold
    assert all(u.confidence >= threshold for q in pack.questions for u in q.uses)
    assert [(s.document, s.date) for s in pack.sources] == [(seed_txt.stem, "2021-12-09")]

    # every format carries the quotes intact
    page = markdown.markdown(render(pack, "md").decode("utf-8"))
    visible = " ".join(re.sub(r"<[^>]+>", "", page).split())
    assert "**" not in page and "<blockquote>" in page
    assert "該当する発言は見つかりませんでした" in page
    for item in pack.evidence:
        assert " ".join(item.text.split()) in visible.replace("&lt;", "<").replace("&amp;", "&")
    data = render(pack, "docx")
    texts = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
    assert all(item.text in texts for item in pack.evidence)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert 'w:eastAsia="Yu Mincho"' in z.read("word/styles.xml").decode()
