"""The pooled index: every collection's minutes, JSQuAD's paragraphs and NTREX's Japanese sentences in one index.

A user's index holds many meetings at once, while each collection alone holds 23 to 1,145 remarks. The pool is
what `eval.haystack` scores held-out questions against, and what `eval.tune` fits on beside each collection
alone (`pooled_collections`: each collection's dev and test questions with gold, their candidates gathered from
the pooled index). It changes what is answerable (a JSQuAD paragraph may answer a samples off-topic question), so
only questions with gold are taken from it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.dataset import EvalDataset, load_dataset
from eval.runner import corpus_documents
from eval.shared_sets import load_ntrex
from eval.tune_data import DATASETS, ROOT, Collection, Item, jsquad_split, tuning_retriever
from rag.errors import RagError
from rag.retrieve.query import parse_query

logger = logging.getLogger(__name__)

MINUTES_SETS = ("seed", "seed-holdout", "samples", "env-real", "council")
NTREX = ROOT.parent / "shared" / "datasets" / "ntrex128-newstest2019"
POOLED = "pooled-"  # the prefix of a pooled collection's name: pooled-seed holds seed's questions


def _split(ds: EvalDataset, split: str) -> EvalDataset:
    """One split's questions; a set without dev (seed-holdout, never tuned on) counts as test."""
    if not any(q.split == "dev" for q in ds.queries):
        return ds if split == "test" else ds.subset(split="dev")
    return ds.subset(split=split)


def load_pool(jsquad_limit: int, split: str = "test", *, jsquad_scored: bool = True,
              ) -> tuple[dict[str, EvalDataset], list[Path], list[Any]]:
    """Question sets by name (``split`` only), the minutes files to ingest, and the BEIR-style documents."""
    every = {name: load_dataset(str(DATASETS / name)) for name in MINUTES_SETS}
    minutes = sorted({p.resolve() for ds in every.values() for p in ds.minutes}, key=lambda p: p.name)
    sets = {name: _split(ds, split) for name, ds in every.items()}
    jsquad = jsquad_split(jsquad_limit)
    # BEIR gold names the paragraph; in the pooled index its one remark is f"{id}#1".
    if jsquad_scored:
        sets["jsquad"] = EvalDataset(
            name="jsquad",
            queries=[q for q in jsquad.queries if q.split == split],
            qrels={q: {f"{d}#1": g for d, g in rel.items()} for q, rel in jsquad.qrels.items()},
        )
    ntrex = load_ntrex(Path(f"{NTREX}.en.txt"), Path(f"{NTREX}.ja.txt"))
    docs = corpus_documents(jsquad) + corpus_documents(ntrex)
    return sets, minutes, docs


def pool_fingerprint(minutes: Sequence[Path], docs: Sequence[Any]) -> str:
    """sha256 over the minutes files' bytes and the documents' ids and hashes (what the pooled index holds)."""
    h = hashlib.sha256()
    for p in sorted(minutes, key=lambda p: p.name):
        h.update(p.name.encode("utf-8") + b"\0" + hashlib.sha256(p.read_bytes()).digest())
    for d in docs:
        h.update(f"{d.document}\0{d.sha256}\0".encode())
    return h.hexdigest()


def pooled_service(work: Path, model: str, minutes: Sequence[Path], docs: Sequence[Any]) -> Any:
    """A loaded ``RagService`` over one index (under ``work``, reused when unchanged) of ``minutes`` and ``docs``."""
    from rag.service import RagService
    from rag.settings import Settings

    service = RagService(Settings(index_dir=work, model=model, ingest_samples_on_start=False))
    for ingested in (service.ingest(minutes), service.ingest_parsed(docs)):
        if ingested.failed:
            raise RagError(f"could not index: {dict(list(ingested.failed.items())[:3])}")
    service.load()
    return service


def pooled_collections(names: Sequence[str], model: str, work: Path, *, jsquad_limit: int = 600) -> list[Collection]:
    """One collection ``pooled-NAME`` per name: NAME's dev and test questions with gold, their candidates
    gathered from the pooled index (built under ``work`` once, reused while its data and model are unchanged)."""
    by_split = {split: load_pool(jsquad_limit, split) for split in ("dev", "test")}
    _, minutes, docs = by_split["dev"]
    fingerprint = pool_fingerprint(minutes, docs)
    index_dir = work / f"pooled-{fingerprint[:12]}-{hashlib.sha256(model.encode()).hexdigest()[:8]}"
    retriever = tuning_retriever(pooled_service(index_dir, model, minutes, docs))
    out = []
    for name in names:
        if name not in by_split["dev"][0]:
            raise ValueError(f"no collection {name!r} in the pool; known: {sorted(by_split['dev'][0])}")
        items = []
        for split, (sets, _, _) in by_split.items():
            ds = sets[name]
            with_gold = [q for q in ds.queries if any(g > 0 for g in ds.qrels.get(q.id, {}).values())]
            retriever.embedder.warm([q.text for q in with_gold])
            for q in with_gold:
                query = parse_query(q.text)
                cands = retriever.candidates(query, k=10, filters=None, mode="hybrid", timings={}, topics=True)
                items.append(Item(q.id, POOLED + name, q.lang, split, dict(ds.qrels[q.id]), query, cands))
        out.append(Collection(POOLED + name, "minutes", fingerprint, items, retriever, source=name))
        logger.info("%s%s: %d questions over the pooled index", POOLED, name, len(items))
    return out
