"""A remark in its context over HTTP (GET /remarks/{id}, /documents/{id}/text), source PDFs served only from
the index folder, `rag show`, and evidence packs with context: one index (hashing embedder) for the module."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_server import API_KEY, SAMPLES, loaded_service, make_settings, serve
from typer.testing import CliRunner

from rag.service import RagService

SEED_ID = "000_1e1e3ba0d71176a4"
PDF_SAMPLE = Path(__file__).resolve().parents[1] / "rag" / "samples" / "disaster_resilience_03.pdf"
PDF_ID = "disaster_resilience_pdf"
KEY = {"X-API-Key": API_KEY}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, seed_txt: Path) -> Iterator[tuple[httpx.Client, RagService]]:
    settings = make_settings(tmp_path_factory.mktemp("context-index"), max_upload_mb=5)
    service = loaded_service(settings, [seed_txt, *SAMPLES[:2]])
    with serve(settings, service) as base, httpx.Client(base_url=base, timeout=60) as http:
        r = http.post("/documents", files=[("files", (f"{PDF_ID}.pdf", PDF_SAMPLE.read_bytes()))], headers=KEY)
        assert r.status_code == 201, r.text
        yield http, service


@pytest.fixture(scope="module")
def client(env: tuple[httpx.Client, RagService]) -> httpx.Client:
    return env[0]


def remarks_of(client: httpx.Client, document: str) -> list[dict[str, Any]]:
    r = client.get(f"/documents/{document}/text")
    assert r.status_code == 200, r.text
    return list(r.json()["remarks"])


def context(client: httpx.Client, remark_id: str, **params: int) -> dict[str, Any]:
    r = client.get(f"/remarks/{remark_id.replace('#', '%23')}", params=params)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_first_and_last_remark_return_only_what_exists(client: httpx.Client) -> None:
    spans = remarks_of(client, SEED_ID)
    first, last = spans[0]["remark_id"], spans[-1]["remark_id"]
    assert first == f"{SEED_ID}#1" and len(spans) == 23

    body = context(client, first, before=1, after=1)
    assert [r["remark_id"] for r in body["remarks"]] == [f"{SEED_ID}#1", f"{SEED_ID}#2"]
    assert [r["position"] for r in body["remarks"]] == ["hit", "after"]
    assert body["remark_id"] == first and body["total_remarks"] == 23

    body = context(client, last, before=1, after=1)
    assert [r["remark_id"] for r in body["remarks"]] == [f"{SEED_ID}#22", f"{SEED_ID}#23"]
    assert [r["is_hit"] for r in body["remarks"]] == [False, True]
    for r in body["remarks"]:
        assert r["citation"]["document"] == SEED_ID and r["remark_id"].startswith(f"{SEED_ID}#")


def test_neighbours_in_document_order_with_citations(client: httpx.Client) -> None:
    body = context(client, f"{SEED_ID}#10", before=2, after=3)
    assert [r["ordinal"] for r in body["remarks"]] == [8, 9, 10, 11, 12, 13]
    assert [r["position"] for r in body["remarks"]] == ["before", "before", "hit", "after", "after", "after"]
    assert body["meeting"]["title"] == "官民技術協力に関する検討会合（第１回）議事要旨"
    for r in body["remarks"]:
        assert set(r) >= {"speaker", "role", "topic", "pages", "citation", "text"}
        assert r["citation"]["pages"] == r["pages"] and r["pages"]
        assert r["citation"]["topic"] == r["topic"]


def test_topic_start_is_first_remark_of_the_agenda_item(client: httpx.Client) -> None:
    spans = remarks_of(client, SEED_ID)
    for span in spans:
        body = context(client, span["remark_id"], before=0, after=0)
        start = body["topic_start"]["ordinal"]
        assert start <= span["ordinal"]
        run = spans[start - 1 : span["ordinal"]]
        assert {(s["topic"], s["topic_number"]) for s in run} == {(span["topic"], span["topic_number"])}
        if start > 1:
            before = spans[start - 2]
            assert (before["topic"], before["topic_number"]) != (span["topic"], span["topic_number"])
    topics = {s["topic"] for s in spans}
    assert len(topics) > 1, "the seed has several agenda items"


def test_never_a_remark_of_another_document(client: httpx.Client) -> None:
    for document in (SEED_ID, SAMPLES[0].stem, PDF_ID):
        spans = remarks_of(client, document)
        ids = [s["remark_id"] for s in spans]
        assert all(i.startswith(f"{document}#") for i in ids)
        first = context(client, ids[0], before=20, after=20)
        assert [r["remark_id"] for r in first["remarks"]] == ids[:21]
        last = context(client, ids[-1], before=20, after=20)
        assert [r["remark_id"] for r in last["remarks"]] == ids[-21:]


def test_id_forms_and_errors(client: httpx.Client) -> None:
    hashed = context(client, f"{SEED_ID}#5", before=1, after=1)
    assert client.get(f"/remarks/{SEED_ID}:5", params={"before": 1, "after": 1}).json() == hashed
    assert client.get(f"/remarks/{SEED_ID}/5", params={"before": 1, "after": 1}).json() == hashed
    assert client.get(f"/remarks/{SEED_ID}%235").json()["before"] == 2  # default window
    assert client.get(f"/remarks/{SEED_ID}%23999").status_code == 404
    assert client.get("/remarks/no_such_document%231").status_code == 404
    assert client.get(f"/remarks/{SEED_ID}").status_code == 422
    assert client.get(f"/remarks/{SEED_ID}%230").status_code == 422
    for bad in ({"before": 21}, {"after": -1}, {"before": "x"}):
        r = client.get(f"/remarks/{SEED_ID}%235", params=bad)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "validation_error"


def test_document_text_offsets_point_at_the_remarks(client: httpx.Client) -> None:
    r = client.get(f"/documents/{SEED_ID}/text")
    body = r.json()
    assert body["format"] == "text" and body["source_url"] is None
    text = body["text"]
    for span in body["remarks"]:
        remark = context(client, span["remark_id"], before=0, after=0)["remarks"][0]
        assert text[span["start"] : span["end"]] == remark["text"]
    assert client.get("/documents/nope/text").status_code == 404


def test_pdf_source_is_stored_served_and_linked(env: tuple[httpx.Client, RagService]) -> None:
    client, service = env
    stored = Path(service.settings.index_dir) / "sources" / f"{PDF_ID}.pdf"
    assert stored.read_bytes() == PDF_SAMPLE.read_bytes()
    r = client.get(f"/documents/{PDF_ID}/source")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content == PDF_SAMPLE.read_bytes()
    pdf, etag = PDF_SAMPLE.read_bytes(), r.headers["etag"]
    assert r.headers["accept-ranges"] == "bytes" and etag == f'"{hashlib.sha256(pdf).hexdigest()}"'
    part = client.get(f"/documents/{PDF_ID}/source", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == pdf[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(pdf)}"
    tail = client.get(f"/documents/{PDF_ID}/source", headers={"Range": "bytes=-16", "If-Range": etag})
    assert tail.status_code == 206 and tail.content == pdf[-16:]
    stale = client.get(f"/documents/{PDF_ID}/source", headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale.status_code == 200 and stale.content == pdf
    past = client.get(f"/documents/{PDF_ID}/source", headers={"Range": f"bytes={len(pdf)}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(pdf)}"
    assert past.json()["error"]["code"] == "range_not_satisfiable"
    cached = client.get(f"/documents/{PDF_ID}/source", headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""

    body = context(client, f"{PDF_ID}#2", before=1, after=0)
    assert body["source_url"] == f"/documents/{PDF_ID}/source"
    for item in body["remarks"]:
        assert item["source_url"] == f"/documents/{PDF_ID}/source#page={item['pages'][0]}"
    assert client.get(f"/documents/{PDF_ID}/text").json()["format"] == "pdf"

    hits = client.post("/search", json={"question": "防災", "k": 20, "filters": {"document": PDF_ID}}).json()["hits"]
    assert hits and all(h["source_url"].startswith(f"/documents/{PDF_ID}/source#page=") for h in hits)
    for h in hits:
        assert h["source_url"].endswith(f"#page={h['citation']['pages'][0]}")
    seed = client.post("/search", json={"question": "防災", "k": 5, "filters": {"document": SEED_ID}}).json()
    assert all(h["source_url"] is None for h in seed["hits"])


def test_source_serves_only_files_the_index_holds(env: tuple[httpx.Client, RagService], tmp_path: Path) -> None:
    client, service = env
    sources = Path(service.settings.index_dir) / "sources"
    outside = tmp_path / "secret.pdf"
    outside.write_bytes(b"%PDF-1.4 not yours")
    # a text document has no source; traversal, absolute and encoded paths never leave the folder
    for path in (
        f"/documents/{SEED_ID}/source",
        "/documents/..%2F..%2F..%2Fetc%2Fpasswd/source",
        "/documents/%2e%2e/source",
        "/documents/..%252Fsecret/source",
        f"/documents/%2F{str(outside).lstrip('/').replace('/', '%2F')}/source",
        "/documents/.%2Fsecret/source",
        "/documents/sources/source",
        "/documents/secret/source",
    ):
        assert client.get(path).status_code == 404, path
    # a file planted under an indexed text document's name, as a link or a copy, is not served
    planted = sources / f"{SEED_ID}.pdf"
    planted.symlink_to(outside)
    try:
        assert client.get(f"/documents/{SEED_ID}/source").status_code == 404
    finally:
        planted.unlink()
    shutil.copy(outside, planted)
    try:
        assert client.get(f"/documents/{SEED_ID}/source").status_code == 404
    finally:
        planted.unlink()
    # the stored PDF swapped for a link (even to identical bytes) or for other bytes is not served
    stored = sources / f"{PDF_ID}.pdf"
    original = stored.read_bytes()
    twin = tmp_path / "twin.pdf"
    twin.write_bytes(original)
    os.replace(stored, tmp_path / "kept.pdf")
    stored.symlink_to(twin)
    try:
        assert client.get(f"/documents/{PDF_ID}/source").status_code == 404
    finally:
        stored.unlink()
    stored.write_bytes(original + b"tampered")
    assert client.get(f"/documents/{PDF_ID}/source").status_code == 404
    stored.write_bytes(original)
    assert client.get(f"/documents/{PDF_ID}/source").status_code == 200


def test_delete_removes_the_source_and_text_upload_drops_it(client: httpx.Client, tmp_path: Path) -> None:
    name = "context_delete_me"
    r = client.post("/documents", files=[("files", (f"{name}.pdf", PDF_SAMPLE.read_bytes()))], headers=KEY)
    assert r.status_code == 201, r.text
    assert client.get(f"/documents/{name}/source").status_code == 200
    text = SAMPLES[0].read_bytes()
    r = client.post("/documents", files=[("files", (f"{name}.txt", text))], headers=KEY)
    assert r.json()["files"][0]["status"] == "replaced", r.text
    assert client.get(f"/documents/{name}/source").status_code == 404
    r = client.post("/documents", files=[("files", (f"{name}.pdf", PDF_SAMPLE.read_bytes()))], headers=KEY)
    assert client.get(f"/documents/{name}/source").status_code == 200
    assert client.delete(f"/documents/{name}", headers=KEY).status_code == 200
    assert client.get(f"/documents/{name}/source").status_code == 404
    assert client.get(f"/documents/{name}/text").status_code == 404


def test_openapi_documents_the_context_routes(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/remarks/{remark_id}", "/remarks/{document}/{ordinal}", "/documents/{document}/text"):
        ok = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok["$ref"].split("/")[-1] in ("RemarkContextOut", "DocumentTextOut")
    assert "application/pdf" in spec["paths"]["/documents/{document}/source"]["get"]["responses"]["200"]["content"]
    assert spec["components"]["schemas"]["RemarkContextOut"]["examples"]


def test_cli_show_prints_neighbours_and_json(env: tuple[httpx.Client, RagService]) -> None:
    from rag.cli import app

    client, service = env
    args = ["--index", str(service.settings.index_dir), "--model", "hash:64"]
    runner = CliRunner()
    result = runner.invoke(app, ["show", f"{SEED_ID}#2", "--context", "1", *args])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line[2:].startswith(f"{SEED_ID}#")]
    assert [line[2:].split()[0] for line in lines] == [f"{SEED_ID}#1", f"{SEED_ID}#2", f"{SEED_ID}#3"]
    assert [line[:1] for line in lines] == [" ", "▶", " "]
    assert all(" · p." in line for line in lines)

    result = runner.invoke(app, ["show", f"{SEED_ID}#2", "--context", "1", "--json", *args])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == context(client, f"{SEED_ID}#2", before=1, after=1)
    result = runner.invoke(app, ["brief", "-q", "スタートアップの資金調達の課題は？", "--context", "1", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output).get("context") == 1
    result = runner.invoke(app, ["show", f"{SEED_ID}#999", *args])
    assert result.exit_code == 3 and "no remark" in result.output
    result = runner.invoke(app, ["show", f"{SEED_ID}#1", "--context", "50", *args])
    assert result.exit_code == 2


def test_brief_quotes_neighbours_as_context_not_evidence(env: tuple[httpx.Client, RagService]) -> None:
    import io

    from docx import Document

    from rag.brief import build_pack, render

    client, service = env
    question = "スタートアップの資金調達の課題は？"
    plain = build_pack(service, [question], k=3, min_confidence=0.0)
    pack = build_pack(service, [question], k=3, min_confidence=0.0, context=1)
    assert [e.remark_id for e in pack.evidence] == [e.remark_id for e in plain.evidence]  # same evidence
    assert pack.evidence and all(not e.context for e in plain.evidence)
    for e in pack.evidence:
        document, _, n = e.remark_id.rpartition("#")
        spans = {s["ordinal"] for s in remarks_of(client, document)}
        expected = [(f"{document}#{o}", pos) for o, pos in ((int(n) - 1, "before"), (int(n) + 1, "after")) if o in spans]
        assert [(c.remark_id, c.position) for c in e.context] == expected

    md = render(pack, "md").decode()
    assert md.count("前後の発言（文脈。根拠ではありません）") == len(pack.evidence)
    near = pack.evidence[0].context[0]
    assert f"`{near.remark_id}`" in md and ("〔前〕" in md or "〔後〕" in md)
    assert "前後の発言" not in render(plain, "md").decode()

    data = json.loads(render(pack, "json"))
    assert data["context"] == 1
    for item in data["evidence"]:
        assert item["context"] and {c["kind"] for c in item["context"]} == {"context"}
    assert "context" not in json.loads(render(plain, "json"))["evidence"][0]

    docx = Document(io.BytesIO(render(pack, "docx")))
    text = "\n".join(p.text for p in docx.paragraphs)
    assert "前後の発言（文脈。根拠ではありません）" in text and near.remark_id in text

    r = client.post("/brief", json={"questions": [question], "format": "json", "k": 3, "min_confidence": 0.0, "context": 1})
    assert r.status_code == 200, r.text
    assert r.json()["evidence"][0]["context"] == data["evidence"][0]["context"]
    assert client.post("/brief", json={"questions": [question], "context": 21}).status_code == 422


def test_read_key_guards_the_context_routes(tmp_path: Path, seed_txt: Path) -> None:
    settings = make_settings(tmp_path / "index", read_requires_key=True)
    service = loaded_service(settings, [seed_txt])
    with serve(settings, service) as base, httpx.Client(base_url=base, timeout=60) as http:
        for path in (f"/remarks/{SEED_ID}%231", f"/documents/{SEED_ID}/text", f"/documents/{SEED_ID}/source"):
            assert http.get(path).status_code == 401, path
        assert http.get(f"/remarks/{SEED_ID}%231", headers=KEY).status_code == 200
        assert http.get(f"/documents/{SEED_ID}/text", headers=KEY).status_code == 200
