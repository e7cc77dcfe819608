"""Public retrieval sets made from the shared QA / translation data (paths always come from the caller).

* JSQuAD (SQuAD JSON): corpus = every paragraph (``context``, split as ``title [SEP] text``),
  queries = every question (lang ``ja``, type ``jsquad``), qrel = the paragraph it was asked about.
* NTREX-128 (two line-aligned files, CRLF): corpus = the Japanese sentences, queries = the English
  sentences (lang ``en``, type ``cross-lingual``), qrel = the sentence on the same line.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from eval.dataset import CorpusDoc, EvalDataset, Query

logger = logging.getLogger(__name__)

SEP = "[SEP]"


def _split_context(context: str, fallback_title: str) -> tuple[str, str]:
    if SEP in context:
        title, text = context.split(SEP, 1)
        return title.strip(), text.strip()
    return fallback_title, context.strip()


def load_jsquad(path: Path) -> EvalDataset:
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"JSQuAD file {path} not found; pass --dataset jsquad:PATH to jsquad-valid-v1.1.json")
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not SQuAD JSON ({exc.msg})") from exc
    if "data" not in data:
        raise ValueError(f"{path} has no top-level 'data' list: is it a SQuAD-format file?")
    corpus: list[CorpusDoc] = []
    queries: list[Query] = []
    qrels: dict[str, dict[str, int]] = {}
    n = 0
    for article in data["data"]:
        for para in article.get("paragraphs", []):
            n += 1
            pid = f"p{n:05d}"
            title, text = _split_context(para["context"], article.get("title", ""))
            corpus.append(CorpusDoc(id=pid, title=title, text=text))
            for qa in para.get("qas", []):
                qid = str(qa["id"])
                queries.append(Query(id=qid, text=qa["question"], lang="ja", type="jsquad"))
                qrels[qid] = {pid: 1}
    logger.info("JSQuAD: %d paragraphs, %d questions", len(corpus), len(queries))
    return EvalDataset(name="jsquad", queries=queries, qrels=qrels, corpus=corpus, source=str(path))


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        raise ValueError(f"NTREX file {path} not found; pass --dataset ntrex:EN_PATH,JA_PATH")
    return [line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines()]


def load_ntrex(en_path: Path, ja_path: Path) -> EvalDataset:
    en, ja = _lines(Path(en_path)), _lines(Path(ja_path))
    if len(en) != len(ja):
        raise ValueError(f"NTREX files are not line-aligned: {len(en)} English vs {len(ja)} Japanese lines")
    corpus: list[CorpusDoc] = []
    queries: list[Query] = []
    qrels: dict[str, dict[str, int]] = {}
    for i, (e, j) in enumerate(zip(en, ja, strict=True), 1):
        if not e or not j:
            continue
        did, qid = f"ja{i:05d}", f"en{i:05d}"
        corpus.append(CorpusDoc(id=did, text=j))
        queries.append(Query(id=qid, text=e, lang="en", type="cross-lingual"))
        qrels[qid] = {did: 1}
    logger.info("NTREX: %d sentence pairs", len(corpus))
    return EvalDataset(name="ntrex128", queries=queries, qrels=qrels, corpus=corpus, source=f"{en_path},{ja_path}")
