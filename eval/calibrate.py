"""The confidence model: a logistic regression on the top hit of each dev question, its abstention threshold,
and its reliability (ECE and reliability bins) on held-out questions."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from rag.retrieve.confidence import ConfidenceModel

# the candidate features (eval.tune keeps those whose removal would raise the leave-one-collection-out log-loss);
# cosine-scale features are only meaningful for the model they were fitted with
MODEL_FEATURES = ("dense", "dense_margin", "rel_margin", "lex_cov", "corpus_cov", "glossary_miss", "is_en")
MODEL_FREE_FEATURES = ("rel_margin", "lex_cov", "corpus_cov", "glossary_miss", "is_en")
# a feature is dropped when the leave-one-collection-out log-loss without it is lower by more than this
MIN_LOG_LOSS_GAIN = 0.001
# a right answer withheld at most once in 50 on dev: refusing a question the index answers costs the user more
# than showing a weak hit flagged by its confidence
MAX_WITHHELD = 0.02


def fit_logistic(rows: Sequence[dict[str, float]], labels: Sequence[int], features: Sequence[str]) -> ConfidenceModel:
    """P(label = 1 | features) by L2-regularized logistic regression (scikit-learn, lbfgs, C = 1, tol 1e-10) on
    standardized features; the standardization is folded into the stored weights (rounded to 4 places)."""
    from sklearn.linear_model import LogisticRegression

    if len(set(labels)) < 2:
        raise ValueError("the confidence model needs dev questions whose top hit is right and ones where it is wrong")
    x = np.array([[r[f] for f in features] for r in rows], dtype=np.float64)
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd[sd < 1e-9] = 1.0
    # solved to a tight tolerance: at lbfgs's default (1e-4) the stopping point, and so the 4th decimal of a
    # stored weight, depends on the CPU's floating-point path, and a rerun elsewhere wrote other bytes
    model = LogisticRegression(C=1.0, tol=1e-10, max_iter=10000).fit((x - mu) / sd, np.asarray(labels))
    weights = model.coef_[0] / sd
    bias = float(model.intercept_[0] - float(np.sum(model.coef_[0] * mu / sd)))
    return ConfidenceModel(tuple(features), tuple(round(float(w), 4) for w in weights), round(bias, 4), 0.0)


def loco_log_loss(
    rows: Sequence[dict[str, float]], labels: Sequence[int], groups: Sequence[str], features: Sequence[str]
) -> float:
    """Log-loss (scikit-learn) of every row under the model fitted on the rows of the other groups: how well a
    model on `features` carries over to a collection it never saw."""
    from sklearn.metrics import log_loss

    if len(set(groups)) < 2:
        raise ValueError("leave-one-collection-out needs rows from at least two collections")
    probs = np.zeros(len(rows))
    for group in sorted(set(groups)):
        train = [i for i, g in enumerate(groups) if g != group]
        model = fit_logistic([rows[i] for i in train], [labels[i] for i in train], features)
        for i, g in enumerate(groups):
            if g == group:
                probs[i] = model.probability(rows[i])
    return float(log_loss(labels, probs, labels=[0, 1]))


def choose_features(
    rows: Sequence[dict[str, float]],
    labels: Sequence[int],
    groups: Sequence[str],
    candidates: Sequence[str],
    min_gain: float = MIN_LOG_LOSS_GAIN,
) -> tuple[tuple[str, ...], list[dict[str, object]]]:
    """Backward elimination by `loco_log_loss`: while dropping some feature lowers it by more than `min_gain`,
    drop the one whose removal lowers it most (ties: the name first in order). Returns the kept features (in
    `candidates` order) and one record per step (the log-loss, the log-loss without each feature, what went)."""
    kept = list(candidates)
    current = loco_log_loss(rows, labels, groups, kept)
    steps: list[dict[str, object]] = []
    while len(kept) > 1:
        without = {f: loco_log_loss(rows, labels, groups, [g for g in kept if g != f]) for f in kept}
        best = min(kept, key=lambda f: (without[f], f))
        dropped = best if current - without[best] > min_gain else None
        steps.append({"log_loss": round(current, 4), "without": {f: round(v, 4) for f, v in without.items()},
                      "dropped": dropped})
        if dropped is None:
            break
        kept.remove(dropped)
        current = without[dropped]
    return tuple(kept), steps


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
