"""Evaluation datasets: the BEIR layout (load/write), the minutes-native question set, and dispatch.

(The module is ``dataset`` — singular — because ``eval/datasets/`` is the folder holding the data.)

BEIR layout: ``corpus.jsonl`` ({_id, title, text, metadata}), ``queries.jsonl`` ({_id, text, metadata?}),
``qrels/<split>.tsv`` (header ``query-id corpus-id score``, graded). Query ``metadata.lang`` and
``metadata.type`` feed the per-language / per-type breakdowns.

Minutes-native layout: ``questions.jsonl`` (see eval/datasets/seed/README.md) and ``dataset.yaml``
naming the minutes files (relative to the dataset folder). Gold ``(document, ordinal)`` becomes the
remark id ``f"{document}#{ordinal}"``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

logger = logging.getLogger(__name__)

UNANSWERABLE = "unanswerable"


@dataclass(frozen=True)
class CorpusDoc:
    id: str
    text: str
    title: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    lang: str = "und"
    type: str = "default"
    split: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class EvalDataset:
    """A retrieval set. Either ``corpus`` (BEIR-like, ingested one remark per entry) or ``minutes``
    (files ingested through the product parser) is set."""

    name: str
    queries: list[Query]
    qrels: dict[str, dict[str, int]]  # qid → {doc id: grade}; empty for unanswerable questions
    corpus: list[CorpusDoc] = field(default_factory=list)
    minutes: list[Path] = field(default_factory=list)
    source: str = ""

    @property
    def kind(self) -> str:
        return "minutes" if self.minutes else "beir"

    def unanswerable(self) -> set[str]:
        """Questions that must be abstained on: type "unanswerable", or no gold and not a metadata question."""
        return {
            q.id
            for q in self.queries
            if q.type == UNANSWERABLE or (not self.qrels.get(q.id) and q.type != "metadata")
        }

    def answerable(self) -> set[str]:
        return {q.id for q in self.queries if any(g > 0 for g in self.qrels.get(q.id, {}).values())}

    def subset(self, *, split: str | None = None, limit: int | None = None) -> EvalDataset:
        queries = [q for q in self.queries if split is None or q.split in (None, split)]
        if limit is not None:
            queries = queries[:limit]
        keep = {q.id for q in queries}
        return EvalDataset(
            name=self.name,
            queries=queries,
            qrels={q: r for q, r in self.qrels.items() if q in keep},
            corpus=self.corpus,
            minutes=self.minutes,
            source=self.source,
        )

    def fingerprint(self) -> str:
        """sha256 over queries, qrels, corpus texts and minutes bytes (stable across machines)."""
        h = hashlib.sha256()
        for q in sorted(self.queries, key=lambda q: q.id):
            h.update(json.dumps([q.id, q.text, q.lang, q.type], ensure_ascii=False).encode())
        h.update(json.dumps(self.qrels, sort_keys=True, ensure_ascii=False).encode())
        for d in sorted(self.corpus, key=lambda d: d.id):
            h.update(json.dumps([d.id, d.title, d.text], ensure_ascii=False).encode())
        for p in sorted(self.minutes, key=lambda p: p.name):
            h.update(p.name.encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
        return h.hexdigest()


# --- BEIR ------------------------------------------------------------------------------------
def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: not valid JSON ({exc.msg}); fix or remove the line") from exc
    return rows


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def load_beir(directory: Path, *, split: str = "test", name: str | None = None) -> EvalDataset:
    directory = Path(directory)
    qrels_path = directory / "qrels" / f"{split}.tsv"
    for p in (directory / "corpus.jsonl", directory / "queries.jsonl", qrels_path):
        if not p.is_file():
            raise ValueError(f"{p} is missing: a BEIR dataset needs corpus.jsonl, queries.jsonl and qrels/{split}.tsv")
    corpus = [
        CorpusDoc(id=str(r["_id"]), text=r.get("text", ""), title=r.get("title") or "", metadata=r.get("metadata") or {})
        for r in _read_jsonl(directory / "corpus.jsonl")
    ]
    qrels: dict[str, dict[str, int]] = {}
    with qrels_path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t")
        header = next(reader, None)
        if header is None or [h.strip() for h in header[:3]] != ["query-id", "corpus-id", "score"]:
            raise ValueError(f"{qrels_path}: the first line must be the header 'query-id<TAB>corpus-id<TAB>score'")
        for row in reader:
            if row:
                qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    queries = []
    for r in _read_jsonl(directory / "queries.jsonl"):
        qid = str(r["_id"])
        if qid not in qrels:
            continue  # BEIR convention: only queries judged in this split are evaluated
        meta = r.get("metadata") or {}
        queries.append(
            Query(id=qid, text=r["text"], lang=meta.get("lang", "und"), type=meta.get("type", "default"), metadata=meta)
        )
    return EvalDataset(name=name or directory.name, queries=queries, qrels=qrels, corpus=corpus, source=str(directory))


def write_beir(ds: EvalDataset, directory: Path, *, split: str = "test") -> Path:
    """Write a corpus-based dataset in the BEIR layout; returns the directory."""
    if not ds.corpus:
        raise ValueError("write_beir needs a corpus-based dataset (minutes-native sets have no corpus.jsonl)")
    directory = Path(directory)
    (directory / "qrels").mkdir(parents=True, exist_ok=True)
    _write_jsonl(
        directory / "corpus.jsonl",
        ({"_id": d.id, "title": d.title, "text": d.text, "metadata": d.metadata} for d in ds.corpus),
    )
    _write_jsonl(
        directory / "queries.jsonl",
        ({"_id": q.id, "text": q.text, "metadata": {**q.metadata, "lang": q.lang, "type": q.type}} for q in ds.queries),
    )
    with (directory / "qrels" / f"{split}.tsv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["query-id", "corpus-id", "score"])
        for qid in sorted(ds.qrels):
            for doc, grade in sorted(ds.qrels[qid].items()):
                w.writerow([qid, doc, grade])
    return directory


# --- minutes-native --------------------------------------------------------------------------
def remark_id(document: str, ordinal: int) -> str:
    return f"{document}#{ordinal}"


def load_questions(path: Path) -> tuple[list[Query], dict[str, dict[str, int]]]:
    queries: list[Query] = []
    qrels: dict[str, dict[str, int]] = {}
    for n, r in enumerate(_read_jsonl(Path(path)), 1):
        missing = [k for k in ("qid", "question", "lang", "type", "gold") if k not in r]
        if missing:
            raise ValueError(f"{path}: question #{n} lacks {missing}; see eval/datasets/seed/README.md")
        queries.append(Query(id=r["qid"], text=r["question"], lang=r["lang"], type=r["type"], split=r.get("split")))
        qrels[r["qid"]] = {remark_id(g["document"], int(g["ordinal"])): int(g.get("grade", 1)) for g in r["gold"]}
    return queries, qrels


def load_minutes_set(directory: Path, *, minutes: Sequence[Path] | None = None) -> EvalDataset:
    """Load ``questions.jsonl`` and the minutes named by ``dataset.yaml`` (or given as ``minutes``)."""
    directory = Path(directory)
    queries, qrels = load_questions(directory / "questions.jsonl")
    meta: dict[str, Any] = {}
    if (directory / "dataset.yaml").is_file():
        meta = yaml.safe_load((directory / "dataset.yaml").read_text(encoding="utf-8")) or {}
    if minutes:
        files = [_minutes_file(Path(m), directory=None) for m in minutes]
    else:
        listed = meta.get("minutes") or meta.get("corpus") or []
        files = [_minutes_file(m, directory=directory) for m in ([listed] if isinstance(listed, str) else listed)]
    if not files:
        raise ValueError(f"{directory}: no minutes files; list them under 'minutes:' in dataset.yaml or pass --minutes")
    return EvalDataset(
        name=str(meta.get("name") or directory.name), queries=queries, qrels=qrels, minutes=files, source=str(directory)
    )


def _minutes_file(entry: Any, *, directory: Path | None) -> Path:
    """One ``minutes:`` entry → the file to ingest. An entry is a path, or ``{path, render?, document?}``;
    ``render: tei`` (implied by a ``.tei.xml`` path) renders the TEI into the eval cache as ``{document}.txt``."""
    if isinstance(entry, dict):
        if "path" not in entry:
            raise ValueError(f"minutes entry {entry!r} needs a 'path:' (and optionally 'render: tei', 'document: ID')")
        raw, render, document = entry["path"], entry.get("render"), entry.get("document")
    else:
        raw, render, document = entry, None, None
    path = Path(str(raw))
    if directory is not None and not path.is_absolute():
        path = (directory / path).resolve()
    if render is None and path.name.endswith(".tei.xml"):
        render = "tei"
    if not path.exists():
        raise ValueError(f"minutes file {path} not found; fix dataset.yaml or pass --minutes PATH")
    if render is None:
        return path
    if render != "tei":
        raise ValueError(f"minutes entry {raw}: unknown render {render!r}; the only renderer is 'tei'")
    from eval.tei import rendered_minutes

    return rendered_minutes(path, document=None if document is None else str(document))


# --- dispatch --------------------------------------------------------------------------------
def load_dataset(spec: str, *, minutes: Sequence[Path] | None = None) -> EvalDataset:
    """``jsquad:PATH``, ``ntrex:EN_PATH,JA_PATH``, a minutes-native folder (questions.jsonl) or a BEIR folder."""
    from eval.shared_sets import load_jsquad, load_ntrex

    if spec.startswith("jsquad:"):
        return load_jsquad(Path(spec.removeprefix("jsquad:")))
    if spec.startswith("ntrex:"):
        parts = spec.removeprefix("ntrex:").split(",")
        if len(parts) != 2:
            raise ValueError("use --dataset ntrex:EN_PATH,JA_PATH (two paths separated by a comma)")
        return load_ntrex(Path(parts[0]), Path(parts[1]))
    path = Path(spec)
    if path.is_file() and path.name == "questions.jsonl":
        path = path.parent
    if (path / "questions.jsonl").is_file():
        return load_minutes_set(path, minutes=minutes)
    if (path / "corpus.jsonl").is_file():
        return load_beir(path)
    raise ValueError(
        f"cannot read dataset {spec!r}: give a folder with questions.jsonl (minutes-native) or corpus.jsonl "
        "(BEIR), or jsquad:PATH / ntrex:EN_PATH,JA_PATH"
    )
