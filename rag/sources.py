"""Uploaded source PDFs kept in the index folder (``{index_dir}/sources/{document}.pdf``).

Only what the index holds is ever handed out: a regular file (no link) directly in that folder, named after
an indexed PDF document, whose bytes hash to that document's sha256.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from rag.errors import NotFoundError
from rag.types import ParsedDocument

SOURCES_DIR = "sources"


def source_name(document: str) -> str:
    """A document id that is safe as a file name in the sources folder; NotFoundError otherwise."""
    bad = not document or document in (".", "..") or document.startswith(".")
    if bad or any(ch in document for ch in ("/", "\\", "\x00", ":")) or len(document.encode()) > 200:
        raise NotFoundError(f"no stored source for {document!r}")
    return document


def store(folder: Path, document: str, data: bytes) -> Path:
    """Write ``data`` as the document's source, atomically (temp file, fsync, rename)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{source_name(document)}.pdf"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def remove(folder: Path, document: str) -> None:
    try:
        name = source_name(document)
    except NotFoundError:
        return
    (folder / f"{name}.pdf").unlink(missing_ok=True)


def has(folder: Path, document: str) -> bool:
    """Cheap check for links: a regular file (no link) is stored for ``document``; serving checks more."""
    try:
        path = folder / f"{source_name(document)}.pdf"
    except NotFoundError:
        return False
    return not path.is_symlink() and path.is_file()


def verified(folder: Path, doc: ParsedDocument) -> Path | None:
    """The stored source of ``doc`` when it is exactly the PDF the index was built from, else None."""
    try:
        path = folder / f"{source_name(doc.document)}.pdf"
        if path.is_symlink() or not path.is_file() or path.resolve().parent != folder.resolve():
            return None
        data = path.read_bytes()
    except (OSError, NotFoundError):
        return None
    return path if doc.format == "pdf" and hashlib.sha256(data).hexdigest() == doc.sha256 else None
