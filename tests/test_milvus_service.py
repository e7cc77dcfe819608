"""The service, the CLI and the API on the Milvus store (a real `milvus-lite server`, the hashing embedder):
ingest and search, `rag index ls/info/verify/rm`, two API replicas, two concurrent ingest processes, and
`rag index migrate` from the embedded index."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.main import create_app
from rag.cli import app as cli_app
from rag.service import RagService
from rag.settings import Settings, get_settings
from rag.types import Filters

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "rag" / "samples"
KEY = "milvus-test-key"
MINI = "架空会議（第{n}回）議事要旨\n\n１ 日時\n令和６年４月{n}日（月）午前１０時から正午まで\n\n４ 議事概要\n○ {word}の補修は予算が足りない。\n○ {word}の点検を優先するべきだ。\n"
QUESTIONS = ["道路の補修", "半導体の人材育成", "防災の取り組み", "デジタル基盤の整備", "技術協力"]


def _settings(store: str | None, tmp: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "store": store,
        "model": "hash:64",
        "index_dir": tmp,
        "model_cache": tmp / "models",
        "api_key": KEY,
        "ingest_samples_on_start": False,
    }
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


def _env(store: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        RAG_STORE=store, RAG_MODEL="hash:64", RAG_INDEX_DIR=str(tmp), RAG_MODEL_CACHE=str(tmp / "models")
    )
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


def _top(svc: RagService, question: str) -> list[str]:
    return [h.remark_id for h in svc.search(question, k=5).hits]


def test_service_ingest_search_and_cli(
    milvus_store: str, seed_txt: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    svc = RagService(_settings(milvus_store, tmp_path / "m"))
    report = svc.ingest([seed_txt, SAMPLES])
    assert len(report.added) == 4 and not report.failed
    assert svc.ingest([seed_txt]).unchanged == [seed_txt.stem]
    result = svc.search("道路の補修", k=3)
    assert result.hits and all(h.citation.title for h in result.hits)
    hits = svc.search("委員の意見", k=5, filters=Filters(document=seed_txt.stem)).hits
    assert hits and {h.citation.document for h in hits} == {seed_txt.stem}
    assert svc.search("意見", k=5, filters=Filters(date_from="2024-07")).hits[0].citation.date >= "2024-07"
    assert svc.remark_context(f"{seed_txt.stem}#3").remark.text

    embedded = RagService(_settings(None, tmp_path / "e"))
    embedded.ingest([seed_txt, SAMPLES])
    for question in QUESTIONS:  # one retrieval path over two stores: the same hits
        assert _top(svc, question) == _top(embedded, question), question

    runner = CliRunner()
    for key, value in _env(milvus_store, tmp_path / "m").items():
        if key.startswith("RAG_"):
            monkeypatch.setenv(key, value)
    # the CLI reads the cached Settings: an earlier test in this process may have filled the cache
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)
    out = runner.invoke(cli_app, ["index", "ls"])
    assert out.exit_code == 0 and len(out.stdout.strip().splitlines()) == 4 and seed_txt.stem in out.stdout
    out = runner.invoke(cli_app, ["index", "info"])
    assert out.exit_code == 0 and '"store": "milvus"' in out.stdout and '"remarks": 53' in out.stdout
    assert runner.invoke(cli_app, ["index", "verify"]).stdout.strip() == "ok"
    out = runner.invoke(cli_app, ["index", "rm", "digital_infra_02"])
    assert out.exit_code == 0, out.output
    assert "digital_infra_02" not in runner.invoke(cli_app, ["index", "ls"]).stdout
    assert runner.invoke(cli_app, ["index", "rm", "digital_infra_02"]).exit_code != 0
    assert all(h.citation.document != "digital_infra_02" for h in svc.search("デジタル基盤", k=5).hits)
    svc.close()
    embedded.close()


def test_two_api_replicas_share_one_store(milvus_store: str, seed_txt: Path, tmp_path: Path) -> None:
    """An upload through one replica is searchable through the other within 2 s; so is a delete."""
    apps = [create_app(_settings(milvus_store, tmp_path / f"replica{i}")) for i in (1, 2)]
    with TestClient(apps[0]) as one, TestClient(apps[1]) as two:
        for client in (one, two):  # the app loads the model and opens the store in the background
            t0 = time.monotonic()
            while (r := client.get("/ready")).status_code != 200:
                assert time.monotonic() - t0 < 60 and "failed" not in r.text, r.text
                time.sleep(0.1)
        two.post("/search", json={"question": "予算", "k": 3})  # replica two has its corpus loaded before
        for n, word in ((1, "道路"), (2, "橋梁")):
            files = [("files", (f"mini_{n}.txt", MINI.format(n=n, word=word).encode()))]
            r = one.post("/documents", files=files, headers={"X-API-Key": KEY})
            assert r.status_code == 201, r.text
            t0 = time.monotonic()
            while True:
                body = two.post(
                    "/search", json={"question": f"{word}の点検", "k": 3, "mode": "lexical"}
                ).json()
                if any(h["citation"]["document"] == f"mini_{n}" for h in body["hits"]):
                    break
                assert time.monotonic() - t0 < 2.0, f"mini_{n} not searchable through replica two after 2 s"
                time.sleep(0.05)
        assert two.delete("/documents/mini_1", headers={"X-API-Key": KEY}).status_code == 200
        t0 = time.monotonic()
        while any(
            h["citation"]["document"] == "mini_1"
            for h in one.post("/search", json={"question": "道路の点検", "k": 5, "mode": "lexical"}).json()[
                "hits"
            ]
        ):
            assert time.monotonic() - t0 < 2.0, "a delete through replica two still shows through replica one"
            time.sleep(0.05)
        listed = [sorted(d["document"] for d in c.get("/documents").json()) for c in (one, two)]
        assert listed[0] == listed[1] == ["mini_2"]


def test_two_ingest_processes_lose_nothing(milvus_store: str, tmp_path: Path) -> None:
    folders = []
    for part in ("a", "b"):
        folder = tmp_path / part
        folder.mkdir()
        for n in range(1, 9):
            word = f"{part}区画{n}"
            (folder / f"{part}_{n:02d}.txt").write_text(MINI.format(n=n, word=word), encoding="utf-8")
        folders.append(folder)
    env = _env(milvus_store, tmp_path / "cache")
    cmd = [sys.executable, "-c", "from rag.cli import main; main()", "ingest"]
    procs = [
        subprocess.Popen([*cmd, str(f)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for f in folders
    ]
    outputs = [p.communicate(timeout=300)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    svc = RagService(_settings(milvus_store, tmp_path / "cache"))
    docs = sorted(d["document"] for d in svc.documents())
    assert docs == sorted(f"{p}_{n:02d}" for p in ("a", "b") for n in range(1, 9))
    assert svc.info()["generation"] == 16 and svc.info()["counts"]["remarks"] == 32
    from index.milvus_verify import verify_milvus

    assert verify_milvus(milvus_store) == []
    hits = svc.search("b区画3の点検", k=3, mode="lexical").hits
    assert hits[0].citation.document == "b_03"
    svc.close()


def test_migrate_embedded_index(milvus_store: str, seed_txt: Path, tmp_path: Path) -> None:
    embedded = RagService(_settings(None, tmp_path / "index"))
    embedded.ingest([seed_txt, SAMPLES])
    embedded.close()
    runner = CliRunner()
    out = runner.invoke(
        cli_app, ["index", "migrate", "--index", str(tmp_path / "index"), "--to", milvus_store]
    )
    assert out.exit_code == 0, out.output
    assert "added 4" in out.stdout
    again = runner.invoke(
        cli_app, ["index", "migrate", "--index", str(tmp_path / "index"), "--to", milvus_store]
    )
    assert "unchanged 4" in again.stdout
    from index.milvus_verify import verify_milvus

    assert verify_milvus(milvus_store) == []
    # the migrated store answers with the source's model, and gives the same top hits
    milvus = RagService(_settings(milvus_store, tmp_path / "cache2"))
    embedded = RagService(_settings(None, tmp_path / "index"))
    assert milvus.info()["fingerprint"] == embedded.info()["fingerprint"]
    for question in QUESTIONS:
        assert _top(milvus, question) == _top(embedded, question), question
    bad = runner.invoke(
        cli_app, ["index", "migrate", "--index", str(tmp_path / "nothing"), "--to", milvus_store]
    )
    assert bad.exit_code != 0 and "no index" in bad.output
    milvus.close()
    embedded.close()


def test_ready_reports_a_store_that_is_down(tmp_path: Path) -> None:
    """/ready (the replicas' health check) answers 503 once Milvus stops answering."""
    from eval.milvus_lite import lite_server

    server = contextlib.ExitStack()
    url = server.enter_context(lite_server(tmp_path / "data"))
    app = create_app(_settings(f"{url}?prefix=down", tmp_path / "cache"))
    with server, TestClient(app) as client:
        t0 = time.monotonic()
        while (r := client.get("/ready")).status_code != 200:
            assert time.monotonic() - t0 < 60 and "failed" not in r.text, r.text
            time.sleep(0.1)
        server.close()  # Milvus goes away under a running replica
        t0 = time.monotonic()
        r = client.get("/ready")
        assert r.status_code == 503 and "Milvus" in r.text, r.text
        assert time.monotonic() - t0 < 60
