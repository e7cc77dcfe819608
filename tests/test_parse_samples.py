from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.parse import parse_file

SAMPLES = Path(__file__).resolve().parents[1] / "rag" / "samples"
EXPECTED = {  # stem → (remarks, 《論点》 topics, speaker-attributed remarks, date)
    "digital_infra_02": (10, 2, 0, "2023-10-17"),
    "disaster_resilience_03": (12, 0, 12, "2024-02-08"),
    "semiconductor_talent_01": (8, 2, 0, "2024-07-22"),
}


def test_samples_are_all_listed() -> None:
    assert sorted(p.stem for p in SAMPLES.glob("*.txt")) == sorted(EXPECTED)
    assert sorted(p.stem for p in SAMPLES.glob("*.pdf")) == sorted(EXPECTED)


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_sample_parses_as_intended(stem: str) -> None:
    remarks, issues, attributed, date = EXPECTED[stem]
    txt, pdf = parse_file(SAMPLES / f"{stem}.txt"), parse_file(SAMPLES / f"{stem}.pdf")
    for doc in (txt, pdf):
        assert len(doc.remarks) == remarks
        assert sum(t.kind == "issue" for t in doc.topics) == issues
        assert sum(r.role is not None for r in doc.remarks) == attributed
        assert doc.meeting.date == date
        assert "架空" in doc.text  # labelled as fictional inside the text
        assert all(doc.text[r.start : r.end] == r.text for r in doc.remarks)
        assert not any(re.search(r"- \d+ -", r.text) for r in doc.remarks)
        assert doc.text.startswith(doc.meeting.title + "\n")  # the 資料Ｎ page label is gone
    assert [r.text for r in txt.remarks] == [r.text for r in pdf.remarks]
    assert txt.meeting == pdf.meeting and txt.topics == pdf.topics
    assert pdf.format == "pdf" and txt.format == "text"


def test_sample_pdfs_cross_page_breaks() -> None:
    doc = parse_file(SAMPLES / "disaster_resilience_03.pdf")
    assert [r.ordinal for r in doc.remarks if len(r.pages) > 1] == [7]
    speakers = [(r.speaker, r.role) for r in doc.remarks[:4]]
    assert speakers == [(None, "座長"), (None, "事務局"), ("佐藤", "委員"), ("高橋", "委員")]
    assert doc.remarks[2].text.count("\n") == 1  # the indented second paragraph
    assert doc.meeting.attendees[0].name == "森田 和夫"
    assert doc.meeting.attendees[0].title == "座長 名誉教授"
