"""dataset.yaml may list a TEI 議事録: the loader renders it into the eval cache under a stable document id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.dataset import load_dataset
from rag.parse import parse_file

TEI_NAME = "env_chuokankyo_sogoseisaku_113_gijiroku.tei.xml"


def _dataset(folder: Path, minutes_yaml: str) -> Path:
    folder.mkdir()
    (folder / "dataset.yaml").write_text(f"name: t\nformat: minutes\nminutes:\n{minutes_yaml}", encoding="utf-8")
    q = {"qid": "ja-001", "question": "?", "lang": "ja", "type": "paraphrase", "split": "dev",
         "gold": [{"document": "env_x", "ordinal": 3, "grade": 2}]}  # fmt: skip
    (folder / "questions.jsonl").write_text(json.dumps(q) + "\n", encoding="utf-8")
    return folder


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RAG_EVAL_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_render_tei_entry_gets_the_document_id_and_parses(shared_dir: Path, tmp_path: Path, cache: Path) -> None:
    tei = shared_dir / "real" / TEI_NAME
    folder = _dataset(tmp_path / "ds", f"  - {{path: {tei}, render: tei, document: env_x}}\n")
    ds = load_dataset(str(folder))
    (rendered,) = ds.minutes
    assert rendered.name == "env_x.txt" and cache in rendered.parents
    doc = parse_file(rendered)
    assert len(doc.remarks) == 85 and doc.meeting.session == 113
    assert "env_x#3" in ds.qrels["ja-001"]
    stamp = rendered.stat().st_mtime_ns
    assert load_dataset(str(folder)).minutes == [rendered]  # cached: same path, not rewritten
    assert rendered.stat().st_mtime_ns == stamp
    assert not list(folder.rglob("*.txt"))  # nothing rendered into the dataset folder


def test_a_tei_xml_path_is_rendered_without_being_told(shared_dir: Path, tmp_path: Path, cache: Path) -> None:
    tei = shared_dir / "real" / TEI_NAME
    ds = load_dataset(str(_dataset(tmp_path / "ds", f"  - {tei}\n")))
    assert [p.name for p in ds.minutes] == ["env_chuokankyo_sogoseisaku_113_gijiroku.txt"]
    assert ds.minutes[0].read_text(encoding="utf-8").count("\n○") == 85


def test_bad_entries_say_what_to_fix(shared_dir: Path, tmp_path: Path, cache: Path) -> None:
    tei = shared_dir / "real" / TEI_NAME
    with pytest.raises(ValueError, match="unknown render"):
        load_dataset(str(_dataset(tmp_path / "a", f"  - {{path: {tei}, render: pdf}}\n")))
    with pytest.raises(ValueError, match="needs a 'path:'"):
        load_dataset(str(_dataset(tmp_path / "b", "  - {render: tei}\n")))
    with pytest.raises(ValueError, match="not found"):
        load_dataset(str(_dataset(tmp_path / "c", "  - {path: nowhere.tei.xml}\n")))
    with pytest.raises(ValueError, match="plain file name"):
        load_dataset(str(_dataset(tmp_path / "d", f"  - {{path: {tei}, document: ../x}}\n")))
