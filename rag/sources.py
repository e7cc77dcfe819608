"""Uploaded source PDFs of the embedded index, kept in its folder (``{index_dir}/sources/{document}.pdf``).

``FileSources`` is the embedded store's ``sources`` (``index.backend.SourceStore``; the Milvus store keeps them
in Milvus, ``index.milvus_sources``). Only a regular file (no link) directly in that folder, named after the
document, is ever read; the service then serves it only when its bytes hash to the indexed document's sha256.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from rag.errors import NotFoundError

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


def read(folder: Path, document: str) -> bytes | None:
    """The bytes stored for ``document``: a regular file (no link) directly in ``folder``, else None."""
    try:
        path = folder / f"{source_name(document)}.pdf"
        if path.is_symlink() or not path.is_file() or path.resolve().parent != folder.resolve():
            return None
        with path.open("rb") as handle:  # the bytes read are the bytes checked and served: no second open
            return handle.read()
    except (OSError, NotFoundError):
        return None


def matches(data: bytes | None, sha256: str) -> bool:
    """``data`` is exactly the file the index was built from (its content hash)."""
    return data is not None and hashlib.sha256(data).hexdigest() == sha256


class FileSources:
    """put / get / delete / stored of source PDFs in one folder (the embedded store's ``sources``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def put(self, document: str, data: bytes) -> None:
        store(self.folder, document, data)

    def get(self, document: str) -> bytes | None:
        return read(self.folder, document)

    def delete(self, document: str) -> None:
        remove(self.folder, document)

    def stored(self, documents: Iterable[str]) -> set[str]:
        return {d for d in documents if has(self.folder, d)}

    def has(self, document: str) -> bool:
        return has(self.folder, document)
