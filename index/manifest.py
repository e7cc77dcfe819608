"""The index manifest: which model built it, vector shape, index type, counts, times.

Kept in the ``meta`` table (updated inside every write transaction, so it is always true) and mirrored to
``manifest.json`` after each commit for people and tools that do not speak SQLite.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.schema import SCHEMA_VERSION, connect, schema_version
from index.vectors import atomic_write_bytes
from rag.errors import IndexStoreError

log = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_manifest(*, model_id: str, fingerprint: str, dim: int, index_type: str) -> dict[str, Any]:
    created = now_iso()
    return {
        "model_id": model_id,
        "fingerprint": fingerprint,
        "dim": dim,
        "metric": "ip",
        "index_type": index_type,
        "counts": {"documents": 0, "remarks": 0, "chunks": 0},
        "schema_version": SCHEMA_VERSION,
        "created": created,
        "updated": created,
    }


def count_rows(conn: sqlite3.Connection) -> dict[str, int]:
    return {
        table: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608 (fixed names)
        for table in ("documents", "remarks", "chunks")
    }


def load_manifest(conn: sqlite3.Connection) -> dict[str, Any] | None:
    row = conn.execute("SELECT value FROM meta WHERE key='manifest'").fetchone()
    return dict(json.loads(row[0])) if row else None


def store_manifest(conn: sqlite3.Connection, manifest: dict[str, Any]) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('manifest', ?)",
        (json.dumps(manifest, ensure_ascii=False),),
    )


def refresh_manifest(conn: sqlite3.Connection) -> dict[str, Any]:
    """Recount and restamp the manifest inside the current write transaction."""
    manifest = load_manifest(conn)
    if manifest is None:
        raise IndexStoreError(
            "the index has no manifest; delete the --index directory and run `rag ingest` again"
        )
    manifest["counts"] = count_rows(conn)
    manifest["updated"] = now_iso()
    store_manifest(conn, manifest)
    return manifest


def write_manifest_file(directory: Path, manifest: dict[str, Any]) -> None:
    data = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    atomic_write_bytes(directory / MANIFEST_FILE, data.encode())


def read_manifest_file(directory: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_index_manifest(directory: Path, db_file: str) -> dict[str, Any] | None:
    """The manifest of the index in ``directory``: from its database ``db_file``, else from the mirrored
    manifest.json; None when neither is there."""
    db_path = directory / db_file
    if db_path.exists():
        try:
            conn = connect(db_path, timeout_s=5.0)
            try:
                if schema_version(conn) is not None:
                    return load_manifest(conn)
            finally:
                conn.close()
        except Exception as exc:  # noqa: BLE001 - fall back to the mirrored file
            log.warning("cannot read the manifest from %s: %s", db_path, exc)
    return read_manifest_file(directory)


def mismatch(manifest: dict[str, Any], *, model_id: str, fingerprint: str, dim: int) -> str | None:
    """Why ``manifest`` cannot be opened with this model (None when it can)."""
    if manifest.get("fingerprint") == fingerprint and int(manifest.get("dim", -1)) == dim:
        return None
    built = manifest.get("model_id", "?")
    fp = str(manifest.get("fingerprint", "?"))[:16]
    return (
        f"this index was built with {built} (fingerprint {fp}, dim {manifest.get('dim')}), "
        f"not with {model_id} (fingerprint {fingerprint[:16]}, dim {dim}); "
        f"open it with RAG_MODEL={built}, or choose another --index directory, or rebuild it"
    )
