"""Read a question file: plain lines (blank and ``#`` lines ignored), YAML or JSON (a list, or {questions: [...]})."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from rag.errors import InputError

_YAML = {".yaml", ".yml"}
_JSON = {".json"}


def parse_plain(text: str) -> list[str]:
    """One question per line; blank lines and lines starting with ``#`` are skipped."""
    return [s for line in text.splitlines() if (s := line.strip()) and not s.startswith("#")]


def _from_structure(data: Any, name: str) -> list[str]:
    if isinstance(data, dict):
        if "questions" not in data:
            keys = ", ".join(map(str, data)) or "none"
            raise InputError(
                f"{name}: expected a list of questions or a 'questions' key (found keys: {keys})."
            )
        data = data["questions"]
    if not isinstance(data, list):
        raise InputError(f"{name}: the questions must be a list of strings, found {type(data).__name__}.")
    questions: list[str] = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, str):
            raise InputError(
                f"{name}: question {i} is {type(item).__name__}, not text; quote it as a string."
            )
        if item.strip():
            questions.append(item.strip())
    return questions


def load_questions(path: Path) -> list[str]:
    """Questions from ``path`` by its suffix: .yaml/.yml, .json, anything else plain lines.

    Raises InputError when the file is missing, unreadable, malformed or holds no question.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"Question file {path} does not exist: check the path.") from None
    except UnicodeDecodeError:
        raise InputError(f"Question file {path} is not UTF-8 text: save it as UTF-8.") from None
    except OSError as exc:
        raise InputError(f"Question file {path} cannot be read ({exc.strerror or exc}).") from None

    suffix = path.suffix.lower()
    if suffix in _YAML:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            raise InputError(
                f"{path} is not valid YAML{where}: fix it or use one question per line."
            ) from None
        questions = [] if data is None else _from_structure(data, str(path))
    elif suffix in _JSON:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
            ) from None
        questions = _from_structure(data, str(path))
    else:
        questions = parse_plain(text)

    if not questions:
        raise InputError(f"{path} holds no question: write one question per line (or a YAML/JSON list).")
    return questions
