"""Which Japanese tokenizer should feed BM25? A lexical-only comparison on JSQuAD.

    OMP_NUM_THREADS=1 python -m eval.compare_tokenizers \
        --jsquad ../shared/datasets/jsquad-valid-v1.1.json --json docs/results/tokenizers.json

Corpus: every distinct paragraph context; queries: every question; gold: the question's paragraph.
Each variant gets its own `rag.retrieve.lexical.LexicalIndex` (bm25s, k1=1.2, b=0.75), fed by:
* ``sudachi-A/B/C``: `rag.retrieve.lexical.JapaneseTokenizer` in split mode A, B or C;
* ``fugashi-unidic-lite``: MeCab (fugashi) with unidic-lite, the same POS and stop-word filter (a word
  goes when its lemma or its written base form is a stop word), UniDic lemmas (suffixes such as
  リスク-risk, チョウコウ-外国 cut), NFKC + lower case, Latin words as lower-cased surfaces;
* ``fugashi-unidic-lite-orth``: the same with the written base form (orthBase) instead of the lemma,
  which UniDic gives in katakana for many proper nouns (北海道 → ホッカイドウ);
* ``char-bigram``: overlapping character bigrams of the NFKC-folded text, no tokenizer at all.
Metrics come from ranx through `eval.metrics`; deltas are paired against ``sudachi-A`` (the default).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from eval.metrics import bootstrap_ci, paired_test, per_query_scores
from rag.retrieve.lexical import _STOP_POS, _STOP_WORDS, JapaneseTokenizer, LexicalIndex, fold

log = logging.getLogger(__name__)
METRICS = ("ndcg@10", "mrr@10", "recall@1", "recall@10")
BASELINE = "sudachi-A"
TOP_K = 100
Tokenize = Callable[[str], list[str]]


def load_jsquad(path: Path, limit: int | None) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Distinct paragraph contexts and (qid, question, gold doc id) triples (first `limit` questions)."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    docs: dict[str, str] = {}
    questions: list[tuple[str, str, str]] = []
    for article in data:
        for para in article["paragraphs"]:
            doc_id = docs.setdefault(para["context"], f"p{len(docs)}")
            questions.extend((qa["id"], qa["question"], doc_id) for qa in para["qas"])
    return list(docs), questions[:limit] if limit else questions


def fugashi_tokenizer(use_lemma: bool = True) -> Tokenize:
    """MeCab + unidic-lite content words, filtered like `JapaneseTokenizer` (same POS and stop lists)."""
    import re

    try:
        import fugashi
    except ImportError as exc:
        raise ImportError("fugashi is missing: pip install -e '.[compare-tokenizers]' (fugashi, unidic-lite)") from exc

    tagger = fugashi.Tagger()  # finds unidic-lite by itself
    gloss = re.compile(r"-[^-]+$")  # UniDic lemma suffixes: リスク-risk, チョウコウ-外国

    def tokenize(text: str) -> list[str]:
        out: list[str] = []
        for word in tagger(fold(text)):
            if word.feature.pos1 in _STOP_POS:
                continue
            surface = word.surface.strip()
            if surface.isascii():
                latin = surface.lower()
                if latin and latin not in _STOP_WORDS and any(ch.isalnum() for ch in latin):
                    out.append(latin)
                continue
            orth = unicodedata.normalize("NFKC", getattr(word.feature, "orthBase", None) or surface).lower()
            lemma = getattr(word.feature, "lemma", None) if use_lemma else None
            form = unicodedata.normalize("NFKC", gloss.sub("", lemma)).lower() if lemma else orth
            # the stop list is in Sudachi's forms: test the written base form too (どの → lemma 何の)
            if form.strip() and form not in _STOP_WORDS and orth not in _STOP_WORDS:
                out.append(form)
        return out

    return tokenize


def bigram_tokenizer() -> Tokenize:
    def tokenize(text: str) -> list[str]:
        chars = [ch for ch in unicodedata.normalize("NFKC", text).lower()
                 if unicodedata.category(ch)[0] not in "PSZC"]
        return ["".join(chars[i : i + 2]) for i in range(len(chars) - 1)] or chars

    return tokenize


def make_variants() -> dict[str, Callable[[], Tokenize]]:
    def sudachi(mode: str) -> Callable[[], Tokenize]:
        return lambda: JapaneseTokenizer(mode).tokenize

    return {
        "sudachi-A": sudachi("A"), "sudachi-B": sudachi("B"), "sudachi-C": sudachi("C"),
        "fugashi-unidic-lite": lambda: fugashi_tokenizer(True),
        "fugashi-unidic-lite-orth": lambda: fugashi_tokenizer(False),
        "char-bigram": bigram_tokenizer,
    }


class Timed:
    """A variant's tokenizer in the shape `LexicalIndex` takes; it keeps the corpus figures the table needs."""

    def __init__(self, tokenize: Tokenize) -> None:
        self.tokenize_fn = tokenize
        self.seconds = 0.0  # spent tokenizing the corpus
        self.doc_lengths: list[int] = []

    def tokenize(self, text: str, *, bridge: bool = False) -> list[str]:
        return self.tokenize_fn(text)

    def tokenize_many(self, texts: Sequence[str]) -> list[list[str]]:
        started = time.perf_counter()
        out = [self.tokenize_fn(t) for t in texts]
        self.seconds += time.perf_counter() - started
        self.doc_lengths = [len(d) for d in out]
        return out


def evaluate_variant(name: str, factory: Callable[[], Tokenize], docs: list[str],
                     questions: list[tuple[str, str, str]]) -> tuple[dict[str, Any], dict[str, dict[str, float]]]:
    started = time.perf_counter()
    tokenize = factory()
    tokenize("ウォームアップ用の文です。Warm-up only.")  # first-call costs belong to loading, not to the corpus
    load_s = time.perf_counter() - started
    timed = Timed(tokenize)
    started = time.perf_counter()
    doc_ids = [f"p{i}" for i in range(len(docs))]
    index = LexicalIndex(timed, doc_ids, docs)  # the product's BM25 (bm25s, k1=1.2, b=0.75)
    build_s = time.perf_counter() - started
    run: dict[str, dict[str, float]] = {}
    times: list[float] = []
    q_tokens = no_known = 0
    for qid, question, _gold in questions:
        started = time.perf_counter()
        tokens = tokenize(question)
        scores = index.scores(tokens)
        top = np.argpartition(-scores, min(TOP_K, len(scores) - 1))[:TOP_K]
        times.append(time.perf_counter() - started)
        run[qid] = {doc_ids[i]: float(scores[i]) for i in top if scores[i] > 0}
        q_tokens += len(tokens)
        no_known += not any(t in index.vocabulary for t in tokens)
    qrels = {qid: {gold: 1} for qid, _q, gold in questions}
    per_query = per_query_scores(qrels, run, METRICS)
    figures: dict[str, Any] = {
        "metrics": {m: float(np.mean(list(v.values()))) for m, v in per_query.items()},
        "ci95": {m: bootstrap_ci(list(v.values())) for m, v in per_query.items()},
        "vocabulary": len(index.vocabulary),
        "mean_doc_tokens": float(np.mean(timed.doc_lengths)),
        "mean_query_tokens": q_tokens / max(len(questions), 1),
        "queries_without_known_token": no_known,
        "load_s": load_s, "corpus_tokenize_s": timed.seconds, "index_build_s": build_s,
        "query_ms_mean": 1000 * float(np.mean(times)), "query_ms_p95": 1000 * float(np.percentile(times, 95)),
    }
    log.info("%s: ndcg@10 %.4f, build %.1f s, %.2f ms/query", name, figures["metrics"]["ndcg@10"],
             build_s, figures["query_ms_mean"])
    return figures, per_query


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def table(results: dict[str, dict[str, Any]]) -> str:
    head = ("| variant | nDCG@10 | MRR@10 | R@1 | R@10 | ΔnDCG@10 vs sudachi-A (p) | vocab | "
            "tokens/doc | build s | ms/query |")
    lines = [head, "|---|" + "---:|" * 9]
    for name, r in results.items():
        m, d = r["metrics"], r.get("vs_baseline", {}).get("ndcg@10")
        delta = "–" if d is None or name == BASELINE else f"{d['delta']:+.4f} ({d['p_value']:.2g})"
        lines.append(f"| {name} | {m['ndcg@10']:.4f} | {m['mrr@10']:.4f} | {m['recall@1']:.4f} | "
                     f"{m['recall@10']:.4f} | {delta} | {r['vocabulary']:,} | {r['mean_doc_tokens']:.0f} | "
                     f"{r['index_build_s']:.2f} | {r['query_ms_mean']:.2f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jsquad", type=Path, default=Path("../shared/datasets/jsquad-valid-v1.1.json"))
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--variants", nargs="*", default=None, help="subset of variant names")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    docs, questions = load_jsquad(args.jsquad, args.limit)
    log.info("%d paragraphs, %d questions", len(docs), len(questions))
    variants = make_variants()
    chosen = args.variants or list(variants)
    unknown = [v for v in chosen if v not in variants]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; choose from {list(variants)}")
    importlib.import_module("bm25s")  # so that the first variant's build time carries no import
    results: dict[str, dict[str, Any]] = {}
    per_query: dict[str, dict[str, dict[str, float]]] = {}
    for name in chosen:
        results[name], per_query[name] = evaluate_variant(name, variants[name], docs, questions)
    if BASELINE in per_query:
        for name in results:
            results[name]["vs_baseline"] = {
                m: paired_test(per_query[BASELINE][m], per_query[name][m]) for m in METRICS}

    out = {
        "dataset": {"path": str(args.jsquad), "paragraphs": len(docs), "questions": len(questions)},
        "bm25": {"library": "bm25s", "k1": 1.2, "b": 0.75, "top_k": TOP_K},
        "baseline": BASELINE,
        "significance": "two-sided paired t-test over per-question scores (eval.metrics.paired_test)",
        "versions": {p: _version(p) for p in ("sudachipy", "sudachidict-core", "fugashi", "unidic-lite",
                                              "bm25s", "ranx")},
        "python": sys.version.split()[0],
        "command": "OMP_NUM_THREADS=1 python -m eval.compare_tokenizers " + " ".join(sys.argv[1:]),
        "variants": results,
    }
    sys.stdout.write(table(results) + "\n")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        log.info("wrote %s", args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
