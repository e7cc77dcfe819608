"""Issue 5's bar with the real model, offline: `rag eval` on the seed set and on a BEIR folder each writes
JSON, Markdown and PNG, and the JSON carries the headline metrics for every configuration and language."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
HEADLINE = ("ndcg@10", "mrr@10", "hit@1", "recall@5")


@pytest.mark.parametrize(
    ("dataset", "langs"),
    [(ROOT / "eval" / "datasets" / "seed", {"ja", "en"}), (ROOT / "tests" / "fixtures" / "beir_tiny", None)],
    ids=["seed", "beir"],
)
def test_rag_eval_writes_all_reports(dataset: Path, langs: set[str] | None, tmp_path: Path, seed_txt: Path) -> None:
    out = tmp_path / "report.json"
    env = dict(os.environ, HF_HUB_OFFLINE="1", RAG_INDEX_DIR=str(tmp_path / "unused"))
    args = [sys.executable, "-m", "rag.cli", "eval", "--dataset", str(dataset), "--json", str(out)]
    if langs:
        args += ["--minutes", str(seed_txt)]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert out.with_suffix(".md").read_text(encoding="utf-8").startswith("# ")
    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = json.loads(out.read_text(encoding="utf-8"))
    assert {"dense", "lexical", "hybrid", "default", "langchain-faiss"} <= set(report["configs"])
    for name, cfg in report["configs"].items():
        assert all(0.0 <= cfg["metrics"][m] <= 1.0 for m in HEADLINE), name
        for lang in langs or ():
            assert all(m in cfg["by_lang"][lang]["metrics"] for m in HEADLINE), (name, lang)
