"""`rag parse`: the human summary, the unlabelled-speaker warning, and the --json shape (fields added only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from parse_fixtures import invented
from typer.testing import CliRunner

from rag.cli import app

OLD_KEYS = {"document", "source", "sha256", "format", "meeting", "topics", "remarks"}
OLD_REMARK_KEYS = {"id", "ordinal", "text", "topic", "topic_number", "speaker", "role", "pages", "start", "end"}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return invented.write_invented(tmp_path_factory.mktemp("cli"))


def test_summary_names_speakers_attendees_and_empty_pages(files: dict[str, Path]) -> None:
    res = CliRunner().invoke(app, ["parse", str(files["council.txt"])])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "remarks: 11, without a speaker: 0" in out
    assert "東会長 ×3" in out and "宮腰大臣 ×1" in out
    assert "attendees: 13" in out and "absentees: 大野, 加藤" in out
    assert "date: 2019-07-26" in out
    assert "pages that gave no text: none" in out
    assert "warning" not in out


def test_warning_when_speaker_style_remarks_lack_speakers(tmp_path: Path) -> None:
    lines = ["架空会議 議事録"] + [f"○青木委員　発言{i}。" for i in range(5)] + [f"○ 名無しの発言{i}。" for i in range(3)]
    path = tmp_path / "mixed.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["parse", str(path)])
    assert res.exit_code == 0
    assert "warning: 3 of 8 remarks have no speaker" in res.output


def test_json_keeps_its_shape_and_adds_fields(files: dict[str, Path]) -> None:
    res = CliRunner().invoke(app, ["parse", str(files["kokkai_meeting.json"]), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert OLD_KEYS <= set(data) and {"ocr_pages", "empty_pages"} <= set(data)
    remark = data["remarks"][0]
    assert OLD_REMARK_KEYS <= set(remark)
    assert {"directions", "speaker_group", "position", "url"} <= set(remark)
    assert {"absentees", "agenda", "attendees"} <= set(data["meeting"])
