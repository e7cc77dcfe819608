"""The Retriever end to end over a tiny in-memory store and the instant HashingEmbedder."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from index.tokens import CorpusDelta, CorpusRow
from rag.embed.hashing import HashingEmbedder
from rag.errors import InputError
from rag.retrieve.confidence import Calibration
from rag.retrieve.params import RetrievalParams
from rag.retrieve.pipeline import Retriever
from rag.settings import Settings
from rag.types import Filters, StoredChunk, StoredRemark

TEXTS = {
    # document A (2021), topic 1
    ("A", 1, 1, "青木"): "量子コンピュータの研究開発に集中投資すべきだ。",
    ("A", 2, 1, "上山"): "スタートアップの資金調達には大きな課題がある。",
    ("A", 3, 2, "青木"): "シンクタンクを設けて先端技術を分析する必要がある。",
    ("A", 4, 2, "兼原"): "大学の研究者が企業と共同研究できる制度が必要だ。",
    # document B (2022): 1 repeats A#2 word for word; the rest are new
    ("B", 1, 1, "上山"): "スタートアップの資金調達には大きな課題がある。",
    ("B", 2, 1, "渡部"): "ベンチャーキャピタルの資金はアーリーステージに偏っている。",
    ("B", 3, 2, "青木"): "ＡＩと量子の分野で米国と連携するべきである。",
    ("B", 4, 2, "渡部"): "人材育成と研究者の流動性を高める仕組みが重要だ。",
}


class FakeStore:
    """The slice of IndexStore the Retriever uses; one chunk per remark plus a second chunk for B#4."""

    def __init__(
        self,
        embedder: HashingEmbedder,
        texts: Mapping[tuple[str, int, int, str], str] = TEXTS,
        roles: Mapping[str, str] | None = None,
    ) -> None:
        self.generation = 7
        self._remarks: dict[str, StoredRemark] = {}
        self._chunks: list[StoredChunk] = []
        for (doc, ordinal, topic, speaker), text in texts.items():
            rid = f"{doc}#{ordinal}"
            self._remarks[rid] = StoredRemark(
                remark_id=rid, document=doc, ordinal=ordinal, text=text, topic=f"論点{topic}", topic_number=topic,
                speaker=speaker, role=(roles or {}).get(rid, "委員"), pages=(1,), title=f"会合{doc}", body="会合",
                session=1, date="2021-12-09" if doc == "A" else "2022-03-01",
            )
            self._chunks.append(StoredChunk(len(self._chunks), rid, 0, text, 0, len(text)))
        if ("B", 4, 2, "渡部") in texts:
            text = texts[("B", 4, 2, "渡部")]
            self._chunks.append(StoredChunk(len(self._chunks), "B#4", 1, text[:10], 0, 10))
        self.vectors = embedder.embed_passages([c.text for c in self._chunks])
        self.searches: list[int] = []
        self.tokens: dict[str, np.ndarray] = {}  # stored term ids (the Retriever backfills them)
        self.terms: dict[str, int] = {}

    def search(self, vector: np.ndarray, k: int, *, chunk_ids: np.ndarray | None = None) -> list[tuple[int, float]]:
        self.searches.append(k)
        scores = self.vectors @ vector
        ids = np.arange(len(scores)) if chunk_ids is None else np.unique(np.asarray(chunk_ids))
        order = ids[np.argsort(-scores[ids], kind="stable")][:k]
        return [(int(i), float(scores[i])) for i in order]

    def remark_ids_for(self, filters: Filters | None) -> set[str] | None:
        if filters is None or filters == Filters():
            return None
        return {
            rid for rid, r in self._remarks.items()
            if (filters.document is None or r.document == filters.document)
            and (filters.speaker is None or filters.speaker in (r.speaker or ""))
            and (filters.date_from is None or (r.date or "") >= filters.date_from)
        }

    def chunk_ids_for(self, filters: Filters | None) -> np.ndarray | None:
        allowed = self.remark_ids_for(filters)
        if allowed is None:
            return None
        return np.array([c.chunk_id for c in self._chunks if c.remark_id in allowed], dtype=np.int64)

    def chunks(self, ids: Iterable[int]) -> list[StoredChunk]:
        return [self._chunks[i] for i in ids]

    def remarks(self, ids: Sequence[str]) -> dict[str, StoredRemark]:
        return {i: self._remarks[i] for i in ids if i in self._remarks}

    def all_remarks(self) -> list[StoredRemark]:
        return list(self._remarks.values())

    def corpus_delta(self, known: Mapping[str, str], known_term: int = 0) -> CorpusDelta:
        shas = {r.document: f"sha-{self.generation}" for r in self._remarks.values()}
        removed = [d for d, sha in known.items() if shas.get(d) != sha]
        rows = [
            CorpusRow(r.remark_id, r.document, r.topic, self.tokens.get(r.remark_id),
                      None if r.remark_id in self.tokens else r.text)
            for r in self._remarks.values() if known.get(r.document) != shas[r.document]
        ]
        terms = [(i, t) for t, i in self.terms.items() if i > known_term]
        return CorpusDelta(self.generation, shas, removed, rows, terms)

    def store_tokens(self, pairs: Sequence[tuple[str, Sequence[str]]]) -> None:
        for rid, toks in pairs:
            ids = [self.terms.setdefault(t, len(self.terms) + 1) for t in toks]
            self.tokens[rid] = np.array(ids, dtype=np.int32)

    def remark_term_ids(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        return {i: self.tokens[i] for i in ids if i in self.tokens}

    def remark_chunk_ids(self, ids: Sequence[str]) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for c in self._chunks:
            if c.remark_id in ids:
                out.setdefault(c.remark_id, []).append(c.chunk_id)
        return out


@pytest.fixture()
def retriever() -> Retriever:
    embedder = HashingEmbedder(64)
    return Retriever(FakeStore(embedder), embedder, Settings(model="hash:64"))


def test_result_shape_timings_and_evidence(retriever: Retriever) -> None:
    res = retriever.search("スタートアップの資金調達の課題は？", k=3)
    assert res.model == "hash:64"
    assert set(res.timings_ms) == {"embed", "dense", "lexical", "fusion", "rerank", "highlight", "total"}
    assert len(res.hits) == 3
    top = res.hits[0]
    assert top.remark_id in {"A#2", "B#1"}
    assert top.citation.speaker == "上山"
    assert 0.0 <= top.confidence <= 1.0
    assert [h.score for h in res.hits] == sorted((h.score for h in res.hits), reverse=True)
    for hit in res.hits:
        assert hit.highlights
        for h in hit.highlights:
            assert hit.text[h.start : h.end] == h.text


def test_the_same_text_in_two_documents_appears_once(retriever: Retriever) -> None:
    for rerank in (True, False):
        res = retriever.search("スタートアップの資金調達の課題は？", k=8, rerank=rerank)
        texts = [h.text for h in res.hits]
        assert len(texts) == len(set(texts)) == 7  # 8 remarks, one duplicate collapsed
        ids = [h.remark_id for h in res.hits]
        assert len(ids) == len(set(ids))  # B#4's two chunks give one hit


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_filters_are_honoured_and_k_hits_returned(retriever: Retriever, mode: str) -> None:
    res = retriever.search("量子の研究と先端技術", k=2, filters=Filters(speaker="青木"), mode=mode)
    ids = {h.remark_id for h in res.hits}
    assert len(res.hits) == 2  # 青木's 3 remarks all share a word with the question; 2 are asked for
    store = retriever.store
    assert isinstance(store, FakeStore)
    assert all(store.remarks([i])[i].speaker == "青木" for i in ids)
    res = retriever.search("資金調達", k=4, filters=Filters(document="B"), mode="dense")
    assert sorted(h.remark_id for h in res.hits) == ["B#1", "B#2", "B#3", "B#4"]


def test_filter_that_matches_nothing(retriever: Retriever) -> None:
    res = retriever.search("研究", k=3, filters=Filters(speaker="いない人"))
    assert res.hits == [] and res.answerable is False


def test_lexical_mode_only_returns_matching_remarks(retriever: Retriever) -> None:
    res = retriever.search("ベンチャーキャピタル", k=5, mode="lexical")
    assert [h.remark_id for h in res.hits] == ["B#2"]


def test_era_year_in_question_prefers_that_meeting(retriever: Retriever) -> None:
    # A#2 and B#1 are the same text; with a date bonus the year decides which one is kept
    retriever.calibration = Calibration(retrieval=RetrievalParams(date_bonus=0.05))
    assert retriever.search("令和４年の会合でのスタートアップの資金調達の課題は？", k=1).hits[0].remark_id == "B#1"
    assert retriever.search("令和３年の会合でのスタートアップの資金調達の課題は？", k=1).hits[0].remark_id == "A#2"


def test_bad_arguments_raise_input_errors(retriever: Retriever) -> None:
    with pytest.raises(InputError, match="empty"):
        retriever.search("  ")
    with pytest.raises(InputError, match="mode must be one of"):
        retriever.search("研究", mode="sparse")
    with pytest.raises(InputError, match="k must be"):
        retriever.search("研究", k=0)


def test_lexical_index_follows_the_store_generation(retriever: Retriever) -> None:
    store = retriever.store
    assert isinstance(store, FakeStore)
    first = retriever.refresh()
    assert retriever.refresh() is first
    store.generation += 1
    assert retriever.refresh() is not first


def test_settings_calibration_file_is_served(tmp_path: Path) -> None:
    embedder = HashingEmbedder(64)
    path = tmp_path / "mine.json"
    own = Calibration(retrieval=RetrievalParams(w_lex_ja=0.7, date_bonus=0.05)).to_dict()
    path.write_text(json.dumps({"models": {"hash:64": own}}), encoding="utf-8")
    retriever = Retriever(FakeStore(embedder), embedder, Settings(model="hash:64", calibration=path))
    assert retriever.calibration.retrieval.w_lex_ja == 0.7 and retriever.calibration.source == "mine.json:hash:64"
    assert retriever.search("令和４年の会合でのスタートアップの資金調達の課題は？", k=1).hits[0].remark_id == "B#1"
    with pytest.raises(InputError, match="calibration file .*missing.json not found"):
        Retriever(FakeStore(embedder), embedder, Settings(model="hash:64", calibration=tmp_path / "missing.json"))


PLENARY = {
    ("P", 1, 1, "山田"): "三十番佐藤一郎君。",
    ("P", 2, 1, "佐藤"): "保育所の待機児童の解消について伺います。あわせて河川の改修について伺います。",
    ("P", 3, 1, "山田"): "福祉局長中村美咲君。",
    ("P", 4, 1, "中村"): "待機児童をなくすため、保育士百人分の奨学金を新たに用意しました。",
    ("P", 5, 1, "山田"): "都市整備局長石川正人君。",
    ("P", 6, 1, "石川"): "堤防のかさ上げを三か所で着工します。",
}
PLENARY_ROLES = {"P#1": "議長", "P#2": "三十番", "P#3": "議長", "P#4": "福祉局長", "P#5": "議長", "P#6": "都市整備局長"}


def test_the_answer_goes_above_the_members_question() -> None:
    """Answer linking (exchanges.py) through the Retriever: the member's question restates the topic and wins the
    dense leg; the default puts the official's answer that scores best (P#4, not P#6) just above it."""
    embedder = HashingEmbedder(64)
    retriever = Retriever(FakeStore(embedder, PLENARY, PLENARY_ROLES), embedder, Settings(model="hash:64"))
    question = "保育所の待機児童の解消について"
    dense = [h.remark_id for h in retriever.search(question, k=3, mode="dense").hits]
    assert dense[0] == "P#2"
    hits = retriever.search(question, k=3).hits
    assert [h.remark_id for h in hits[:2]] == ["P#4", "P#2"]
    assert hits[0].score > hits[1].score  # strictly: rankers that break ties by id must keep the order
    # a filter that leaves the answer out leaves the question where it was
    only_question = retriever.search(question, k=3, filters=Filters(speaker="佐藤")).hits
    assert [h.remark_id for h in only_question] == ["P#2"]
