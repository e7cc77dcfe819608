"""Every parsed format is first-class at ingest: the folder path and the upload route both take it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from api_server import API_KEY, make_settings
from fastapi.testclient import TestClient
from parse_fixtures import invented

from api.main import create_app
from rag.service import RagService
from rag.settings import Settings


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return invented.write_invented(tmp_path_factory.mktemp("formats"))


def test_a_folder_of_every_format_ingests(files: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "minutes"
    folder.mkdir()
    wanted = ["kokkai_meeting.json", "council.docx", "assembly.html"]
    for name in wanted:
        (folder / name).write_bytes(files[name].read_bytes())
    svc = RagService(Settings(index_dir=tmp_path / "index", model="hash:64", model_cache=tmp_path / "models"))
    report = svc.ingest([folder])
    assert report.failed == {}
    assert sorted(report.added) == sorted(Path(n).stem for n in wanted)
    formats = {d["document"]: d["format"] for d in svc.documents()}
    assert formats["council"] == "docx" and formats["kokkai_meeting"] != "text"
    again = svc.ingest([folder])  # unchanged content: a no-op
    assert sorted(again.unchanged) == sorted(report.added) and not again.added


def wait_until_ready(client: TestClient, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while client.get("/ready").status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("the app never became ready")
        time.sleep(0.05)


def test_diet_json_uploads_and_its_hits_cite_the_speech(files: dict[str, Path], tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path / "index"))) as client:
        wait_until_ready(client)
        data = files["kokkai_meeting.json"].read_bytes()
        r = client.post(
            "/documents", files=[("files", ("kokkai_meeting.json", data))], headers={"X-API-Key": API_KEY}
        )
        assert r.status_code == 201, r.text
        r = client.post("/search", json={"question": "路線バス", "k": 3, "filters": {"document": "kokkai_meeting"}})
        assert r.status_code == 200, r.text
        hits = r.json()["hits"]
        assert hits
        for hit in hits:
            citation = hit["citation"]
            assert citation["url"].startswith("https://kokkai.ndl.go.jp/txt/")
            assert citation["date"] == "2023-06-06"
        # 会派 where the record has one (ministers speak without a group in the fixture)
        assert "立憲民主党・無所属" in {h["citation"].get("speaker_group") for h in hits}
