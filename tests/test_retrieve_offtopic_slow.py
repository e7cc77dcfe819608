"""Abstention on the bundled samples with the real model: topics the samples never discuss come back
`answerable: false` in both languages (the samples collection's test questions; never tuned on), while
questions the samples do answer are not refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.service import RagService
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "rag" / "samples").glob("*.txt"))
OFF_TOPIC = ("ja-022", "ja-024", "ja-026", "ja-027", "en-022", "en-024", "en-026", "en-027")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> RagService:
    svc = RagService(Settings(index_dir=tmp_path_factory.mktemp("samples"), ingest_samples_on_start=False))
    assert not svc.ingest(SAMPLES).failed
    return svc


def _questions() -> dict[str, dict[str, object]]:
    rows = [json.loads(line) for line in (ROOT / "eval/datasets/samples/questions.jsonl").read_text("utf-8").splitlines()]
    return {str(r["qid"]): r for r in rows if r}


@pytest.mark.slow
def test_off_topic_questions_are_abstained_in_both_languages(service: RagService) -> None:
    questions = _questions()
    answered = {qid: service.search(str(questions[qid]["question"]), k=5) for qid in OFF_TOPIC}
    wrong = {qid: round(r.hits[0].confidence, 3) for qid, r in answered.items() if r.answerable}
    # The bar: all eight. Measured 2026-12-07 after the refit on 40 more unanswerable dev and test
    # questions (council, env-real): all eight abstained, the closest ja-027 (観光振興の予算) at 0.305 under the
    # threshold 0.383 (the fit before: 0.417 under 0.432; the one before that answered ja-024 and ja-027).
    assert not wrong, f"off-topic questions answered (top confidence): {wrong}"


@pytest.mark.slow
def test_answerable_sample_questions_are_mostly_answered(service: RagService) -> None:
    questions = [q for q in _questions().values() if q["split"] == "test" and q["gold"]]
    refused = [q["qid"] for q in questions if not service.search(str(q["question"]), k=5).answerable]
    assert len(refused) <= len(questions) // 5, f"{len(refused)}/{len(questions)} answerable questions refused: {refused}"
