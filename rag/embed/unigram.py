"""A small Unigram (Viterbi) tokenizer for short texts: the bundled tokenizer.json's ids, fast to load.

``tokenizers.Tokenizer.from_file`` spends about a second building its 250,000-piece model, which is most
of a cold CLI search. For a question this module gives the same ids (tested against the ``tokenizers``
tokenizer on the seed remarks and questions) from a pickled ``{piece: (id, score)}`` written once next to
the ONNX export: the normalizer (a per-code-point map, then runs of spaces collapsed) as ``str.translate``
plus a regex, the Metaspace pre-tokenizer (``▁`` for spaces and in front), then the Viterbi search of
``tokenizers``' Unigram model with its tie-breaking (a later path wins only when strictly better), its
unknown-piece score (lowest score − 10) and its fusing of adjacent unknown pieces, then ``<s> … </s>``
and truncation to the model's 512 positions.
"""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path
from typing import Any

_UNK_PENALTY = 10.0
_SPACES = re.compile(" {2,}")


class UnigramTokenizer:
    def __init__(self, state: dict[str, Any]) -> None:
        self.pieces: dict[str, tuple[int, float]] = state["pieces"]
        self.table: dict[int, str] = state["table"]
        self.max_len = int(state["max_len"])
        self.unk_id, self.bos_id, self.eos_id = int(state["unk"]), int(state["bos"]), int(state["eos"])
        self.unk_score = float(state["unk_score"])
        self.max_tokens = int(state["max_tokens"])

    @classmethod
    def from_tokenizer_json(cls, path: Path, *, max_tokens: int = 512) -> UnigramTokenizer:
        """Read the parts of a ``tokenizer.json`` of the materialized model; ValueError if it has another shape."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        model, pre = data["model"], data["pre_tokenizer"]
        if model.get("type") != "Unigram" or model.get("byte_fallback"):
            raise ValueError("not a Unigram model without byte fallback")
        if pre != {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": False}:
            raise ValueError(f"unexpected pre-tokenizer {pre}")
        steps = data["normalizer"]["normalizers"]
        table: dict[int, str] = {}
        for step in steps[:-1]:
            source = step["pattern"].get("String")
            if step["type"] != "Replace" or source is None or len(source) != 1:
                raise ValueError(f"unexpected normalizer step {step}")
            table[ord(source)] = step["content"]
        if steps[-1] != {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}:
            raise ValueError(f"unexpected last normalizer step {steps[-1]}")
        vocab = model["vocab"]
        pieces: dict[str, tuple[int, float]] = {}
        for i, (piece, score) in enumerate(vocab):
            pieces.setdefault(piece, (i, float(score)))
        ids = {t["content"]: t["id"] for t in data["added_tokens"]}
        return cls({
            "pieces": pieces, "table": table, "max_len": max(len(p) for p in pieces),
            "unk": model["unk_id"], "bos": ids["<s>"], "eos": ids["</s>"],
            "unk_score": min(s for _, s in pieces.values()) - _UNK_PENALTY, "max_tokens": max_tokens,
        })

    def save(self, path: Path) -> None:
        state = {"pieces": self.pieces, "table": self.table, "max_len": self.max_len, "unk": self.unk_id,
                 "bos": self.bos_id, "eos": self.eos_id, "unk_score": self.unk_score, "max_tokens": self.max_tokens}
        Path(path).write_bytes(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))

    @classmethod
    def load(cls, path: Path) -> UnigramTokenizer:
        # our own file, written by save() into the model cache next to the ONNX export
        return cls(pickle.loads(Path(path).read_bytes()))  # noqa: S301

    def normalize(self, text: str) -> str:
        out = _SPACES.sub(" ", text.translate(self.table)).replace(" ", "▁")
        return out if out.startswith("▁") else "▁" + out

    def encode(self, text: str) -> list[int]:
        """The ids of ``<s> text </s>`` (truncated to ``max_tokens``)."""
        s = self.normalize(text)
        n = len(s)
        best: list[tuple[float, int, int] | None] = [None] * (n + 1)  # (score, start, id) of the best path to i
        best[0] = (0.0, -1, -1)
        pieces, max_len, unk_id, unk_score = self.pieces, self.max_len, self.unk_id, self.unk_score
        for start in range(n):
            here = best[start]
            if here is None:
                continue
            base = here[0]
            single = False
            for end in range(start + 1, min(n, start + max_len) + 1):
                hit = pieces.get(s[start:end])
                if hit is None:
                    continue
                if end == start + 1:
                    single = True
                cand = base + hit[1]
                old = best[end]
                if old is None or cand > old[0]:
                    best[end] = (cand, start, hit[0])
            if not single:
                cand = base + unk_score
                old = best[start + 1]
                if old is None or cand > old[0]:
                    best[start + 1] = (cand, start, unk_id)
        out: list[int] = []
        pos = n
        while pos > 0:
            node = best[pos]
            if node is None:  # pragma: no cover - every position is reachable through unknown pieces
                raise ValueError("no tokenization")
            if not (node[2] == unk_id and out and out[-1] == unk_id):  # fuse adjacent unknowns
                out.append(node[2])
            pos = node[1]
        out.reverse()
        return [self.bos_id, *out[: self.max_tokens - 2], self.eos_id]
