"""Synthetic 議事要旨 files for the scale benchmark, built from real Japanese sentences.

The sentences come from the shared datasets, read by path (JSQuAD paragraphs split at 。, NTREX-128 ja
lines); the questions are JSQuAD's. Each file is one meeting: a title, date, attendees, topics 《論点…》
and ``remarks_per_file`` ○ remarks of one to three sentences. Everything is drawn from a seeded
``random.Random``, so the same arguments give the same files.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

BODIES = ("産業構造", "地域交通", "防災", "デジタル行政", "科学技術", "医療提供体制", "観光振興", "脱炭素")
NAMES = ("青山 一郎", "石田 花子", "上野 健", "江口 美咲", "大野 誠", "加藤 由美", "木村 拓也", "小林 恵")
_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
_SENTENCE_END = re.compile(r"(?<=。)")


@dataclass
class Pool:
    sentences: list[str]
    questions: list[str]


@dataclass
class Corpus:
    folder: Path
    files: list[Path] = field(default_factory=list)
    remarks: int = 0
    texts: list[str] = field(default_factory=list)  # the remark texts, in file order


def load_pool(shared: Path, *, min_chars: int = 12, max_chars: int = 160) -> Pool:
    """Japanese sentences and questions from ``shared/datasets`` (JSQuAD valid + NTREX-128 ja)."""
    datasets = Path(shared) / "datasets"
    data = json.loads((datasets / "jsquad-valid-v1.1.json").read_text(encoding="utf-8"))
    sentences: list[str] = []
    questions: list[str] = []
    seen: set[str] = set()

    def keep(s: str) -> None:
        s = s.strip()
        if min_chars <= len(s) <= max_chars and s not in seen:
            seen.add(s)
            sentences.append(s)

    for article in data["data"]:
        for para in article["paragraphs"]:
            context = para["context"].split("[SEP]", 1)[-1]
            for s in _SENTENCE_END.split(context):
                keep(s)
            questions.extend(q["question"].strip() for q in para.get("qas", []))
    for line in (datasets / "ntrex128-newstest2019.ja.txt").read_text(encoding="utf-8").splitlines():
        keep(line)
    return Pool(sentences=sentences, questions=list(dict.fromkeys(q for q in questions if q)))


def _wide(n: int) -> str:
    return str(n).translate(_DIGITS)


def render_minutes(number: int, remarks: list[str], rng: random.Random, *, topics: int = 5) -> str:
    """One meeting's 議事要旨 text with ``remarks`` as ○ remarks spread over ``topics`` 論点."""
    body = BODIES[number % len(BODIES)]
    session = number // len(BODIES) + 1
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    lines = [
        f"{body}に関する検討会合（第{_wide(session)}回）議事要旨",
        "",
        f"１．開催日時：令和６年{_wide(month)}月{_wide(day)}日（月）１０時００分～１２時００分",
        "２．場所：オンライン",
        "３．出席者：",
        *rng.sample(NAMES, 4),
        "４．議事概要",
    ]
    per_topic = max(1, -(-len(remarks) // topics))
    circled = "①②③④⑤⑥⑦⑧⑨⑩"
    for t in range(0, len(remarks), per_topic):
        mark = circled[(t // per_topic) % len(circled)]
        lines.append(f"《論点{mark} {body}の課題{_wide(t // per_topic + 1)}について》")
        lines.extend(f"○ {r}" for r in remarks[t : t + per_topic])
    lines.append("以上")
    return "\n".join(lines) + "\n"


def draw_remarks(pool: Pool, n: int, rng: random.Random) -> list[str]:
    """``n`` remarks of one to three pool sentences each."""
    picks = pool.sentences
    return ["".join(rng.choice(picks) for _ in range(rng.randint(1, 3))) for _ in range(n)]


def build_corpus(
    folder: Path, pool: Pool, remarks: int, *, per_file: int = 50, seed: int = 0, keep_texts: bool = True
) -> Corpus:
    """Write ``ceil(remarks / per_file)`` minutes files ``minutes_00000.txt``… into ``folder``."""
    if remarks < 1 or per_file < 1:
        raise ValueError("--remarks and --per-file must be at least 1")
    if not pool.sentences:
        raise ValueError("the sentence pool is empty: check the shared datasets")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    corpus = Corpus(folder=folder)
    number = 0
    while corpus.remarks < remarks:
        texts = draw_remarks(pool, min(per_file, remarks - corpus.remarks), rng)
        path = folder / f"minutes_{number:05d}.txt"
        path.write_text(render_minutes(number, texts, rng), encoding="utf-8")
        corpus.files.append(path)
        corpus.remarks += len(texts)
        if keep_texts:
            corpus.texts.extend(texts)
        number += 1
    return corpus
