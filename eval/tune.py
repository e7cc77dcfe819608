"""Fit the retrieval parameters and the confidence model on the dev splits, and write calibration.json.

    python -m eval.tune                                  # all collections, writes rag/retrieve/calibration.json
    python -m eval.tune --collections seed,samples --out /tmp/cal.json --report /tmp/tune.json

Protocol (the file records the command, the grids and the data fingerprints; a rerun gives the same bytes):
1. Every collection is indexed with the model and each question's candidates are gathered once (tune_data.py).
   With `--pool`, each collection is also seen pooled (eval/pool.py): its questions with gold, their candidates
   gathered from one index of every collection's minutes, JSQuAD's paragraphs and NTREX's Japanese sentences
   (3,384 remarks), as a user's index holds many meetings at once. A pooled collection ``pooled-NAME`` is a
   group of its own in the objective and is held out with NAME in step 3. Measured and not adopted (README):
   held-out MRR@10 rose by 0.004, within noise, while abstention lost (the fit drops the Japanese lexical gate).
2. Parameters are fitted by coordinate descent over `GRID` on dev questions only, starting from plain dense
   retrieval; the objective is the mean MRR@10 (eval.metrics, ranx) over (collection, language) groups, and a
   value replaces the current one only when it gains more than `MIN_GAIN`. An optimum on a grid edge that is
   not the stage's "off" value extends the grid by one step, until it lies inside. The pairs in `JOINT` are
   also searched on the product of their grids after each pass of line searches.
3. Leave one collection out: the fit on the others' dev questions is scored on the held-out collection. A stage
   (lexical leg, English margin lift, sentence rerank, bonuses) stays only when switching it off loses MRR@10 on the held-out
   collections' dev questions, pooled, in a paired t-test (p < `ALPHA`); otherwise it is fixed off and refitted.
4. The confidence model (calibrate.py) is fitted on the top hits of the dev questions of the collections alone
   (pooled, an off-topic question may find its answer in another collection) under the final parameters. Its
   features are chosen the way stages are: backward elimination by the leave-one-collection-out log-loss of
   those dev rows, a feature dropped while that loss falls by more than `MIN_LOG_LOSS_GAIN` without it. Its
   threshold abstains on the most unanswerable dev questions that withholds ≤ 2 % of the right answers.
The report (`--report`) adds the test-split figures: default vs dense-only per collection and language, each
stage's paired test, ECE with reliability bins, and abstention per language; none of them feeds back.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.calibrate import (
    MIN_LOG_LOSS_GAIN,
    MODEL_FEATURES,
    MODEL_FREE_FEATURES,
    choose_features,
    choose_threshold,
    fit_logistic,
)
from eval.metrics import paired_test, per_query_scores
from eval.pool import pooled_collections
from eval.tune_data import Collection, Item, load_collection
from rag.retrieve.confidence import CALIBRATION_PATH, Calibration, ConfidenceModel
from rag.retrieve.params import RetrievalParams
from rag.retrieve.ranking import Ranking, rank_candidates

logger = logging.getLogger("eval.tune")

COLLECTIONS = ("seed", "samples", "env-real", "council", "jsquad")
GRID: dict[str, list[Any]] = {
    "norm": ["minmax", "max"],
    "w_lex_ja": [0.0, 0.1, 0.2, 0.3, 0.5, 0.8],
    "lex_gate": [0.0, 0.5, 1.0, 2.0, 3.0],
    "w_lex_en": [0.0, 0.1, 0.2, 0.3, 0.5],
    "lex_margin": [0.0, 1.0, 2.0, 4.0],
    "sentence_mix": [0.2, 0.35, 0.5, 0.65, 0.8, 1.0],
    "rerank_depth": [5, 10, 20],
    "topic_bonus": [0.0, 0.02, 0.05, 0.1, 0.2],
    "date_bonus": [0.0, 0.02, 0.05, 0.1],
}
# the edge values that are a natural limit (the stage off, or the end of the parameter's range)
NATURAL_EDGES: dict[str, set[Any]] = {
    "w_lex_ja": {0.0}, "lex_gate": {0.0}, "w_lex_en": {0.0}, "lex_margin": {0.0}, "sentence_mix": {0.0, 1.0},
    "topic_bonus": {0.0}, "date_bonus": {0.0}, "norm": {"minmax", "max"}, "rerank_depth": set(),
}
STAGES: dict[str, dict[str, Any]] = {
    "lexical leg": {"w_lex_ja": 0.0, "w_lex_en": 0.0},
    "English margin lift": {"lex_margin": 0.0},
    "sentence rerank": {"sentence_mix": 1.0},
    "topic bonus": {"topic_bonus": 0.0},
    "date bonus": {"date_bonus": 0.0},
}
# parameters that act together (the Japanese lexical weight and its gate): searched on their product grid as
# well, since one at a time the descent stops where neither alone gains
JOINT: tuple[tuple[str, str], ...] = (("w_lex_ja", "lex_gate"),)
MIN_GAIN = 0.001
ALPHA = 0.05
PASSES = 3
K = 10


class Tuner:
    def __init__(self, collections: Sequence[Collection]) -> None:
        self.collections = {c.name: c for c in collections}

    # --- scoring ---------------------------------------------------------------------------------
    def ranking(self, it: Item, params: RetrievalParams, mode: str = "hybrid") -> Ranking:
        """The served ranking: `mode` "dense" is the dense-only baseline (no rerank, no bonuses)."""
        retriever = self.collections[it.collection].retriever
        if mode == "dense":
            params = RetrievalParams(depth=params.depth)
        return rank_candidates(
            it.query, it.cands, k=K, mode=mode, rerank=mode == "hybrid", params=params,
            sentences=retriever.sentence_scorer,
            grams=lambda i: retriever._grams_of(it.cands.remarks[it.cands.ids[i]]),
        )

    def scores(self, items: Sequence[Item], params: RetrievalParams, mode: str = "hybrid",
               metrics: Sequence[str] = ("mrr@10", "hit@1")) -> dict[str, dict[str, float]]:
        """{metric: {qid: value}} over the answerable items (qids prefixed by collection, so they never
        collide); each item is ranked once for all `metrics` (give two or more: ranx 0.3 mislabels the
        result of a lone metric with a cutoff)."""
        run: dict[str, dict[str, float]] = {}
        qrels: dict[str, dict[str, int]] = {}
        for it in items:
            if not it.answerable:
                continue
            coll = self.collections[it.collection]
            key = f"{it.collection}/{it.qid}"
            r = self.ranking(it, params, mode)
            docs: dict[str, float] = {}
            for pos, i in enumerate(r.picked):
                docs.setdefault(coll.doc_id(it.cands.ids[i]), float(K - pos))
            run[key] = docs
            qrels[key] = it.gold
        if not qrels:
            return {m: {} for m in metrics}
        return per_query_scores(qrels, run, list(metrics))

    def per_query(self, items: Sequence[Item], params: RetrievalParams, mode: str = "hybrid") -> dict[str, float]:
        """{qid: MRR@10} over the answerable items."""
        return self.scores(items, params, mode)["mrr@10"]

    def objective(self, items: Sequence[Item], params: RetrievalParams) -> float:
        scores = self.per_query(items, params)
        groups: dict[tuple[str, str], list[float]] = {}
        for it in items:
            key = f"{it.collection}/{it.qid}"
            if key in scores:
                groups.setdefault((it.collection, it.lang), []).append(scores[key])
        return sum(sum(v) / len(v) for v in groups.values()) / len(groups) if groups else 0.0

    # --- fitting ---------------------------------------------------------------------------------
    def fit(self, items: Sequence[Item], fixed: dict[str, Any] | None = None) -> tuple[RetrievalParams, dict[str, list[Any]]]:
        """Coordinate descent from dense-only; returns the parameters and the (possibly extended) grids."""
        fixed = fixed or {}
        grids = {k: list(v) for k, v in GRID.items()}
        cur = dataclasses.replace(RetrievalParams(), **fixed)
        best = self.objective(items, cur)
        for _ in range(PASSES):
            changed = False
            for name, grid in grids.items():
                if name in fixed:
                    continue
                value, score = self._line(items, cur, name, grid, best)
                if value != getattr(cur, name):
                    cur, best, changed = dataclasses.replace(cur, **{name: value}), score, True
            for a, b in JOINT:
                if a in fixed or b in fixed:
                    continue
                pair, score = self._plane(items, cur, a, grids[a], b, grids[b], best)
                if pair != (getattr(cur, a), getattr(cur, b)):
                    cur, best, changed = dataclasses.replace(cur, **{a: pair[0], b: pair[1]}), score, True
            if not changed:
                break
        return cur, grids

    def _line(self, items: Sequence[Item], cur: RetrievalParams, name: str, grid: list[Any],
              best: float) -> tuple[Any, float]:
        value = getattr(cur, name)
        tried: dict[Any, float] = {value: best}
        while True:
            for v in grid:
                if v not in tried:
                    tried[v] = self.objective(items, dataclasses.replace(cur, **{name: v}))
            for v in grid:
                if tried[v] > tried[value] + MIN_GAIN:
                    value = v
            edge = _extension(name, grid, value)
            if edge is None:
                return value, tried[value]
            grid.append(edge) if grid[-1] == value else grid.insert(0, edge)

    def _plane(self, items: Sequence[Item], cur: RetrievalParams, a: str, grid_a: list[Any], b: str,
               grid_b: list[Any], best: float) -> tuple[tuple[Any, Any], float]:
        """The best (a, b) on the product of their grids (a point replaces the current one only when it gains
        more than MIN_GAIN); an edge optimum is extended by the next pass's line searches."""
        pair = (getattr(cur, a), getattr(cur, b))
        top = best
        for va in grid_a:
            for vb in grid_b:
                if (va, vb) == (getattr(cur, a), getattr(cur, b)):
                    continue
                score = self.objective(items, dataclasses.replace(cur, **{a: va, b: vb}))
                if score > top + MIN_GAIN:
                    pair, top = (va, vb), score
        return pair, top

    def origins(self) -> list[str]:
        """The collections the questions were written for, in order (a pooled collection is a view of one)."""
        return list(dict.fromkeys(c.origin for c in self.collections.values()))

    def alone(self) -> list[Collection]:
        """The collections indexed alone (not pooled views): the only ones where an unanswerable question is known
        to be unanswerable, so the confidence model is fitted and scored on these."""
        return [c for c in self.collections.values() if c.source is None]

    def loco(self, fixed: dict[str, Any]) -> dict[str, RetrievalParams]:
        """Per collection: the parameters fitted on the other collections' dev questions (alone and pooled)."""
        out = {}
        for name in self.origins():
            others = [it for coll in self.collections.values() if coll.origin != name for it in coll.items
                      if it.split == "dev"]
            out[name], _ = self.fit(others, fixed)
            logger.info("LOCO without %s: %s", name, out[name])
        return out


def _extension(name: str, grid: list[Any], value: Any) -> Any | None:
    """The next grid value beyond an edge optimum that is not a natural limit (None: the optimum is inside)."""
    if isinstance(value, str) or value in NATURAL_EDGES.get(name, set()) or len(grid) < 2:
        return None
    if value == grid[-1]:
        step = grid[-1] - grid[-2]
        nxt = grid[-1] + step if name != "rerank_depth" else grid[-1] * 2
        return round(min(nxt, 1.0), 4) if name == "sentence_mix" else (int(nxt) if isinstance(value, int) else round(nxt, 4))
    if value == grid[0]:
        step = grid[1] - grid[0]
        nxt = grid[0] - step if name != "rerank_depth" else max(1, grid[0] // 2)
        if isinstance(value, int):
            return int(nxt) if nxt >= 1 and nxt != grid[0] else None
        return round(max(nxt, 0.0), 4)
    return None


def _dev(tuner: Tuner, split: str = "dev", origins: Sequence[str] | None = None) -> list[Item]:
    """The `split` questions of the collections written for `origins` (default all), alone and pooled."""
    names = set(origins or tuner.origins())
    return [it for c in tuner.collections.values() if c.origin in names for it in c.items if it.split == split]


def choose_stages(tuner: Tuner) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, RetrievalParams]]:
    """Stages whose removal does not lose on held-out collections (LOCO, dev questions) are fixed off."""
    fixed: dict[str, Any] = {}
    decisions: dict[str, dict[str, Any]] = {}
    loco = tuner.loco(fixed)
    for stage, off in STAGES.items():
        full: dict[str, float] = {}
        ablated: dict[str, float] = {}
        for name, params in loco.items():
            held = _dev(tuner, "dev", [name])
            full |= tuner.per_query(held, params)
            ablated |= tuner.per_query(held, dataclasses.replace(params, **off))
        test = paired_test(ablated, full)
        kept = bool((test["delta"] or 0.0) > 0 and test["p_value"] is not None and test["p_value"] < ALPHA)
        decisions[stage] = {"kept": kept, "delta_mrr@10": _r(test["delta"]), "p_value": _r(test["p_value"]),
                            "n": test["n"]}
        if not kept:
            fixed |= off
        logger.info("stage %s: %s", stage, decisions[stage])
    return fixed, decisions, loco


def top_rows(tuner: Tuner, items: Sequence[Item], params: RetrievalParams, mode: str = "hybrid") -> list[tuple[Item, dict[str, float], bool]]:
    rows = []
    for it in items:
        r = tuner.ranking(it, params, mode)
        if not r.picked:
            continue
        doc = tuner.collections[it.collection].doc_id(it.cands.ids[r.picked[0]])
        rows.append((it, r.features[0], it.gold.get(doc, 0) > 0))
    return rows


def fit_confidence(rows: Sequence[tuple[Item, dict[str, float], bool]], features: Sequence[str]) -> ConfidenceModel:
    model = fit_logistic([f for _, f, _ in rows], [int(ok) for _, _, ok in rows], features)
    probs = [model.probability(f) for _, f, _ in rows]
    threshold = choose_threshold(probs, [it.answerable for it, _, _ in rows], [ok for _, _, ok in rows])
    return dataclasses.replace(model, threshold=threshold)


def _r(x: float | int | None) -> float | None:
    return None if x is None else round(float(x), 4)


def tune(collections: Sequence[Collection]) -> tuple[Calibration, Calibration, dict[str, Any], dict[str, RetrievalParams]]:
    """(calibration, model-free calibration, what calibration.json records, the LOCO fits)."""
    tuner = Tuner(collections)
    fixed, stages, loco = choose_stages(tuner)
    params, grids = tuner.fit(_dev(tuner), fixed)
    dev_rows = top_rows(tuner, [it for c in tuner.alone() for it in c.items if it.split == "dev"], params)
    values, labels, groups = [f for _, f, _ in dev_rows], [int(ok) for _, _, ok in dev_rows], [it.collection for it, _, _ in dev_rows]
    features, steps = choose_features(values, labels, groups, MODEL_FEATURES)
    free_features, free_steps = choose_features(values, labels, groups, MODEL_FREE_FEATURES)
    model = fit_confidence(dev_rows, features)
    model_free = fit_confidence(dev_rows, free_features)
    chosen = {
        name: {"value": getattr(params, name), "grid": grids[name],
               "where": "fixed off (stage removed)" if name in fixed else
               ("inside" if grids[name][0] != getattr(params, name) != grids[name][-1] else "natural limit")}
        for name in GRID
    }
    meta = {"grid": {k: list(v) for k, v in GRID.items()}, "joint": [list(p) for p in JOINT], "chosen": chosen,
            "stages": stages,
            "features": {"model": {"candidates": list(MODEL_FEATURES), "kept": list(features), "steps": steps},
                         "default": {"candidates": list(MODEL_FREE_FEATURES), "kept": list(free_features),
                                     "steps": free_steps},
                         "min_log_loss_gain": MIN_LOG_LOSS_GAIN},
            "min_gain": MIN_GAIN, "alpha": ALPHA}
    return Calibration(params, model), Calibration(params, model_free), meta, loco


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--collections", default=",".join(COLLECTIONS))
    ap.add_argument("--model", default="bundled:multilingual-e5-small")
    ap.add_argument("--jsquad-questions", type=int, default=600)
    ap.add_argument("--work", type=Path, default=Path.home() / ".cache" / "minutes-rag" / "tune",
                    help="where the collections' indexes are kept between runs")
    ap.add_argument("--out", type=Path, default=CALIBRATION_PATH)
    ap.add_argument("--report", type=Path, default=None, help="also write the held-out report (JSON + .md)")
    ap.add_argument("--pool", action="store_true",
                    help="fit on each collection's questions over the pooled index too (eval/pool.py; measured, not "
                         "adopted: README, Evaluation)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("sentence_transformers", "transformers", "httpx", "rag", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    names = [n.strip() for n in args.collections.split(",") if n.strip()]
    collections = [load_collection(n, args.model, args.work, jsquad_limit=args.jsquad_questions) for n in names]
    if args.pool:
        collections += pooled_collections(names, args.model, args.work, jsquad_limit=args.jsquad_questions)
    cal, default, meta, loco = tune(collections)
    emb = collections[0].retriever.embedder
    # the arguments that decide the content (--work, --out and --report only say where things go)
    command = f"python -m eval.tune --collections {','.join(names)} --model {args.model} --jsquad-questions {args.jsquad_questions}" + (
        " --pool" if args.pool else "")
    data = {
        "note": "Written by `python -m eval.tune` (see its docstring): fitted on the dev splits only. 'default' "
                "serves models without an entry and lexical-only searches: its confidence uses no cosine feature.",
        "command": command,
        "model": {"id": args.model, "fingerprint": getattr(emb, "fingerprint", "")},
        "collections": {c.name: {"fingerprint": c.fingerprint,
                                 "dev_questions": sum(1 for it in c.items if it.split == "dev")} for c in collections},
        **meta,
        "models": {args.model: cal.to_dict()},
        "default": default.to_dict(),
    }
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    logger.info("wrote %s", args.out)
    if args.report:
        from eval.tune_report import held_out_report, write_report

        write_report(held_out_report(Tuner(collections), cal, default, loco, data), args.report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
