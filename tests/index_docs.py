"""Builders for index tests: small ParsedDocuments, a seeded fake embedder, and a crash-test writer.

Run as a script (``python tests/index_docs.py <index dir> <log file>``) it upserts, replaces and deletes
documents in an endless loop, appending the generation to <log file> after each commit; the crash test
SIGKILLs it at random moments.
"""

from __future__ import annotations

import hashlib
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.chunk import chunk_remark  # noqa: E402
from rag.types import Attendee, Chunk, Meeting, ParsedDocument, Remark, Topic  # noqa: E402

MODEL_ID = "fake/seeded-random"
FINGERPRINT = "fake-fingerprint-0001"


def embed(texts: list[str], dim: int) -> np.ndarray:
    """One unit vector per text, seeded by the text (same text → same vector)."""
    rows = []
    for text in texts:
        rng = np.random.default_rng(zlib.crc32(text.encode()))
        row = rng.standard_normal(dim).astype(np.float32)
        rows.append(row / np.linalg.norm(row))
    return np.vstack(rows) if rows else np.empty((0, dim), np.float32)


def make_doc(
    name: str,
    *,
    title: str = "技術協力に関する検討会合（第１回）議事要旨",
    body: str | None = "技術協力に関する検討会合",
    session: int | None = 1,
    date: str | None = "2021-12-09",
    remarks: Sequence[tuple[str | None, str | None, str | None, int | None, str]] | None = None,
    version: str = "v1",
) -> ParsedDocument:
    """A document whose remarks are (speaker, role, topic, topic_number, text)."""
    if remarks is None:
        remarks = [
            ("青木", "委員", "人材育成", 1, f"{name}：研究者の育成が重要である。{version}"),
            ("佐藤", "委員", "国際連携", 2, f"{name}：海外の研究機関との連携を進めるべきだ。{version}"),
            (None, "事務局", None, None, f"{name}：事務局から資料を説明した。{version}"),
        ]
    text_parts, built = [], []
    offset = 0
    for ordinal, (speaker, role, topic, number, text) in enumerate(remarks, start=1):
        built.append(
            Remark(
                id=f"{name}#{ordinal}",
                ordinal=ordinal,
                text=text,
                topic=topic,
                topic_number=number,
                speaker=speaker,
                role=role,
                pages=(1, 2) if ordinal % 2 else (2,),
                start=offset,
                end=offset + len(text),
            )
        )
        text_parts.append(text)
        offset += len(text) + 1
    topics = tuple(dict.fromkeys((n, t) for _, _, t, n, _ in remarks if t is not None))
    raw = "\n".join(text_parts)
    return ParsedDocument(
        document=name,
        source=f"/tmp/{name}.txt",
        sha256=hashlib.sha256(raw.encode()).hexdigest(),
        meeting=Meeting(
            title=title,
            body=body,
            session=session,
            date=date,
            start_time="10:00",
            end_time="12:00",
            place="オンライン",
            attendees=(Attendee("青木", "大学", "教授"), Attendee("佐藤")),
        ),
        topics=tuple(Topic(number=n, title=t) for n, t in topics),
        remarks=tuple(built),
        text=raw,
    )


def chunks_of(doc: ParsedDocument, size: int = 400) -> list[Chunk]:
    return [c for r in doc.remarks for c in chunk_remark(r, size=size, overlap=min(60, size // 4))]


def writer_doc(i: int, version: int) -> ParsedDocument:
    """Document number ``i`` of the crash writer: 1 + i % 4 remarks, each split into 3 chunks."""
    long = "。".join(f"第{i}文書の発言{j}について検討した" for j in range(12)) + "。"
    remarks = [("委員" + str(j), "委員", "論点", j, f"v{version}:{j}:{long}") for j in range(1 + i % 4)]
    return make_doc(f"doc_{i:05d}", remarks=remarks, version=f"v{version}")


def run_writer(index_dir: Path, log_path: Path, dim: int = 32) -> None:
    """Endless upsert/replace/delete loop for the crash test (never returns)."""
    from index.store import IndexStore

    sys.stdout.write("ready\n")
    sys.stdout.flush()
    store = IndexStore(index_dir, model_id=MODEL_ID, fingerprint=FINGERPRINT, dim=dim, save_interval_s=0.0)
    rng = np.random.default_rng(len(store.documents()))
    with open(log_path, "a", encoding="utf-8") as log:
        i = len(store.documents()) + store.generation
        while True:
            i += 1
            action = rng.random()
            existing = [d["document"] for d in store.documents()]
            if action < 0.15 and existing:
                store.delete(existing[int(rng.integers(len(existing)))])
            else:
                number = int(rng.integers(max(1, i // 2))) if action < 0.35 else i
                doc = writer_doc(number, version=i)
                chunks = chunks_of(doc, size=120)
                store.upsert(doc, chunks, embed([c.text for c in chunks], dim))
            log.write(f"{store.generation}\n")
            log.flush()


if __name__ == "__main__":
    run_writer(Path(sys.argv[1]), Path(sys.argv[2]))
