"""Calibrated confidence and abstention, with the tuned retrieval parameters they go with.

`calibration.json` (next to this file, written by `tools/tune_retrieval.py` from the seed *dev*
questions) holds, per embedding model id, the fusion weights, the MMR λ and a logistic model
P(hit is relevant | features). A search is answerable when the top hit's confidence reaches the
stored threshold for the question's language (chosen on dev so that abstentions are ≥ 90 % right;
for English, where off-topic and cross-lingual on-topic cosines overlap, that can mean never). Models without an entry use the "default" entry, whose logistic model only uses
features that do not depend on the model's cosine scale (lexical coverage, fused score, margins).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.retrieve.fusion import FusionParams

logger = logging.getLogger(__name__)

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")

# Features the pipeline computes for every hit (see pipeline._features).
FEATURES = (
    "dense",  # the remark's best chunk cosine with the question
    "dense_gap",  # dense − the median dense score of the candidates
    "dense_margin",  # dense − the next-best candidate's dense score (0 for lower ranks)
    "fused",  # the fused (normalized) score
    "lex_cov",  # share of the question's distinct content words found in the remark
    "corpus_cov",  # share of the question's distinct content words found anywhere in the corpus
    "is_en",  # 1 for English questions
    "is_top",  # 1 for the first hit
    "topic_hit",  # 1 when the question names an agenda item by number and the hit is under it
)


@dataclass(frozen=True)
class Calibration:
    fusion: FusionParams = field(default_factory=FusionParams)
    mmr_lambda: float = 0.7
    depth: int = 50  # candidates taken from each leg
    sentence_mix: float = 1.0  # rerank without a cross-encoder: dense ← mix·dense + (1 − mix)·best sentence
    sentence_mix_en: float | None = None  # the same for English questions when it differs (None: sentence_mix)
    rerank_depth: int = 10  # top candidates the second stage rescores
    features: tuple[str, ...] = ("fused", "lex_cov", "is_top")
    weights: tuple[float, ...] = (4.0, 2.0, 0.5)
    bias: float = -4.0
    threshold: float = 0.5  # Japanese questions: answerable when the top hit's confidence ≥ threshold
    threshold_en: float = 0.0  # English questions (cross-lingual cosines overlap more: often 0, never abstain)
    source: str = "built-in"

    def mix_for(self, lang: str) -> float:
        return self.sentence_mix_en if lang == "en" and self.sentence_mix_en is not None else self.sentence_mix

    def threshold_for(self, lang: str) -> float:
        return self.threshold_en if lang == "en" else self.threshold

    def confidence(self, values: Mapping[str, float]) -> float:
        z = self.bias + sum(w * float(values.get(name, 0.0)) for name, w in zip(self.features, self.weights, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str) -> Calibration:
        conf = data.get("confidence", {})
        features = tuple(str(f) for f in conf.get("features", cls.features))
        unknown = [f for f in features if f not in FEATURES]
        if unknown:
            raise ValueError(f"{source}: unknown confidence features {unknown}; known: {FEATURES}")
        weights = tuple(float(w) for w in conf.get("weights", cls.weights))
        if len(weights) != len(features):
            raise ValueError(f"{source}: {len(features)} features but {len(weights)} weights; re-run tools/tune_retrieval.py")
        return cls(
            fusion=FusionParams.from_dict(data.get("fusion", {})),
            mmr_lambda=float(data.get("mmr_lambda", cls.mmr_lambda)),
            depth=int(data.get("depth", cls.depth)),
            sentence_mix=float(data.get("sentence_mix", cls.sentence_mix)),
            sentence_mix_en=None if data.get("sentence_mix_en") is None else float(data["sentence_mix_en"]),
            rerank_depth=int(data.get("rerank_depth", cls.rerank_depth)),
            features=features,
            weights=weights,
            bias=float(conf.get("bias", cls.bias)),
            threshold=float(conf.get("threshold", cls.threshold)),
            threshold_en=float(conf.get("threshold_en", cls.threshold_en)),
            source=source,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "fusion": {
                "w_lex_ja": self.fusion.w_lex_ja,
                "w_lex_en": self.fusion.w_lex_en,
                "norm": self.fusion.norm,
                "norm_en": self.fusion.norm_en,
                "lex_gate": self.fusion.lex_gate,
                "lex_margin": self.fusion.lex_margin,
                "date_bonus": self.fusion.date_bonus,
                "topic_bonus": self.fusion.topic_bonus,
            },
            "mmr_lambda": self.mmr_lambda,
            "depth": self.depth,
            "sentence_mix": self.sentence_mix,
            "sentence_mix_en": self.sentence_mix_en,
            "rerank_depth": self.rerank_depth,
            "confidence": {
                "features": list(self.features),
                "weights": list(self.weights),
                "bias": self.bias,
                "threshold": self.threshold,
                "threshold_en": self.threshold_en,
            },
        }


def load_calibration(model_id: str, path: Path | None = None) -> Calibration:
    """The calibration for `model_id`, else the file's "default" entry, else built-in values."""
    path = path or CALIBRATION_PATH
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        logger.warning("%s is missing; using built-in retrieval parameters", path)
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
