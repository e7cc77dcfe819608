"""The confidence model: a logistic regression on the top hit of each dev question, its abstention threshold,
and its reliability (ECE and reliability bins) on held-out questions."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from rag.retrieve.confidence import ConfidenceModel

# cosine-scale features are only meaningful for the model they were fitted with
MODEL_FEATURES = ("dense", "dense_margin", "rel_margin", "lex_cov", "corpus_cov", "glossary_miss", "is_en")
MODEL_FREE_FEATURES = ("rel_margin", "lex_cov", "corpus_cov", "glossary_miss", "is_en")
# a right answer withheld at most once in 50 on dev: refusing a question the index answers costs the user more
# than showing a weak hit flagged by its confidence
MAX_WITHHELD = 0.02


def fit_logistic(rows: Sequence[dict[str, float]], labels: Sequence[int], features: Sequence[str]) -> ConfidenceModel:
    """P(label = 1 | features) by L2-regularized logistic regression (scikit-learn, lbfgs, C = 1) on
    standardized features; the standardization is folded into the stored weights (rounded to 4 places)."""
    from sklearn.linear_model import LogisticRegression

    if len(set(labels)) < 2:
        raise ValueError("the confidence model needs dev questions whose top hit is right and ones where it is wrong")
    x = np.array([[r[f] for f in features] for r in rows], dtype=np.float64)
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd[sd < 1e-9] = 1.0
    model = LogisticRegression(C=1.0, max_iter=2000).fit((x - mu) / sd, np.asarray(labels))
    weights = model.coef_[0] / sd
    bias = float(model.intercept_[0] - float(np.sum(model.coef_[0] * mu / sd)))
    return ConfidenceModel(tuple(features), tuple(round(float(w), 4) for w in weights), round(bias, 4), 0.0)


def choose_threshold(
    top_probs: Sequence[float], answerable: Sequence[bool], correct: Sequence[bool], max_withheld: float = MAX_WITHHELD
) -> float:
    """The abstention threshold: the cut (a midpoint between observed probabilities) that abstains on the
    most unanswerable questions while withholding at most `max_withheld` of the right answers (questions
    whose top hit answers them); ties go to the cut farthest from any observation. 0 (never abstain) when
    there is no unanswerable question to learn from."""
    if all(answerable):
        return 0.0
    probs = np.asarray(top_probs, dtype=np.float64)
    unans = ~np.asarray(answerable, dtype=bool)
    right = np.asarray(correct, dtype=bool)
    values = sorted(set(np.round(probs, 6).tolist()))
    cuts = [0.0] + [(a + b) / 2 for a, b in itertools.pairwise(values)]
    best: tuple[float, float, float] = (-1.0, 0.0, 0.0)
    for t in cuts:
        abstain = probs < t
        if right.any() and float(abstain[right].mean()) > max_withheld:
            continue
        caught = float(abstain[unans].mean())
        gap = float(np.min(np.abs(probs - t)))
        if (caught, gap) > best[:2]:
            best = (caught, gap, t)
    return round(best[2], 4)


def reliability(probs: Sequence[float], correct: Sequence[bool], n_bins: int = 10) -> dict[str, object]:
    """Expected calibration error over equal-width bins: Σ_b (n_b / n) · |accuracy_b − mean confidence_b|,
    with the bins (lo, hi, n, mean confidence, accuracy) for a reliability diagram."""
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(correct, dtype=np.float64)
    if p.size == 0:
        return {"ece": None, "n": 0, "bins": []}
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=False), 0, n_bins - 1)
    bins = []
    ece = 0.0
    for b in range(n_bins):
        mask = which == b
        n = int(mask.sum())
        if n == 0:
            continue
        conf, acc = float(p[mask].mean()), float(y[mask].mean())
        ece += n / p.size * abs(acc - conf)
        bins.append({"lo": round(float(edges[b]), 2), "hi": round(float(edges[b + 1]), 2), "n": n,
                     "confidence": round(conf, 4), "accuracy": round(acc, 4)})
    return {"ece": round(ece, 4), "n": int(p.size), "bins": bins}
