"""The ONNX Runtime encoder of the bundled model must give the sentence-transformers path's vectors
(cosine ≥ 0.999) and keep its fingerprint; its export is cached and a stale one is rebuilt."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import pytest

from rag.embed import bundled, onnx
from rag.embed.model import Embedder, clear_embedder_cache, load_embedder
from rag.errors import ModelError
from rag.parse import parse_file
from rag.settings import Settings

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("onnx_model_cache")
    path, digest = bundled.ensure_materialized(cache)
    onnx.ensure_onnx(path, digest)
    return cache


@pytest.fixture(scope="session")
def pair(onnx_cache: Path) -> tuple[Embedder, Embedder]:
    torch_e = load_embedder(Settings(model_cache=onnx_cache, device="cpu", encoder="torch"))
    onnx_e = load_embedder(Settings(model_cache=onnx_cache, device="cpu", encoder="onnx"))
    return torch_e, onnx_e


def seed_texts(seed_txt: Path) -> tuple[list[str], list[str]]:
    remarks = [r.text for r in parse_file(seed_txt).remarks]
    questions = [
        json.loads(line)["question"]
        for line in (ROOT / "eval/datasets/seed/questions.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return remarks, questions


@pytest.mark.slow
def test_onnx_matches_sentence_transformers(pair: tuple[Embedder, Embedder], seed_txt: Path) -> None:
    torch_e, onnx_e = pair
    assert type(onnx_e).__name__ == "OnnxEmbedder" and type(torch_e).__name__ == "SentenceTransformerEmbedder"
    remarks, questions = seed_texts(seed_txt)
    assert len(remarks) == 23 and len(questions) >= 50
    figures = {}
    for name, texts in (("remarks", remarks), ("questions", questions)):
        for kind in ("queries", "passages"):
            ref = getattr(torch_e, f"embed_{kind}")(texts)
            got = getattr(onnx_e, f"embed_{kind}")(texts)
            assert got.dtype == np.float32 and got.shape == ref.shape
            np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
            cos = (ref * got).sum(axis=1)
            figures[f"{name}/{kind}"] = float(cos.min())
            assert cos.min() >= 0.999, (name, kind, float(cos.min()))
    both = remarks + questions  # more than SMALL_BATCH: the ``tokenizers`` path
    assert len(both) > onnx.SMALL_BATCH
    cos = (torch_e.embed_passages(both) * onnx_e.embed_passages(both)).sum(axis=1)
    figures["large batch/passages"] = float(cos.min())
    assert cos.min() >= 0.999
    log.warning("min cosine ONNX vs sentence-transformers: %s", figures)
    # one text alone (no padding) equals the same text in a padded batch
    alone = onnx_e.embed_queries([questions[0]])[0]
    assert float(alone @ onnx_e.embed_queries(questions)[0]) > 0.99999


@pytest.mark.slow
def test_small_tokenizer_gives_the_tokenizers_ids(pair: tuple[Embedder, Embedder], seed_txt: Path) -> None:
    onnx_e = pair[1]
    remarks, questions = seed_texts(seed_txt)
    odd = ["Ｆｕｌｌ－ｗｉｄｔｈ　ＡＢＣ　１２３", "tabs\tand   spaces\n", "①②③ ㈱ ｶﾀｶﾅ", " lead", "😀🙏 ꙮ 𪘀", "長" * 900]
    for text in [*remarks, *questions, *odd]:
        for prefix in ("query: ", "passage: "):
            expected = onnx_e.tokenizer.encode(prefix + text).ids  # type: ignore[attr-defined]
            assert onnx_e.small.encode(prefix + text) == expected, text  # type: ignore[attr-defined]


@pytest.mark.slow
def test_fingerprint_is_the_models_not_the_encoders(pair: tuple[Embedder, Embedder], onnx_cache: Path) -> None:
    torch_e, onnx_e = pair
    assert onnx_e.fingerprint == torch_e.fingerprint
    # the formula existing index manifests were written with (prompts as SentenceTransformer reads them)
    path, digest = bundled.materialized_dir(onnx_cache)
    prompts = torch_e.model.prompts  # type: ignore[attr-defined]
    expected = hashlib.sha256(
        json.dumps(
            {
                "bundled": bundled.BUNDLED_NAME,
                "sha256": digest,
                "format": bundled.FORMAT_VERSION,
                "q": prompts["query"],
                "p": prompts["passage"],
            }
        ).encode()
    ).hexdigest()
    assert onnx_e.fingerprint == expected
    assert (onnx_e.query_prompt, onnx_e.passage_prompt) == ("query: ", "passage: ")
    assert onnx_e.dim == torch_e.dim == 384


def _fake_export(calls: list[Path]) -> object:
    def fake(st_dir: Path, path: Path) -> None:
        calls.append(path)
        path.write_bytes(b"graph")
        np.save(path.with_name(onnx._TABLE), np.zeros((3, 4), dtype=np.float32))

    return fake


def test_export_is_cached_and_stale_exports_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(onnx, "_export_graph", _fake_export(calls))
    first = onnx.ensure_onnx(tmp_path, "a" * 64)
    assert first == tmp_path / f"onnx-v{onnx.ONNX_FORMAT}" / "model.onnx" and first.read_bytes() == b"graph"
    assert onnx.ensure_onnx(tmp_path, "a" * 64) == first and len(calls) == 1  # cached
    onnx.ensure_onnx(tmp_path, "b" * 64)  # another source file: rebuilt
    assert len(calls) == 2
    first.write_bytes(b"truncated")  # size no longer matches the marker: rebuilt
    onnx.ensure_onnx(tmp_path, "b" * 64)
    assert len(calls) == 3 and first.read_bytes() == b"graph"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".onnx-v") and "tmp" in p.name]


def test_failed_export_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(st_dir: Path, path: Path) -> None:
        raise RuntimeError("no space")

    monkeypatch.setattr(onnx, "_export_graph", broken)
    with pytest.raises(ModelError, match="RAG_ENCODER=torch"):
        onnx.ensure_onnx(tmp_path, "a" * 64)
    assert not onnx.onnx_dir(tmp_path).exists()


def test_encoder_setting_is_checked(tmp_path: Path) -> None:
    clear_embedder_cache()
    with pytest.raises(ModelError, match="RAG_ENCODER"):
        load_embedder(Settings(model_cache=tmp_path, encoder="tensorflow"))
    # the hash embedder ignores the encoder choice
    assert load_embedder(Settings(model="hash:64", encoder="onnx")).dim == 64


def test_auto_uses_onnx_on_the_cpu_only() -> None:
    from rag.embed.model import _use_onnx

    assert _use_onnx(Settings(encoder="auto")) is onnx.onnx_available()
    assert _use_onnx(Settings(encoder="auto", device="cpu")) is onnx.onnx_available()
    assert _use_onnx(Settings(encoder="auto", device="cuda")) is False
    assert _use_onnx(Settings(encoder="torch")) is False
    assert _use_onnx(Settings(encoder=" ONNX ")) is True
