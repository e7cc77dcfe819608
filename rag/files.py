"""Which files a folder ingest takes: minutes files by suffix, one file per document id."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

SUPPORTED_SUFFIXES = (".pdf", ".txt", ".md", ".text", ".json", ".html", ".htm", ".docx")


def iter_minutes_files(paths: Iterable[Path]) -> tuple[list[Path], dict[str, str]]:
    """Expand files and folders (recursively) into the minutes files to ingest, sorted.

    Returns the files and ``{path: reason}`` for paths that do not exist or have an unsupported type.
    """
    files: list[Path] = []
    problems: dict[str, str] = {}
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            files.extend(found)
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(path)
            else:
                problems[str(path)] = (
                    f"{path.name}: unsupported file type {path.suffix or '(none)'}; "
                    f"use one of {', '.join(SUPPORTED_SUFFIXES)}"
                )
        else:
            problems[str(path)] = f"{path}: no such file or folder"
    return files, problems


def one_file_per_document(files: list[Path], skipped: dict[str, str]) -> list[Path]:
    """Keep one file per document id (the file name without extension).

    The same minutes often come as text and PDF side by side; the text rendition wins (its layer is clean)
    and the other is reported as skipped, so re-ingesting the folder stays a no-op.
    """
    chosen: dict[str, Path] = {}
    for path in files:
        current = chosen.get(path.stem)
        if current is None or _rank(path) < _rank(current):
            chosen[path.stem] = path
    for path in files:
        keep = chosen[path.stem]
        if keep != path:
            skipped[str(path)] = f"{path.name}: same document id {path.stem!r} as {keep}; skipped"
    return [p for p in files if chosen[p.stem] == p]


def _rank(path: Path) -> int:
    order = [".txt", ".text", ".md", ".json", ".docx", ".html", ".htm", ".pdf"]
    return order.index(path.suffix.lower()) if path.suffix.lower() in order else len(order)
