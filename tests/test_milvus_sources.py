"""Source PDFs with the Milvus store (a real `milvus-lite server`, the hashing embedder): an upload through
one replica is served by another that keeps nothing local; replace, delete (API and `rag index rm`), the
sha256 check, long PDFs in many parts, `rag index verify` and `rag index migrate` carrying the sources."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.main import create_app
from index import milvus_sources
from index.milvus_verify import verify_milvus
from rag.cli import app as cli_app
from rag.errors import NotFoundError
from rag.service import RagService
from rag.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[1]
PDF = ROOT / "rag" / "samples" / "disaster_resilience_03.pdf"
TEXT = ROOT / "rag" / "samples" / "disaster_resilience_03.txt"
DOC = "shared_pdf"
KEY = {"X-API-Key": "milvus-sources-key"}


def _settings(store: str | None, folder: Path) -> Settings:
    return Settings(
        store=store,
        model="hash:64",
        index_dir=folder,
        model_cache=folder / "models",
        api_key=KEY["X-API-Key"],
        ingest_samples_on_start=False,
    )  # type: ignore[call-arg]


def _ready(client: TestClient) -> TestClient:
    t0 = time.monotonic()
    while (r := client.get("/ready")).status_code != 200:
        assert time.monotonic() - t0 < 60 and "failed" not in r.text, r.text
        time.sleep(0.1)
    return client


def _upload(client: TestClient, name: str, data: bytes) -> str:
    r = client.post("/documents", files=[("files", (name, data))], headers=KEY)
    assert r.status_code in (200, 201), r.text
    return str(r.json()["files"][0]["status"])


def _blob_keys(svc: RagService, document: str) -> list[str]:
    store = svc.store(create=False)
    rows = store._client.query(  # type: ignore[attr-defined]
        store._names["blobs"], filter=f'document == "{document}"', output_fields=["key"], limit=16_384  # type: ignore[attr-defined]
    )
    return sorted(str(r["key"]) for r in rows if "|source" in str(r["key"]))


def _assert_absent(client: TestClient, document: str) -> None:
    r = client.get(f"/documents/{document}/source")
    assert r.status_code == 404, r.text
    assert r.json()["error"]["code"] == "not_found"


@pytest.fixture
def replicas(milvus_store: str, tmp_path: Path) -> Iterator[tuple[TestClient, TestClient]]:
    apps = [create_app(_settings(milvus_store, tmp_path / f"replica{i}")) for i in (1, 2)]
    with TestClient(apps[0]) as one, TestClient(apps[1]) as two:
        yield _ready(one), _ready(two)


def test_an_upload_through_one_replica_is_served_by_the_other(
    replicas: tuple[TestClient, TestClient], milvus_store: str, tmp_path: Path
) -> None:
    one, two = replicas
    pdf = PDF.read_bytes()
    assert _upload(one, f"{DOC}.pdf", pdf) == "added"
    for client in (two, one):
        r = client.get(f"/documents/{DOC}/source")
        assert r.status_code == 200, r.text
        assert r.content == pdf and r.headers["content-type"] == "application/pdf"
        assert r.headers["content-disposition"] == f'inline; filename="{DOC}.pdf"'
    assert not any((tmp_path / name / "sources").exists() for name in ("replica1", "replica2"))  # nothing local
    assert two.get(f"/documents/{DOC}/text").json()["source_url"] == f"/documents/{DOC}/source"
    hits = two.post("/search", json={"question": "防災", "k": 5, "filters": {"document": DOC}}).json()["hits"]
    assert hits and all(h["source_url"].startswith(f"/documents/{DOC}/source#page=") for h in hits)

    assert _upload(two, f"{DOC}.pdf", pdf) == "unchanged"  # the same bytes again: kept, still served
    assert one.get(f"/documents/{DOC}/source").content == pdf
    assert _upload(one, f"{DOC}.txt", TEXT.read_bytes()) == "replaced"  # a text rendition drops the PDF
    for client in (one, two):
        _assert_absent(client, DOC)
    assert two.get(f"/documents/{DOC}/text").json()["source_url"] is None
    assert _upload(two, f"{DOC}.pdf", pdf) == "replaced"
    assert one.get(f"/documents/{DOC}/source").content == pdf

    assert one.delete(f"/documents/{DOC}", headers=KEY).status_code == 200
    for client in (one, two):
        _assert_absent(client, DOC)
    svc = RagService(_settings(milvus_store, tmp_path / "check"))
    assert _blob_keys(svc, DOC) == []  # no part left behind
    svc.close()


def test_store_level_sources_in_parts_and_the_sha256_check(milvus_store: str, tmp_path: Path) -> None:
    svc = RagService(_settings(milvus_store, tmp_path / "a"))
    svc.ingest_bytes(f"{DOC}.pdf", PDF.read_bytes())
    sources = svc.store(create=True).sources
    big = hashlib.sha256(b"seed").digest() * (milvus_sources.PART_BYTES * (milvus_sources.BATCH + 5) // 32 + 7)
    sources.put(DOC, big)  # more parts than one insert batch, the last one short
    parts = len(big) // milvus_sources.PART_BYTES + 1
    assert len(_blob_keys(svc, DOC)) == parts + 1
    other = RagService(_settings(milvus_store, tmp_path / "b"))  # another process's handle
    assert other.store(create=False).sources.get(DOC) == big
    assert svc.source_bytes(DOC) is None  # stored, but not the PDF the document was indexed from
    with TestClient(create_app(_settings(milvus_store, tmp_path / "c"))) as client:
        _assert_absent(_ready(client), DOC)

    sources.put(DOC, PDF.read_bytes())  # a replacement leaves only the new parts
    keys = _blob_keys(svc, DOC)
    sha = hashlib.sha256(PDF.read_bytes()).hexdigest()
    assert keys and all(k == f"{DOC}|source" or k.startswith(f"{DOC}|source|{sha}|") for k in keys)
    assert other.source_bytes(DOC) == PDF.read_bytes()
    assert sources.stored([DOC, "nope", "../x", DOC]) == {DOC} and not sources.has("nope")
    assert verify_milvus(milvus_store) == []

    store = svc.store(create=False)
    store._client.delete(store._names["blobs"], filter=f'key == "{DOC}|source|{sha}|0"')  # type: ignore[attr-defined]
    assert other.source_bytes(DOC) is None  # a part missing: no half PDF
    assert any("source PDFs miss parts" in p for p in verify_milvus(milvus_store))
    sources.delete(DOC)
    assert _blob_keys(svc, DOC) == [] and not sources.has(DOC) and sources.get(DOC) is None
    sources.delete(DOC)  # absent is fine
    with pytest.raises(NotFoundError):
        sources.put("../escape", b"%PDF")
    assert sources.get("../escape") is None
    svc.close()
    other.close()


def _rm(runner: CliRunner, document: str, *args: str) -> None:
    out = runner.invoke(cli_app, ["index", "rm", document, *args])
    assert out.exit_code == 0, out.output


def test_index_rm_removes_the_source_on_both_backends(
    milvus_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    runner = CliRunner()
    request.addfinalizer(get_settings.cache_clear)
    embedded = RagService(_settings(None, tmp_path / "e"))
    embedded.ingest_bytes(f"{DOC}.pdf", PDF.read_bytes())
    embedded.store_source(DOC, PDF.read_bytes())
    stored = tmp_path / "e" / "sources" / f"{DOC}.pdf"
    assert stored.is_file() and embedded.source_bytes(DOC) == PDF.read_bytes()
    embedded.close()
    get_settings.cache_clear()
    _rm(runner, DOC, "--index", str(tmp_path / "e"), "--model", "hash:64")
    assert not stored.exists()

    milvus = RagService(_settings(milvus_store, tmp_path / "m"))
    milvus.ingest_bytes(f"{DOC}.pdf", PDF.read_bytes())
    milvus.store_source(DOC, PDF.read_bytes())
    assert milvus.has_source(DOC)
    for key, value in {"RAG_STORE": milvus_store, "RAG_MODEL": "hash:64", "RAG_INDEX_DIR": str(tmp_path / "m2")}.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    _rm(runner, DOC)
    assert not milvus.has_source(DOC) and _blob_keys(milvus, DOC) == []
    milvus.close()


def test_migrate_carries_the_source_pdfs(milvus_store: str, seed_txt: Path, tmp_path: Path) -> None:
    from index.migrate import migrate

    embedded = RagService(_settings(None, tmp_path / "index"))
    embedded.ingest([seed_txt])
    embedded.ingest_bytes(f"{DOC}.pdf", PDF.read_bytes())
    embedded.store_source(DOC, PDF.read_bytes())
    embedded.close()
    report = migrate(tmp_path / "index", milvus_store)
    assert report.added and report.sources == 1
    assert migrate(tmp_path / "index", milvus_store).sources == 0  # already there
    with TestClient(create_app(_settings(milvus_store, tmp_path / "replica"))) as client:
        r = _ready(client).get(f"/documents/{DOC}/source")
        assert r.status_code == 200 and r.content == PDF.read_bytes()
        _assert_absent(client, seed_txt.stem)  # a text document has none
