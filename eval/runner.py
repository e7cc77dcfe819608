"""Run a dataset through configurations of the product (``RagService``) and the LangChain baseline.

One index is built per (model, index_type) and shared by the configurations that use it; each
configuration only changes the search call (mode, rerank). The result holds the raw runs
(``{config: {qid: {doc_id: score}}}``) and the JSON-able report made by ``eval.summary``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tqdm import tqdm

from eval.baseline import EmbedderLike, LangchainFaissBaseline
from eval.config import BASELINE, PARAGRAPH_BASELINE, EvalConfig
from eval.dataset import EvalDataset
from eval.summary import ConfigRun, summarize
from rag.errors import RagError
from rag.settings import Settings, get_settings
from rag.types import IngestReport, Meeting, ParsedDocument, Remark, SearchResult

logger = logging.getLogger(__name__)

Run = dict[str, dict[str, float]]


class SearchService(Protocol):
    """The part of ``rag.service.RagService`` the evaluator uses."""

    def ingest(self, paths: Sequence[Path]) -> IngestReport: ...

    def ingest_parsed(self, docs: Sequence[ParsedDocument]) -> IngestReport: ...

    def search(
        self, question: str, *, k: int | None = None, mode: str | None = None, rerank: bool | None = None,
        highlights: bool = True,
    ) -> SearchResult: ...

    def document(self, document: str) -> ParsedDocument: ...

    @property
    def model_id(self) -> str: ...


ServiceFactory = Callable[[Settings], SearchService]
EmbedderFactory = Callable[[Settings, SearchService], EmbedderLike]


@dataclass
class EvalResult:
    runs: dict[str, Run]
    report: dict[str, Any]
    abstained: dict[str, dict[str, bool]] = field(default_factory=dict)


def _default_service(settings: Settings) -> SearchService:
    from rag.service import RagService

    svc: SearchService = RagService(settings)  # type: ignore[assignment]
    return svc


def _default_embedder(settings: Settings, svc: SearchService) -> EmbedderLike:
    shared = getattr(svc, "embedder", None)
    if shared is not None and hasattr(shared, "embed_queries") and hasattr(shared, "embed_passages"):
        emb: EmbedderLike = shared
        return emb
    from rag.embed import load_embedder  # type: ignore[attr-defined]

    loaded: EmbedderLike = load_embedder(settings)
    return loaded


def corpus_documents(ds: EvalDataset) -> list[ParsedDocument]:
    """One ``ParsedDocument`` per corpus entry: a single remark ``f"{_id}#1"`` holding title + text."""
    docs = []
    for d in ds.corpus:
        text = (d.title + "\n" if d.title else "") + d.text
        docs.append(
            ParsedDocument(
                document=d.id,
                source=f"{ds.name}:{d.id}",
                sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                meeting=Meeting(title=d.title or d.id),
                topics=(),
                remarks=(Remark(id=f"{d.id}#1", ordinal=1, text=text, start=0, end=len(text)),),
                text=text,
            )
        )
    return docs


def _doc_id(remark_id: str, kind: str) -> str:
    return remark_id.rsplit("#", 1)[0] if kind == "beir" else remark_id


def result_to_scores(result: SearchResult, kind: str) -> dict[str, float]:
    """Hits → ``{doc_id: score}``; if the hit order disagrees with the scores, positional scores are used."""
    scores: dict[str, float] = {}
    order: list[str] = []
    for hit in result.hits:
        doc = _doc_id(hit.remark_id, kind)
        if doc not in scores:
            scores[doc] = float(hit.score)
            order.append(doc)
    values = [scores[d] for d in order]
    if any(b > a for a, b in zip(values, values[1:], strict=False)):
        logger.warning("hits are not sorted by score for %r; scoring them by position", result.question[:40])
        return {d: float(len(order) - i) for i, d in enumerate(order)}
    return scores


def _ingest(svc: SearchService, ds: EvalDataset) -> list[tuple[str, str]]:
    """Index the dataset; returns the ``(doc_id, text)`` pairs the baseline indexes too."""
    if ds.kind == "minutes":
        report = svc.ingest(ds.minutes)
        if report.failed:
            raise RagError(f"could not ingest the minutes: {report.failed}")
        pairs: list[tuple[str, str]] = []
        for name in sorted(set(report.added) | set(report.unchanged) | set(report.replaced)):
            parsed = svc.document(name)
            pairs.extend((r.id, r.text) for r in parsed.remarks)
        logger.info("ingested %d minutes files, %d remarks", len(ds.minutes), len(pairs))
        return pairs
    docs = corpus_documents(ds)
    report = svc.ingest_parsed(docs)
    if report.failed:
        raise RagError(f"could not index the corpus: {dict(list(report.failed.items())[:3])}")
    return [(d.document, d.text) for d in docs]


# scores, timings, answerable (None: n/a), the top hit's confidence (None: n/a or no hit)
Answer = tuple[dict[str, float], dict[str, float], bool | None, float | None]


def _service_search(svc: SearchService, cfg: EvalConfig, k: int, kind: str, text: str) -> Answer:
    # Ranking metrics need no highlighted sentences: skip them (they dominate the cost at k=100).
    res = svc.search(text, k=k, mode=cfg.mode, rerank=cfg.rerank, highlights=False)
    top = float(res.hits[0].confidence) if res.hits else None
    return result_to_scores(res, kind), dict(res.timings_ms), res.answerable, top


def _baseline_search(store: LangchainFaissBaseline, k: int, text: str) -> Answer:
    scores, timings = store.search(text, k)
    return scores, timings, None, None


def _search_all(
    ds: EvalDataset, label: str, search: Callable[[str], Answer],
    progress: bool,
) -> ConfigRun:
    run: Run = {}
    timings: list[dict[str, float]] = []
    abstained: dict[str, bool] = {}
    confidence: dict[str, float] = {}
    for q in tqdm(ds.queries, desc=label, unit="q", disable=not progress, leave=False):
        try:
            scores, t, answerable, top = search(q.text)
        except RagError as exc:  # e.g. a question the service rejects: count as an empty answer
            logger.warning("%s: query %s failed: %s", label, q.id, exc)
            scores, t, answerable, top = {}, {}, False, None
        run[q.id] = scores
        timings.append(t)
        if answerable is not None:
            abstained[q.id] = not answerable
        if top is not None:
            confidence[q.id] = top
    return ConfigRun(run=run, timings=timings, abstained=abstained or None, top_confidence=confidence or None)


def run_eval(
    dataset: EvalDataset,
    configs: Sequence[EvalConfig],
    *,
    model: str | None = None,
    settings: Settings | None = None,
    index_root: Path | None = None,
    k: int = 100,
    baseline: bool = True,
    paragraph_baseline: bool = False,
    service_factory: ServiceFactory | None = None,
    embedder_factory: EmbedderFactory | None = None,
    progress: bool = False,
    seed: int = 0,
    n_resamples: int = 1000,
) -> EvalResult:
    """Evaluate ``configs`` (and the LangChain baseline) on ``dataset``; see eval/README.md for the report."""
    if not configs:
        raise ValueError("give at least one configuration (e.g. 'default')")
    names = [c.name for c in configs]
    if len(set(names)) != len(names):
        raise ValueError(f"configuration names must be unique, got {names}")
    base = settings or get_settings()
    factory = service_factory or _default_service
    groups: dict[tuple[str, str], list[EvalConfig]] = {}
    for cfg in configs:
        key = (cfg.model or model or base.model, cfg.index_type or base.index_type)
        groups.setdefault(key, []).append(cfg)

    results: dict[str, ConfigRun] = {}
    models: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as tmp:
        root = Path(index_root or tmp)
        for gi, ((model_name, index_type), cfgs) in enumerate(groups.items()):
            s = base.model_copy(update={"index_dir": root / f"index-{gi}", "model": model_name, "index_type": index_type})
            svc = factory(s)
            pairs = _ingest(svc, dataset)
            info = _model_info(svc, model_name)
            for cfg in cfgs:
                search = functools.partial(_service_search, svc, cfg, k, dataset.kind)
                results[cfg.name] = _search_all(dataset, cfg.name, search, progress)
                results[cfg.name].config = {**cfg.to_dict(), "model": model_name, "index_type": index_type}
                models[cfg.name] = info
            wanted = [(name, paragraphs) for name, paragraphs, on in
                      ((BASELINE, False, baseline), (PARAGRAPH_BASELINE, True, paragraph_baseline))
                      if on and name not in results]
            if wanted:
                emb = (embedder_factory or _default_embedder)(s, svc)  # one embedder for both baselines
                for name, paragraphs in wanted:
                    store = LangchainFaissBaseline(emb, pairs, paragraphs=paragraphs)
                    base_search = functools.partial(_baseline_search, store, k)
                    results[name] = _search_all(dataset, name, base_search, progress)
                    results[name].config = {"name": name, "kind": "baseline", "model": model_name,
                                            **({"unit": "paragraph"} if paragraphs else {}),
                                            "store": "langchain_community.vectorstores.FAISS"}
                    models[name] = info
            close = getattr(svc, "close", None)
            if callable(close):
                close()
    report = summarize(dataset, results, models=models, seed=seed, n_resamples=n_resamples, k=k)
    return EvalResult(
        runs={n: r.run for n, r in results.items()},
        report=report,
        abstained={n: r.abstained for n, r in results.items() if r.abstained is not None},
    )


def _model_info(svc: SearchService, fallback: str) -> dict[str, Any]:
    info: dict[str, Any] = {"id": fallback, "fingerprint": None}
    try:
        info["id"] = svc.model_id
    except (NotImplementedError, AttributeError, RagError):
        pass
    try:
        details = svc.info()  # type: ignore[attr-defined]
    except (NotImplementedError, AttributeError, RagError, TypeError):
        return info
    stack = [details]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            for key, val in cur.items():
                if "fingerprint" in str(key) and isinstance(val, str) and info["fingerprint"] is None:
                    info["fingerprint"] = val
                elif isinstance(val, dict):
                    stack.append(val)
    return info
