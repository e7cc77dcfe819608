"""Regression gate: the seed question sets (the main one and the blind held-out one) through the product
default (hybrid + rerank) with the real model must stay above the per-language floors in eval/thresholds.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.config import load_config
from eval.dataset import load_dataset
from eval.runner import run_eval

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", ["seed", "seed-holdout"])
def test_seed_sets_stay_above_the_floors(name: str, seed_txt: Path, tmp_path: Path) -> None:
    gate = json.loads((ROOT / "eval" / "thresholds.json").read_text(encoding="utf-8"))[name]
    ds = load_dataset(str(ROOT / gate["dataset"]), minutes=[seed_txt])
    ranked = ds.answerable()  # the floors are on ranking metrics: skip questions without gold
    ds.queries = [q for q in ds.queries if q.id in ranked]
    result = run_eval(ds, [load_config(gate["config"])], index_root=tmp_path, baseline=False, n_resamples=100)
    cfg = result.report["configs"][gate["config"]]
    failures = []
    for lang, floors in gate["floors"].items():
        for metric, floor in floors.items():
            got = cfg["by_lang"][lang]["metrics"][metric]
            if got is None or got < floor:
                failures.append(f"{lang} {metric} = {got} < floor {floor}")
    assert not failures, "; ".join(failures)
