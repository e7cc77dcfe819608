"""The real 環境省 議事録 (../shared TEI) rendered into 議事録 text and PDFs: speakers, header, noise."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from parse_fixtures import make_parse_fixtures

from rag.parse import parse_file
from rag.types import ParsedDocument

VARIANTS = ["tei_circle.txt", "tei_circle.pdf", "tei_zero.txt", "tei_zero.pdf"]


@pytest.fixture(scope="session")
def tei_files(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tei = shared_dir / "real" / "env_chuokankyo_sogoseisaku_113_gijiroku.tei.xml"
    return make_parse_fixtures.write_tei_fixtures(tmp_path_factory.mktemp("tei"), tei)


@pytest.fixture(scope="session")
def truth(tei_files: dict[str, Path]) -> list[dict[str, str]]:
    return json.loads(tei_files["tei_truth.json"].read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def parsed(tei_files: dict[str, Path]) -> dict[str, ParsedDocument]:
    return {name: parse_file(tei_files[name]) for name in VARIANTS}


@pytest.mark.parametrize("name", VARIANTS)
def test_every_label_gives_its_speaker_and_role(
    name: str, parsed: dict[str, ParsedDocument], truth: list[dict[str, str]]
) -> None:
    doc = parsed[name]
    assert len(truth) == 85
    assert len(doc.remarks) == len(truth)  # one remark per label
    right = 0
    for remark, want in zip(doc.remarks, truth, strict=True):
        reproduced = (remark.speaker or "") + (remark.role or "")
        if (remark.speaker, remark.role) == (want["speaker"], want["role"]) and reproduced == want["label"]:
            right += 1
        assert not remark.text.startswith(want["label"])  # the label never stays in the text
        assert remark.text.startswith(want["text"][:10])
    assert right / len(truth) >= 0.98


@pytest.mark.parametrize("name", VARIANTS)
def test_header_of_the_rendered_minutes(name: str, parsed: dict[str, ParsedDocument]) -> None:
    m = parsed[name].meeting
    assert (m.body, m.session, m.date, m.start_time, m.end_time) == (
        "中央環境審議会総合政策部会",
        113,
        "2024-01-29",
        "09:30",
        "11:56",
    )
    names = {a.name for a in m.attendees}
    assert {"高村 ゆかり", "有村 俊秀", "山戸 昌子", "東岡", "大倉"} <= names
    assert len(m.attendees) == 33
    assert m.agenda[:3] == ("１．開会", "２．議事", "（１）第五次環境基本計画の見直しについて")


@pytest.mark.parametrize("name", VARIANTS)
def test_no_page_furniture_in_remarks(name: str, parsed: dict[str, ParsedDocument]) -> None:
    for remark in parsed[name].remarks:
        assert not re.search(r"- \d+ -|\d+/\d+$|中央環境審議会総合政策部会（第１１３回）議事録", remark.text)
        assert "閉会" not in remark.text.split("\n")[-1][-6:] or remark.text.endswith("。")
    assert parsed[name].remarks[-1].text.endswith("どうもありがとうございました。")
