"""Question files: plain lines, YAML, JSON, and clear errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.brief import load_questions
from rag.errors import InputError

EXPECTED = ["研究投資の進め方は？", "What was said about talent?"]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_plain_lines_skip_blank_and_comment_lines(tmp_path: Path) -> None:
    text = "# 会議前の確認事項\n\n  研究投資の進め方は？  \n   # indented comment\nWhat was said about talent?\n\n"
    assert load_questions(_write(tmp_path, "q.txt", text)) == EXPECTED


def test_plain_file_with_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "q.md"
    path.write_bytes("\ufeff研究投資の進め方は？\r\nWhat was said about talent?\r\n".encode())
    assert load_questions(path) == EXPECTED


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("q.yaml", "- 研究投資の進め方は？\n- What was said about talent?\n"),
        ("q.yml", "questions:\n  - 研究投資の進め方は？\n  - '  What was said about talent?  '\n"),
        ("q.json", '["研究投資の進め方は？", "What was said about talent?"]'),
        ("q.json", '{"questions": ["研究投資の進め方は？", "", "What was said about talent?"]}'),
    ],
)
def test_yaml_and_json(tmp_path: Path, name: str, text: str) -> None:
    assert load_questions(_write(tmp_path, name, text)) == EXPECTED


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("q.txt", "# only a comment\n\n", "holds no question"),
        ("q.yaml", "questions: [a, b\n", "not valid YAML at line"),
        ("q.yaml", "title: 会合\n", "'questions' key .*found keys: title"),
        ("q.yaml", "questions: 研究投資\n", "must be a list of strings, found str"),
        ("q.yaml", "- 研究投資\n- 12\n", "question 2 is int"),
        ("q.yaml", "", "holds no question"),
        ("q.json", '{"questions": [}', "not valid JSON \\(line 1, column 16: Expecting value"),
        ("q.json", "[]", "holds no question"),
    ],
)
def test_bad_files(tmp_path: Path, name: str, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_questions(_write(tmp_path, name, text))


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_questions(tmp_path / "nope.txt")
    path = tmp_path / "sjis.txt"
    path.write_bytes("研究投資".encode("shift_jis"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_questions(path)
