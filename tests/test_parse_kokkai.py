"""The Diet's API JSON (meeting and speech endpoints): parsing, ingest, cited hits, schema v2 migration."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from parse_fixtures import invented

from index.schema import SCHEMA_VERSION
from index.store import DB_FILE
from rag.errors import ParseError
from rag.parse import parse_bytes, parse_file, to_json
from rag.service import RagService
from rag.settings import Settings
from rag.types import Filters, ParsedDocument


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return invented.write_invented(tmp_path_factory.mktemp("kokkai"))


@pytest.fixture(scope="module", params=["kokkai_meeting.json", "kokkai_speech.json"])
def diet(request: pytest.FixtureRequest, files: dict[str, Path]) -> ParsedDocument:
    return parse_file(files[request.param])


def test_each_speech_is_a_remark_without_its_label(diet: ParsedDocument) -> None:
    assert diet.format == "kokkai"
    assert [(r.speaker, r.role) for r in diet.remarks] == [
        ("山田太郎", "委員長"),
        ("鈴木四郎", "国務大臣"),
        ("川口花子", "委員"),
        ("鈴木四郎", "国務大臣"),
        ("山田太郎", "委員長"),
    ]
    for r in diet.remarks:
        assert not r.text.startswith(("○", "山田", "鈴木", "川口"))
        assert diet.text[r.start : r.end] == r.text
        assert r.url and r.url.startswith("https://kokkai.ndl.go.jp/txt/121105254X00320230606/")
    assert diet.remarks[2].speaker_group == "立憲民主党・無所属"
    assert diet.remarks[2].directions == ("発言する者あり",)
    assert "〔" not in diet.remarks[2].text
    assert diet.remarks[1].position == "架空担当大臣"
    assert diet.remarks[-1].text == "本日は、これにて散会いたします。"
    m = diet.meeting
    assert (m.session, m.date, m.body) == (211, "2023-06-06", "衆議院 架空地域交通委員会")
    assert "会議録情報" not in diet.text


def test_meeting_record_becomes_the_header(files: dict[str, Path]) -> None:
    m = parse_file(files["kokkai_meeting.json"]).meeting
    assert [a.name for a in m.attendees] == ["山田太郎", "川口花子", "森一郎", "大川次郎", "小林三郎", "鈴木四郎"]
    assert m.attendees[0].title == "委員長"
    assert m.agenda == ("架空地域振興法案（内閣提出第十号）",)
    assert m.start_time == "09:00"
    assert to_json(parse_file(files["kokkai_meeting.json"]))["remarks"][0]["url"].endswith("/1")


def test_json_is_detected_by_content_and_bad_json_is_refused(files: dict[str, Path]) -> None:
    data = files["kokkai_speech.json"].read_bytes()
    assert parse_bytes("download", data).format == "kokkai"
    with pytest.raises(ParseError, match="not valid JSON"):
        parse_bytes("x.json", b"{oops")
    with pytest.raises(ParseError, match="meetingRecord or speechRecord"):
        parse_bytes("x.json", b'{"a": 1}')
    two = json.loads(data)
    two["speechRecord"][0] = {**two["speechRecord"][0], "issueID": "other"}
    with pytest.raises(ParseError, match="2 meetings"):
        parse_bytes("x.json", json.dumps(two).encode())


def test_ingested_diet_hits_cite_url_group_and_date(files: dict[str, Path], tmp_path: Path) -> None:
    svc = RagService(Settings(index_dir=tmp_path / "index", model="hash:64", model_cache=tmp_path / "models"))
    report = svc.ingest([files["kokkai_meeting.json"]])
    assert report.added == ["kokkai_meeting"] and report.remarks == 5
    result = svc.search("路線バスの運転手不足について", k=5, mode="dense")
    assert result.hits
    for hit in result.hits:
        c = hit.citation
        assert c.url and c.url.startswith("https://kokkai.ndl.go.jp/txt/")
        assert c.date == "2023-06-06"
    groups = {h.citation.speaker_group for h in result.hits}
    assert "立憲民主党・無所属" in groups
    only = svc.search("路線バス", k=5, mode="dense", filters=Filters(speaker_group="立憲"))
    assert only.hits and all(h.citation.speaker_group == "立憲民主党・無所属" for h in only.hits)
    stored = svc.document("kokkai_meeting")
    assert stored.remarks[2].directions == ("発言する者あり",)
    assert stored.meeting.agenda == ("架空地域振興法案（内閣提出第十号）",)


def test_a_v1_index_opens_and_migrates(files: dict[str, Path], seed_txt: Path, tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index", model="hash:64", model_cache=tmp_path / "models")
    svc = RagService(settings)
    svc.ingest([seed_txt])
    svc.close()
    db = tmp_path / "index" / DB_FILE
    conn = sqlite3.connect(db)
    for column in ("speaker_group", "position", "url", "directions"):
        conn.execute(f"ALTER TABLE remarks DROP COLUMN {column}")
    conn.execute("ALTER TABLE documents DROP COLUMN extra")
    conn.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    conn.commit()
    conn.close()
    again = RagService(settings)
    assert again.search("技術協力", k=3, mode="dense").hits  # reads work after the migration
    again.ingest([files["kokkai_meeting.json"]])
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(remarks)")}
    assert {"speaker_group", "position", "url", "directions"} <= columns


def test_api_citation_shows_diet_fields_and_hides_empty_ones() -> None:
    from dataclasses import asdict

    from api.schemas import CitationOut
    from rag.types import Citation

    diet = Citation("d", "t", 211, "2023-06-06", None, "川口花子", (), speaker_group="立憲民主党・無所属", url="https://x/3")
    out = CitationOut.model_validate(asdict(diet)).model_dump()
    assert (out["url"], out["speaker_group"], out["date"]) == ("https://x/3", "立憲民主党・無所属", "2023-06-06")
    plain = CitationOut.model_validate(asdict(Citation("d", "t", 1, None, None, None, ()))).model_dump()
    assert set(plain) == {"document", "title", "session", "date", "topic", "speaker", "pages"}
