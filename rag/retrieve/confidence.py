"""Confidence: the probability that a hit answers the question, and the abstention threshold.

`calibration.json` (next to this file) is written by `python -m eval.tune` from the *dev* splits of
several collections. Per embedding model id it holds the retrieval parameters (`params.RetrievalParams`)
and a logistic model P(the top hit answers the question | features of that hit). A search is answerable
when the top hit's probability reaches `threshold`. Lower-ranked hits get the same model applied to their
own features, so their confidence falls with their margins. Models without an entry (and lexical-only
searches, which have no cosine) use the file's "default" entry, whose model uses no cosine-scale feature.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import InputError
from rag.retrieve.params import RetrievalParams

logger = logging.getLogger(__name__)

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")

# Features computed for every hit by ranking.confidence_features (serving and tuning call that one function).
FEATURES = (
    "dense",  # the hit's best chunk cosine with the question
    "dense_margin",  # dense − the best dense score among the other candidates (negative below the top)
    "dense_gap",  # dense − the median dense score of the candidates
    "rel_margin",  # final relevance − the best final relevance among the other candidates
    "lex_cov",  # share of the question's distinct tokens found in the hit
    "corpus_cov",  # share of the question's content words found anywhere in the corpus
    "glossary_miss",  # English: share of content words naming a glossary topic the corpus lacks
    "is_en",  # 1 for English questions
    "topic_hit",  # 1 when the question names an agenda item and the hit is under it
)


@dataclass(frozen=True)
class ConfidenceModel:
    """Logistic regression over named features; `threshold` decides abstention on the top hit."""

    features: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()
    bias: float = 0.0
    threshold: float = 0.0  # 0: never abstain (the built-in model knows nothing)

    def __post_init__(self) -> None:
        unknown = [f for f in self.features if f not in FEATURES]
        if unknown:
            raise ValueError(f"unknown confidence features {unknown}; known: {FEATURES}")
        if len(self.weights) != len(self.features):
            raise ValueError(
                f"{len(self.features)} features but {len(self.weights)} weights; re-run `python -m eval.tune`"
            )

    def probability(self, values: Mapping[str, float]) -> float:
        z = self.bias + sum(
            w * float(values.get(name, 0.0)) for name, w in zip(self.features, self.weights, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def answerable(self, top_probability: float) -> bool:
        return top_probability >= self.threshold

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConfidenceModel:
        return cls(
            features=tuple(str(f) for f in data.get("features", ())),
            weights=tuple(float(w) for w in data.get("weights", ())),
            bias=float(data.get("bias", 0.0)),
            threshold=float(data.get("threshold", 0.0)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "weights": list(self.weights),
            "bias": self.bias,
            "threshold": self.threshold,
        }


@dataclass(frozen=True)
class Calibration:
    """What serving needs from calibration.json for one model: retrieval parameters and the confidence model."""

    retrieval: RetrievalParams = field(default_factory=RetrievalParams)
    confidence: ConfidenceModel = field(default_factory=lambda: ConfidenceModel(threshold=0.0))
    source: str = "built-in"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str) -> Calibration:
        try:
            return cls(
                retrieval=RetrievalParams.from_dict(data.get("retrieval", {}), source),
                confidence=ConfidenceModel.from_dict(data.get("confidence", {})),
                source=source,
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{source}: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        return {"retrieval": self.retrieval.to_dict(), "confidence": self.confidence.to_dict()}


def load_calibration(model_id: str, path: Path | None = None) -> Calibration:
    """The calibration for `model_id`, else the file's "default" entry, else built-in values (dense only)."""
    if path is not None and not path.is_file():
        raise InputError(f"calibration file {path} not found; write one with `python -m eval.tune --out {path}`")
    path = path or CALIBRATION_PATH
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        logger.warning("%s is missing; using built-in retrieval parameters (dense only, no abstention)", path)
        return Calibration()
    except (OSError, json.JSONDecodeError) as exc:
        logger.warning("%s is unreadable (%s); using built-in retrieval parameters", path, exc)
        return Calibration()
    models = data.get("models", {})
    if model_id in models:
        return Calibration.from_dict(models[model_id], f"{path.name}:{model_id}")
    if "default" in data:
        logger.info("no calibration for model %s; using the model-independent default", model_id)
        return Calibration.from_dict(data["default"], f"{path.name}:default")
    return Calibration()
