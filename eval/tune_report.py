"""The held-out report of `python -m eval.tune --report PATH`: test-split figures that never feed back into the fit.

Per collection and language, alone and over the pooled index (``pooled-NAME``; "all" counts the collections
alone): the tuned default against dense-only (MRR@10, hit@1, nDCG@10), with the paired
t-test; each stage switched off against the default; the leave-one-collection-out fits scored on the held-out
collection's test questions; the confidence model's ECE with reliability bins; abstention per language; and the
confidence model refitted without each collection (on the others' dev questions, with that collection's LOCO
retrieval fit), scored on the held-out collection's test questions.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.calibrate import reliability
from eval.metrics import bootstrap_ci, paired_test
from eval.tune import STAGES, Tuner, fit_confidence, top_rows
from eval.tune_data import Item
from rag.retrieve.confidence import Calibration, ConfidenceModel
from rag.retrieve.params import RetrievalParams


def _mean(values: Mapping[str, float]) -> float | None:
    return round(sum(values.values()) / len(values), 4) if values else None


def _compare(tuner: Tuner, items: Sequence[Item], a: tuple[RetrievalParams, str], b: tuple[RetrievalParams, str]) -> dict[str, Any]:
    metrics = ("mrr@10", "hit@1", "ndcg@10")
    sa = tuner.scores(items, a[0], a[1], metrics)
    sb = tuner.scores(items, b[0], b[1], metrics)
    out: dict[str, Any] = {m: {"a": _mean(sa[m]), "b": _mean(sb[m])} for m in metrics}
    xa, xb = sa["mrr@10"], sb["mrr@10"]
    t = paired_test(xa, xb)
    keys = sorted(set(xa) & set(xb))
    ci = bootstrap_ci([xb[k] - xa[k] for k in keys]) if keys else None
    out["paired_mrr@10"] = {"n": t["n"], "delta": _r(t["delta"]), "p_value": _r(t["p_value"]),
                            "ci95": [round(ci[0], 4), round(ci[1], 4)] if ci else None}
    return out


def _r(x: float | int | None) -> float | None:
    return None if x is None else round(float(x), 4)


def _groups(tuner: Tuner, split: str) -> dict[str, list[Item]]:
    groups: dict[str, list[Item]] = {}
    for name, coll in tuner.collections.items():
        total = "all" if coll.source is None else "pooled"  # "all": the collections alone, each question once
        for it in coll.items:
            if it.split == split:
                groups.setdefault(f"{name}/{it.lang}", []).append(it)
                groups.setdefault(f"{total}/{it.lang}", []).append(it)
                groups.setdefault(total, []).append(it)
    return dict(sorted(groups.items()))


def held_out_report(tuner: Tuner, cal: Calibration, default: Calibration,
                    loco: Mapping[str, RetrievalParams], calibration_file: Mapping[str, Any]) -> dict[str, Any]:
    params = cal.retrieval
    groups = _groups(tuner, "test")
    report: dict[str, Any] = {"calibration": {k: calibration_file[k] for k in ("command", "collections", "chosen", "stages",
                                                                        "features") if k in calibration_file},
                              "default_vs_dense": {}, "stages_off": {}, "loco": {}, "confidence": {}, "abstention": {},
                              "confidence_loco": {}}
    for key, items in groups.items():
        report["default_vs_dense"][key] = _compare(tuner, items, (params, "dense"), (params, "hybrid"))
    for stage, off in STAGES.items():
        items = groups["all"]
        report["stages_off"][stage] = _compare(tuner, items, (dataclasses.replace(params, **off), "hybrid"), (params, "hybrid"))
    for name, fitted in loco.items():
        items = [it for it in tuner.collections[name].items if it.split == "test"]
        report["loco"][name] = _compare(tuner, items, (params, "dense"), (fitted, "hybrid"))
    rows = top_rows(tuner, groups["all"], params)
    probs = [cal.confidence.probability(f) for _, f, _ in rows]
    report["confidence"]["all"] = reliability(probs, [ok for _, _, ok in rows])
    for name in (c.name for c in tuner.alone()):
        sub = [(p, ok) for p, (it, _, ok) in zip(probs, rows, strict=True) if it.collection == name]
        report["confidence"][name] = reliability([p for p, _ in sub], [ok for _, ok in sub])
    report["abstention"] = _abstention(probs, rows, cal.confidence)
    for name, fitted in loco.items():
        report["confidence_loco"][name] = _confidence_without(tuner, name, fitted, cal.confidence.features)
    return report


KINDS = ("ja/unanswerable", "ja/answerable", "en/unanswerable", "en/answerable")


def _abstention(probs: Sequence[float], rows: Sequence[tuple[Item, dict[str, float], bool]],
                model: ConfidenceModel) -> dict[str, dict[str, int]]:
    """{'ja/unanswerable': {'n': …, 'abstained': …}, …}: how many questions of each language and kind the
    model abstains on. Answerable cells also count the questions whose top hit answers them ('right') and
    how many of those are withheld ('right_abstained'): the refusals that cost the user an answer, which the
    threshold caps on dev (``eval.calibrate.MAX_WITHHELD``)."""
    def empty(kind: str) -> dict[str, int]:
        return {"n": 0, "abstained": 0} | ({"right": 0, "right_abstained": 0} if kind == "answerable" else {})

    out = {k: empty(k.split("/")[1]) for k in KINDS}
    for p, (it, _, ok) in zip(probs, rows, strict=True):
        kind = "answerable" if it.answerable else "unanswerable"
        cell = out.setdefault(f"{it.lang}/{kind}", empty(kind))
        refused = int(not model.answerable(p))
        cell["n"] += 1
        cell["abstained"] += refused
        if it.answerable:
            cell["right"] += int(ok)
            cell["right_abstained"] += refused * int(ok)
    return out


def _confidence_without(tuner: Tuner, name: str, params: RetrievalParams, features: Sequence[str]) -> dict[str, Any]:
    """The confidence model fitted without collection `name` (its threshold too), on its test questions."""
    train = [it for coll in tuner.alone() if coll.name != name for it in coll.items if it.split == "dev"]
    model = fit_confidence(top_rows(tuner, train, params), features)
    held = top_rows(tuner, [it for it in tuner.collections[name].items if it.split == "test"], params)
    probs = [model.probability(f) for _, f, _ in held]
    rel = reliability(probs, [ok for _, _, ok in held])
    return {"n": rel["n"], "ece": rel["ece"], "threshold": model.threshold,
            "abstention": _abstention(probs, held, model)}


def write_report(report: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    path.with_suffix(".md").write_text(markdown(report), encoding="utf-8")


def markdown(report: Mapping[str, Any]) -> str:
    lines = ["# Tuning: held-out (test split) figures", "",
             "| group | n | dense MRR@10 | default MRR@10 | Δ [95% CI] | p | dense hit@1 | default hit@1 |",
             "|---|---:|---:|---:|---|---:|---:|---:|"]
    for key, row in report["default_vs_dense"].items():
        t = row["paired_mrr@10"]
        ci = f"[{t['ci95'][0]:+.3f}, {t['ci95'][1]:+.3f}]" if t["ci95"] else ""
        lines.append(f"| {key} | {t['n']} | {row['mrr@10']['a']} | {row['mrr@10']['b']} | {t['delta']:+.4f} {ci} | "
                     f"{t['p_value']} | {row['hit@1']['a']} | {row['hit@1']['b']} |")
    lines += ["", "## Each stage switched off (all test questions)", "",
              "| stage | MRR@10 off | MRR@10 default | Δ [95% CI] | p |", "|---|---:|---:|---|---:|"]
    for stage, row in report["stages_off"].items():
        t = row["paired_mrr@10"]
        ci = f"[{t['ci95'][0]:+.3f}, {t['ci95'][1]:+.3f}]" if t["ci95"] else ""
        lines.append(f"| {stage} | {row['mrr@10']['a']} | {row['mrr@10']['b']} | {t['delta']:+.4f} {ci} | {t['p_value']} |")
    lines += ["", "## Leave one collection out (fitted on the others' dev, scored on this one's test)", "",
              "| held out | dense MRR@10 | fitted MRR@10 | Δ | p |", "|---|---:|---:|---:|---:|"]
    for name, row in report["loco"].items():
        t = row["paired_mrr@10"]
        lines.append(f"| {name} | {row['mrr@10']['a']} | {row['mrr@10']['b']} | {t['delta']} | {t['p_value']} |")
    chosen = report.get("calibration", {}).get("features", {})
    for which, sel in ((w, chosen[w]) for w in ("model", "default") if w in chosen):
        lines += ["", f"## Confidence features ({which}): leave-one-collection-out log-loss on dev, backward elimination",
                  "", f"kept: {', '.join(sel['kept'])}", "", "| step | log-loss | " + " | ".join(
                      f"without {f}" for f in sel["candidates"]) + " | dropped |", "|---|---:|" + "---:|" * len(sel["candidates"]) + "---|"]
        for i, step in enumerate(sel["steps"], 1):
            cells = [str(step["without"].get(f, "")) for f in sel["candidates"]]
            lines.append(f"| {i} | {step['log_loss']} | " + " | ".join(cells) + f" | {step['dropped'] or '(none)'} |")
    lines += ["", "## Confidence (top hit) on test questions", "", "| collection | n | ECE |", "|---|---:|---:|"]
    for name, rel in report["confidence"].items():
        lines.append(f"| {name} | {rel['n']} | {rel['ece']} |")
    lines += ["", "Reliability bins (all): " + ", ".join(
        f"[{b['lo']}, {b['hi']}) n={b['n']} conf={b['confidence']} acc={b['accuracy']}" for b in report["confidence"]["all"]["bins"]),
        "", "## Abstention (test)", "",
        "| language / questions | n | abstained | top hit right | of those withheld |", "|---|---:|---:|---:|---:|"]
    for key, row in report["abstention"].items():
        lines.append(f"| {key} | {row['n']} | {row['abstained']} | {row.get('right', '')} | "
                     f"{row.get('right_abstained', '')} |")
    lines += ["", "## Confidence without each collection (fitted on the others' dev, scored on this one's test)", "",
              "| held out | n | ECE | threshold | " + " | ".join(f"{k} abstained" for k in KINDS) + " |",
              "|---|---:|---:|---:|" + "---:|" * len(KINDS)]
    for name, row in report.get("confidence_loco", {}).items():
        cells = [f"{row['abstention'][k]['abstained']} of {row['abstention'][k]['n']}" for k in KINDS]
        lines.append(f"| {name} | {row['n']} | {row['ece']} | {row['threshold']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
