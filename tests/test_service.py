"""The facade end to end with the instant hashing embedder: ingest, re-ingest, replace, delete, failures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.errors import InputError, NotFoundError
from rag.service import RagService, iter_minutes_files
from rag.settings import Settings

SEED_DOC = "000_1e1e3ba0d71176a4"


@pytest.fixture()
def svc(tmp_path: Path) -> RagService:
    return RagService(Settings(index_dir=tmp_path / "index", model="hash:64", model_cache=tmp_path / "models"))


class CallCounter:
    def __init__(self, svc: RagService) -> None:
        self.calls = 0
        self.texts = 0
        emb = svc.embedder
        original = emb.embed_passages

        def counted(texts, **kwargs):  # type: ignore[no-untyped-def]
            self.calls += 1
            self.texts += len(texts)
            return original(texts, **kwargs)

        emb.embed_passages = counted  # type: ignore[method-assign]


def test_reingest_is_a_noop_and_embeds_nothing(svc: RagService, seed_txt: Path, tmp_path: Path) -> None:
    folder = tmp_path / "minutes"
    folder.mkdir()
    shutil.copy(seed_txt, folder / seed_txt.name)
    first = svc.ingest([folder])
    assert first.added == [SEED_DOC]
    assert first.remarks == 23
    counter = CallCounter(svc)
    again = svc.ingest([folder])
    assert again.unchanged == [SEED_DOC]
    assert again.added == [] and again.replaced == []
    assert counter.calls == 0
    assert svc.info()["counts"]["remarks"] == 23


def test_changed_file_replaces_and_embeds_only_new_remarks(svc: RagService, seed_txt: Path, tmp_path: Path) -> None:
    path = tmp_path / f"{SEED_DOC}.txt"
    text = seed_txt.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    svc.ingest([path])
    counter = CallCounter(svc)
    added = "○ 架空の追加発言として、地方の中小企業への技術移転の窓口を一本化すべきである。\n"
    path.write_text(text.replace("\n以上", "\n" + added + "\n以上"), encoding="utf-8")
    report = svc.ingest([path])
    assert report.replaced == [SEED_DOC]
    assert len(svc.document(SEED_DOC).remarks) == 24
    # Only the new remark (and any remark whose text changed) reaches the model.
    assert counter.texts == 1


def test_one_bad_file_does_not_stop_the_others(svc: RagService, seed_txt: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(seed_txt, folder / seed_txt.name)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7 this is not really a pdf")
    (folder / "notes.txt").write_text("会議とは関係のない買い物メモ。牛乳、卵、パン。", encoding="utf-8")
    report = svc.ingest([folder])
    assert report.added == [SEED_DOC]
    assert set(report.failed) == {str(folder / "broken.pdf"), str(folder / "notes.txt")}
    assert all(reason.startswith(("broken.pdf", "notes.txt")) for reason in report.failed.values())
    assert [d["document"] for d in svc.documents()] == [SEED_DOC]


def test_delete_and_missing_document(svc: RagService, seed_txt: Path) -> None:
    svc.ingest([seed_txt])
    svc.delete(SEED_DOC)
    assert svc.documents() == []
    with pytest.raises(NotFoundError):
        svc.delete(SEED_DOC)


def test_search_validates_input(svc: RagService, seed_txt: Path) -> None:
    svc.ingest([seed_txt])
    with pytest.raises(InputError):
        svc.search("   ")
    with pytest.raises(InputError):
        svc.search("あ" * 1001)
    with pytest.raises(InputError):
        svc.search("量子技術", k=0)
    with pytest.raises(InputError):
        svc.search("量子技術", mode="magic")
    result = svc.search("量子技術", k=3)
    assert len(result.hits) == 3
    assert all(h.citation.date == "2021-12-09" for h in result.hits)


def test_iter_minutes_files_reports_missing_and_unsupported(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "b.xlsx").write_bytes(b"x")
    files, problems = iter_minutes_files([tmp_path, tmp_path / "nope.txt", tmp_path / "b.xlsx"])
    assert files == [tmp_path / "a.txt"]
    assert set(problems) == {str(tmp_path / "nope.txt"), str(tmp_path / "b.xlsx")}


def test_folder_ingest_embeds_documents_together_and_stores_tokens(
    svc: RagService, seed_txt: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "several"
    folder.mkdir()
    samples = sorted((Path(__file__).resolve().parents[1] / "rag" / "samples").glob("*.txt"))[:2]
    for src in [seed_txt, *samples]:
        shutil.copy(src, folder / src.name)
    counter = CallCounter(svc)
    seen: list[tuple[str, str]] = []
    report = svc.ingest([folder], on_file=lambda path, outcome: seen.append((Path(path).stem, outcome)))
    assert len(report.added) == 3 and [o for _, o in seen] == ["added"] * 3
    assert counter.calls == 1  # one embedding pass over the three documents' chunks (no sentence pass)
    remarks = svc.document(SEED_DOC).remarks
    stored = svc.store().remark_tokens([r.id for r in remarks])
    assert set(stored) == {r.id for r in remarks}
    assert stored[remarks[0].id] == svc.tokenizer.tokenize(remarks[0].text)
