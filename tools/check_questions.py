"""Check minutes-native question sets (eval/datasets/*/questions.jsonl) before they are used.

    python tools/check_questions.py [DATASET_DIR ...] [--show] [--no-copy-check]

With no folder, checks every folder under eval/datasets/ that has a questions.jsonl. For each set it
fails (exit 1) when:

* a question shares a run of 8 or more characters (whitespace ignored, case folded) with its minutes
  (questions are written in the analyst's own words, never copied);
* a gold ``(document, ordinal)`` does not exist in the minutes as rag's parser numbers them;
* the record is malformed: duplicate qid, unknown lang / type / split, an unanswerable question with gold,
  an answerable one without, a single-remark type (paraphrase, cross-lingual) without exactly one grade-2
  remark, a multi-answer question with fewer than two remarks;
* dataset.yaml says ``split_rule: stratified-5`` and a question's split is not the rule's (within each
  (lang, type) group, in qid order, 0-based positions 1 and 3 of every 5 are ``dev``, the rest ``test``);
* dataset.yaml lists ``test_only_topics`` (the blind off-topic checks, each a list of words in either
  language) and a word of one appears outside the unanswerable test questions, or a topic is not asked as
  an unanswerable test question in both languages.

``--show`` prints, per question, each gold remark's first 30 characters for review. The last lines are the
counts per lang × type × split.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eval.dataset import load_minutes_set  # noqa: E402
from rag.parse import parse_file  # noqa: E402

RUN = 8
LANGS = {"ja", "en"}
TYPES = {"paraphrase", "cross-lingual", "multi-answer", "unanswerable", "metadata"}
SPLITS = {"dev", "test", "holdout"}
SINGLE = {"paraphrase", "cross-lingual"}


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def shared_run(question: str, minutes: str, n: int = RUN) -> str | None:
    """The first run of ``n`` characters of the question (whitespace ignored) found in ``minutes``."""
    q = _norm(question)
    for i in range(len(q) - n + 1):
        if q[i : i + n] in minutes:
            return q[i : i + n]
    return None


def expected_splits(rows: list[dict[str, Any]]) -> dict[str, str]:
    """The stratified-5 rule: per (lang, type), in qid order, positions p % 5 in {1, 3} are dev."""
    groups: dict[tuple[str, str], list[str]] = {}
    for r in sorted(rows, key=lambda r: r["qid"]):
        groups.setdefault((r["lang"], r["type"]), []).append(r["qid"])
    return {qid: ("dev" if p % 5 in (1, 3) else "test") for qids in groups.values() for p, qid in enumerate(qids)}


def check_set(directory: Path, *, show: bool, copy_check: bool) -> tuple[list[str], Counter[tuple[str, str, str]]]:
    errors: list[str] = []
    meta: dict[str, Any] = yaml.safe_load((directory / "dataset.yaml").read_text(encoding="utf-8")) or {}
    ds = load_minutes_set(directory)
    texts = {p.stem: p.read_text(encoding="utf-8") for p in ds.minutes}
    remarks = {p.stem: [r.text for r in parse_file(p).remarks] for p in ds.minutes}
    whole = _norm("\n".join(texts.values()))
    rows = [json.loads(line) for line in (directory / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    counts: Counter[tuple[str, str, str]] = Counter()
    seen: set[str] = set()
    rule = expected_splits(rows) if meta.get("split_rule") == "stratified-5" else {}
    for r in rows:
        qid, q, lang, typ, split, gold = (r.get(k) for k in ("qid", "question", "lang", "type", "split", "gold"))
        where = f"{directory.name}:{qid}"
        if qid in seen:
            errors.append(f"{where}: duplicate qid")
        seen.add(str(qid))
        if lang not in LANGS or typ not in TYPES or split not in SPLITS or not isinstance(gold, list):
            errors.append(f"{where}: lang/type/split/gold malformed ({lang}, {typ}, {split})")
            continue
        counts[(lang, typ, split)] += 1
        if rule and rule.get(qid) != split:
            errors.append(f"{where}: split {split!r}, but the stratified-5 rule says {rule.get(qid)!r}")
        if copy_check:
            run = shared_run(str(q), whole)
            if run:
                errors.append(f"{where}: shares {run!r} ({RUN}+ characters) with the minutes; reword it")
        grades = [int(g.get("grade", 1)) for g in gold]
        if typ == "unanswerable" and gold:
            errors.append(f"{where}: unanswerable but has gold")
        if typ not in ("unanswerable", "metadata") and not gold:
            errors.append(f"{where}: {typ} without gold")
        if typ in SINGLE and grades.count(2) != 1:
            errors.append(f"{where}: {typ} needs exactly one grade-2 remark, has {grades}")
        if typ == "multi-answer" and len(gold) < 2:
            errors.append(f"{where}: multi-answer with {len(gold)} remark(s)")
        if show:
            sys.stdout.write(f"{qid} [{typ}/{split}] {q}\n")
        for g in gold:
            doc, ordinal = str(g.get("document")), int(g.get("ordinal", 0))
            if doc not in remarks:
                errors.append(f"{where}: document {doc!r} is not among the minutes {sorted(remarks)}")
            elif not 1 <= ordinal <= len(remarks[doc]):
                errors.append(f"{where}: {doc}#{ordinal} does not exist ({len(remarks[doc])} remarks)")
            elif show:
                sys.stdout.write(f"    {g.get('grade')} {doc}#{ordinal}: {remarks[doc][ordinal - 1][:30]}\n")
    topics = [[str(t) for t in group] for group in meta.get("test_only_topics") or []]
    for term in (t for group in topics for t in group):
        hits = [r for r in rows if term.casefold() in str(r.get("question", "")).casefold()]
        if any(r.get("split") != "test" or r.get("type") != "unanswerable" for r in hits):
            errors.append(f"{directory.name}: test-only term {term!r} appears outside the unanswerable test questions")
    for lang in sorted(LANGS):
        for group in topics:
            if not any(
                r["lang"] == lang and r["type"] == "unanswerable" and r["split"] == "test"
                and any(t.casefold() in r["question"].casefold() for t in group)
                for r in rows
            ):
                errors.append(f"{directory.name}: no {lang} unanswerable test question about {group}")
    return errors, counts


def _table(counts: Counter[tuple[str, str, str]]) -> str:
    types = [t for t in ("paraphrase", "cross-lingual", "multi-answer", "unanswerable", "metadata") if any(k[1] == t for k in counts)]
    lines = ["| lang | split | " + " | ".join(types) + " | total |", "|---|---|" + "---:|" * (len(types) + 1)]
    for lang in ("ja", "en"):
        for split in ("dev", "test", "holdout"):
            row = [counts.get((lang, t, split), 0) for t in types]
            if sum(row):
                lines.append(f"| {lang} | {split} | " + " | ".join(str(n) for n in row) + f" | {sum(row)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("datasets", nargs="*", type=Path)
    ap.add_argument("--show", action="store_true", help="print each gold remark's first 30 characters")
    ap.add_argument("--no-copy-check", action="store_true", help="skip the 8-character overlap check")
    args = ap.parse_args(argv)
    folders = args.datasets or sorted(p.parent for p in (ROOT / "eval" / "datasets").glob("*/questions.jsonl"))
    failed = 0
    for folder in folders:
        errors, counts = check_set(folder, show=args.show, copy_check=not args.no_copy_check)
        total = sum(counts.values())
        status = "ok" if not errors else f"{len(errors)} problem(s)"
        sys.stdout.write(f"\n== {folder.name}: {total} questions, {status}\n")
        for e in errors:
            sys.stdout.write(f"  FAIL {e}\n")
        sys.stdout.write(_table(counts) + "\n")
        failed += bool(errors)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
