"""Tune and measure retrieval on the seed questions (and JSQuAD), and write rag/retrieve/calibration.json.

Tuning uses ONLY split == "dev"; the test split is reported, never tuned on.

    .venv/bin/python tools/tune_retrieval.py               # measure the current calibration (dev + test)
    .venv/bin/python tools/tune_retrieval.py --tune --write   # grid-search on dev, fit confidence, save
    .venv/bin/python tools/tune_retrieval.py --jsquad 1000  # also nDCG@10 on 1,000 JSQuAD questions
    .venv/bin/python tools/tune_retrieval.py --latency      # median search latency per mode

The seed index is built in a temporary directory with `RagService(...).ingest([seed])`.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import logging
import math
import statistics
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tune_data import (  # noqa: E402
    CachedEmbedder,
    Item,
    build_service,
    load_seed_items,
    make_retriever,
    open_jsquad,
    prepare,
)

from rag.retrieve.confidence import CALIBRATION_PATH, Calibration, load_calibration  # noqa: E402
from rag.retrieve.fusion import FusionParams  # noqa: E402
from rag.retrieve.pipeline import Retriever  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.types import Hit  # noqa: E402

log = logging.getLogger("tune")
MODEL_FEATURES = ("dense", "lex_cov", "is_en", "is_top", "topic_hit")
MODEL_FREE_FEATURES = ("lex_cov", "corpus_cov", "is_en", "is_top", "topic_hit")
CONFIG_MODES = {"dense": ("dense", False), "lexical": ("lexical", False), "hybrid": ("hybrid", False),
                "default": ("hybrid", True)}


# --- metrics ----------------------------------------------------------------------------------
def ranking_metrics(ranked: Sequence[str], gold: dict[str, int]) -> dict[str, float]:
    rel = [gold.get(r, 0) for r in ranked]
    first = next((i for i, g in enumerate(rel[:10]) if g > 0), None)
    dcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(rel[:10]))
    ideal = sorted(gold.values(), reverse=True)[:10]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return {
        "hit@1": 1.0 if rel and rel[0] > 0 else 0.0,
        "mrr@10": 0.0 if first is None else 1.0 / (first + 1),
        "recall@5": sum(1 for g in rel[:5] if g > 0) / len(gold),
        "ndcg@10": dcg / idcg if idcg else 0.0,
    }


def mean(values: Iterable[float]) -> float:
    vals = list(values)
    return sum(vals) / len(vals) if vals else float("nan")


def evaluate(retriever: Retriever, items: Sequence[Item], mode: str, rerank: bool, use_mmr: bool,
             cal: Calibration) -> dict[str, Any]:
    """Per-language ranking metrics and abstention precision/recall for one configuration."""
    per_lang: dict[str, list[dict[str, float]]] = {}
    abst = {"tp": 0, "fp": 0, "fn": 0}
    for it in items:
        if it.kind == "metadata" or it.query is None or it.cands is None:
            continue
        hits, answerable = retriever.rank(it.query, it.cands, k=10, mode=mode, rerank=rerank, use_mmr=use_mmr,
                                          timings={}, calibration=cal)
        if it.kind == "answerable":
            per_lang.setdefault(it.lang, []).append(ranking_metrics([h.remark_id for h in hits], it.gold))
        predicted_unans = not answerable
        actual_unans = it.kind == "unanswerable"
        if predicted_unans and actual_unans:
            abst["tp"] += 1
        elif predicted_unans:
            abst["fp"] += 1
        elif actual_unans:
            abst["fn"] += 1
    out: dict[str, Any] = {}
    for lang, rows in sorted(per_lang.items()):
        out[lang] = {m: round(mean(r[m] for r in rows), 4) for m in rows[0]} | {"n": len(rows)}
    tp, fp, fn = abst["tp"], abst["fp"], abst["fn"]
    out["abstain"] = {"precision": round(tp / (tp + fp), 4) if tp + fp else float("nan"),
                      "recall": round(tp / (tp + fn), 4) if tp + fn else float("nan"), "tp": tp, "fp": fp, "fn": fn}
    return out


def objective(metrics: dict[str, Any]) -> float:
    """Worst language's mean of hit@1, MRR@10 and recall@5 (both languages must be good), plus a
    tenth of the languages' mean; on one language's questions, that language's mean × 1.1."""
    scores = [(m["hit@1"] + m["mrr@10"] + m["recall@5"]) / 3 for lang, m in metrics.items() if lang in ("ja", "en")]
    return min(scores) + 0.1 * mean(scores)


# --- tuning -----------------------------------------------------------------------------------
JsquadDev = tuple[Retriever, Sequence[Item]]


def _best(retriever: Retriever, dev: Sequence[Item], cals: Iterable[Calibration],
          jsq: JsquadDev | None = None) -> tuple[float, Calibration]:
    """Best calibration by the seed dev objective (+ JSQuAD dev nDCG@10 when given); ties → earlier."""
    best: tuple[float, Calibration] | None = None
    jsq_cache: dict[tuple[str, float, float, float], float] = {}
    for cal in cals:
        score = objective(evaluate(retriever, dev, "hybrid", True, True, cal))
        if jsq is not None:
            key = (cal.fusion.norm, cal.sentence_mix, cal.fusion.w_lex_ja, cal.fusion.lex_gate)
            if key not in jsq_cache:
                jsq_cache[key] = ranked_metrics(jsq[0], jsq[1], "hybrid", True, cal)["ndcg@10"]
            score += jsq_cache[key]
        if best is None or score > best[0] + 1e-9:
            best = (score, cal)
    if best is None:
        raise ValueError("empty grid")
    return best


def ranked_metrics(retriever: Retriever, items: Sequence[Item], mode: str, flags: bool,
                   cal: Calibration | None = None) -> dict[str, float]:
    """Mean ranking metrics over answerable items (no language split)."""
    rows = []
    for it in items:
        if it.kind != "answerable" or it.query is None or it.cands is None:
            continue
        hits, _ = retriever.rank(it.query, it.cands, k=10, mode=mode, rerank=flags, use_mmr=flags, timings={},
                                 calibration=cal)
        rows.append(ranking_metrics([h.remark_id for h in hits], it.gold))
    return {m: round(mean(r[m] for r in rows), 4) for m in rows[0]} | {"n": len(rows)}


def tune_fusion(retriever: Retriever, dev: Sequence[Item], base: Calibration, jsq: JsquadDev | None = None) -> Calibration:
    """Coordinate search on dev, MMR off: each language's (norm, lexical weight, sentence mix; the
    lexical gate for Japanese, the margin lift for English) on that language's questions alone (English ones are cross-lingual and
    behave differently), then the topic bonus and λ on all of dev."""
    # Start from the built-in fusion defaults, not from whatever calibration.json holds, so that a re-run
    # gives the same answer (the coordinate search depends on its starting point).
    base = dataclasses.replace(base, mmr_lambda=1.0, fusion=FusionParams(), sentence_mix_en=None)
    ja_dev = [it for it in dev if it.lang == "ja"]
    en_dev = [it for it in dev if it.lang == "en"]
    norms, mixes = ("minmax", "max", "zscore"), (1.0, 0.7, 0.5)
    ja_grid = (
        dataclasses.replace(base, sentence_mix=mix,
                            fusion=dataclasses.replace(base.fusion, norm=norm, w_lex_ja=w, lex_gate=gate))
        for norm, mix, w, gate in itertools.product(
            ("minmax", "max"), mixes, (0.0, 0.2, 0.3, 0.5, 0.7, 1.0), (0.0, 1.0, 2.0, 4.0))
    )
    score, best = _best(retriever, ja_dev, ja_grid, jsq)
    log.info("stage 1 ja: %.4f", score)
    en_grid = (
        dataclasses.replace(best, sentence_mix_en=mix,
                            fusion=dataclasses.replace(best.fusion, norm_en=norm, w_lex_en=w, lex_margin=lift))
        for norm, mix, w, lift in itertools.product(norms, mixes, (0.0, 0.1, 0.2, 0.3, 0.5, 1.0), (0.0, 1.0, 2.0, 4.0))
    )
    score, best = _best(retriever, en_dev, en_grid)
    log.info("stage 1 en: %.4f", score)
    stage2 = (dataclasses.replace(best, fusion=dataclasses.replace(best.fusion, topic_bonus=tb))
              for tb in (0.0, 0.1, 0.2, 0.3, 0.5))
    score, best = _best(retriever, dev, stage2)
    stage3 = (dataclasses.replace(best, mmr_lambda=lam) for lam in (1.0, 0.95, 0.9, 0.8, 0.7))
    score, best = _best(retriever, dev, stage3)
    log.info("best dev objective %.4f with %s", score, best.to_dict())
    return best


def fit_confidence(retriever: Retriever, dev: Sequence[Item], cal: Calibration, features: Sequence[str]) -> Calibration:
    """Logistic P(hit relevant) on the top-10 hits of dev questions; threshold for abstention on dev."""
    from sklearn.linear_model import LogisticRegression

    rows: list[list[float]] = []
    labels: list[int] = []
    tops: list[tuple[str, dict[str, float], bool]] = []
    for it in dev:
        if it.kind == "metadata" or it.query is None or it.cands is None:
            continue
        hits, _ = retriever.rank(it.query, it.cands, k=10, mode="hybrid", rerank=True, use_mmr=True, timings={},
                                 calibration=cal)
        feats = hit_features(retriever, it, hits, cal)
        for h, f in zip(hits, feats, strict=True):
            rows.append([f[n] for n in features])
            labels.append(1 if it.gold.get(h.remark_id, 0) > 0 else 0)
        if feats:
            tops.append((it.lang, feats[0], it.kind == "answerable"))
    x = np.array(rows)
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd[sd < 1e-9] = 1.0
    model = LogisticRegression(C=0.5, max_iter=1000).fit((x - mu) / sd, np.array(labels))
    # fold the standardization into the stored weights: w·(x − μ)/σ + b = (w/σ)·x + (b − Σ wμ/σ)
    weights = model.coef_[0] / sd
    bias = float(model.intercept_[0] - float(np.sum(model.coef_[0] * mu / sd)))
    fitted = dataclasses.replace(cal, features=tuple(features), weights=tuple(float(w) for w in weights), bias=bias)
    th = {lang: choose_threshold([(fitted.confidence(f), ok) for lg, f, ok in tops if lg == lang])
          for lang in ("ja", "en")}
    log.info("confidence weights %s bias %.3f thresholds %s", fitted.weights, fitted.bias, th)
    return dataclasses.replace(fitted, threshold=round(th["ja"], 4), threshold_en=round(th["en"], 4))


def choose_threshold(tops: Sequence[tuple[float, bool]], min_precision: float = 0.9) -> float:
    """Abstain below the threshold: the one catching the most unanswerable questions while keeping
    the precision of abstentions ≥ min_precision on dev; ties → the middle of the widest gap."""
    confs = sorted(tops)
    cuts = [0.0] + [(a[0] + b[0]) / 2 for a, b in itertools.pairwise(confs)]
    best: tuple[int, float, float] = (0, 0.0, 0.0)  # (abstentions caught, gap, threshold)
    for th in cuts:
        abstained = [ok for c, ok in confs if c < th]
        caught = sum(1 for ok in abstained if not ok)
        if abstained and caught / len(abstained) < min_precision:
            continue
        gap = min((abs(c - th) for c, _ in confs), default=0.0)
        if (caught, gap) > best[:2]:
            best = (caught, gap, th)
    return best[2]


def hit_features(retriever: Retriever, it: Item, hits: Sequence[Hit], cal: Calibration) -> list[dict[str, float]]:
    assert it.query is not None and it.cands is not None  # noqa: S101
    fused = retriever.fused_scores(it.query, it.cands, "hybrid", cal)
    index = {rid: i for i, rid in enumerate(it.cands.ids)}
    return retriever.features(it.query, it.cands, fused, [index[h.remark_id] for h in hits])


def latency(retriever: Retriever, items: Sequence[Item], repeats: int = 1) -> dict[str, dict[str, float]]:
    """Median end-to-end `Retriever.search` time per configuration (the real embedder, no cache)."""
    embedder = retriever.embedder
    if isinstance(embedder, CachedEmbedder):
        retriever.embedder = embedder.inner
    questions = [it.question for it in items]
    retriever.search(questions[0])  # warm-up
    out = {}
    for name, (mode, flags) in CONFIG_MODES.items():
        totals: list[float] = []
        stages: dict[str, list[float]] = {}
        for _ in range(repeats):
            for q in questions:
                res = retriever.search(q, k=5, mode=mode, rerank=flags, mmr=flags)
                totals.append(res.timings_ms["total"])
                for key, v in res.timings_ms.items():
                    stages.setdefault(key, []).append(v)
        out[name] = {key: round(statistics.median(v), 2) for key, v in stages.items()}
    retriever.embedder = embedder
    return out


# --- main -------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=Settings().model)
    ap.add_argument("--tune", action="store_true", help="grid-search fusion/MMR and fit confidence on dev")
    ap.add_argument("--refit-confidence", action="store_true",
                    help="keep the stored fusion/rerank parameters, refit only the confidence model on dev")
    ap.add_argument("--write", action="store_true", help="save the tuned calibration for --model")
    ap.add_argument("--jsquad", type=int, default=0, metavar="N",
                    help="also use N JSQuAD questions: half to tune the Japanese weights, half reported (0: skip)")
    ap.add_argument("--jsquad-index", type=Path, help="keep the JSQuAD index here between runs (default: temporary)")
    ap.add_argument("--latency", action="store_true")
    ap.add_argument("--json", type=Path, help="write all results here")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("sentence_transformers", "transformers", "httpx", "rag"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    results: dict[str, Any] = {}
    items = load_seed_items()
    dev = [it for it in items if it.split == "dev"]
    test = [it for it in items if it.split == "test"]
    cal = load_calibration(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        jsq: tuple[Retriever, list[Item]] | None = None
        if args.jsquad:
            jsq = open_jsquad(args.model, args.jsquad, args.jsquad_index or Path(tmp) / "jsquad", cal.depth)
        service = build_service(Path(tmp) / "seed", args.model)
        retriever, embedder = make_retriever(service)
        prepare(retriever, embedder, items, cal.depth)
        if args.tune or args.refit_confidence:
            if args.tune:
                jsq_dev = (jsq[0], [it for it in jsq[1] if it.split == "dev"]) if jsq else None
                cal = tune_fusion(retriever, dev, cal, jsq_dev)
            default = fit_confidence(retriever, dev, cal, MODEL_FREE_FEATURES)
            cal = fit_confidence(retriever, dev, cal, MODEL_FEATURES)
            results["calibration"] = cal.to_dict()
            results["default_calibration"] = default.to_dict()
        retriever.calibration = cal
        for split, subset in (("dev", dev), ("test", test)):
            for name, (mode, flags) in CONFIG_MODES.items():
                res = evaluate(retriever, subset, mode, flags, flags, cal)
                results.setdefault(split, {})[name] = res
                log.info("%-4s %-8s %s", split, name, json.dumps(res, ensure_ascii=False))
        if jsq is not None:
            jsq[0].calibration = cal
            for split in ("dev", "test"):
                subset = [it for it in jsq[1] if it.split == split]
                for name, (mode, flags) in CONFIG_MODES.items():
                    res = ranked_metrics(jsq[0], subset, mode, flags)
                    results.setdefault("jsquad", {}).setdefault(split, {})[name] = res
                    log.info("jsquad %-4s %-8s %s", split, name, json.dumps(res))
        if args.latency:
            results["latency_ms"] = latency(retriever, items)
            log.info("latency %s", json.dumps(results["latency_ms"]))
    if args.write:
        write_calibration(args.model, cal, default if args.tune or args.refit_confidence else None)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def write_calibration(model: str, cal: Calibration, default: Calibration | None, path: Path = CALIBRATION_PATH) -> None:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data["note"] = ("Written by tools/tune_retrieval.py --tune --write from the seed dev questions (and JSQuAD dev). "
                    "'default' serves models without an entry: its confidence uses no cosine-scale feature.")
    data.setdefault("models", {})[model] = cal.to_dict()
    if default is not None:
        data["default"] = default.to_dict()
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    log.info("wrote %s [%s]", path, model)


if __name__ == "__main__":
    raise SystemExit(main())
