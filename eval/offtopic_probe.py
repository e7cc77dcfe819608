"""Off-topic probe: fresh phrasings of the four topics the bundled samples never discuss, through the service.

`eval/datasets/samples/offtopic_probe.jsonl` holds 16 questions (quantum technology, nuclear restarts, fisheries,
tourism budgets; 8 Japanese, 8 English), written after the last fit and never tuned on. Every one should come back
`answerable: false`. The script indexes the samples in a temporary folder and prints each question's outcome and the
count per language; it changes nothing. Run: `python -m eval.offtopic_probe`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = ROOT / "eval" / "datasets" / "samples" / "offtopic_probe.jsonl"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", type=Path, default=PROBE)
    args = ap.parse_args(argv)
    from rag.service import RagService
    from rag.settings import Settings

    rows = [json.loads(line) for line in args.questions.read_text("utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        svc = RagService(Settings(index_dir=Path(tmp), ingest_samples_on_start=False))
        report = svc.ingest(sorted((ROOT / "rag" / "samples").glob("*.txt")))
        if report.failed:
            raise SystemExit(f"could not index the samples: {report.failed}")
        abstained: dict[str, list[int]] = {}
        for row in rows:
            result = svc.search(str(row["question"]), k=5)
            top = result.hits[0].confidence if result.hits else 0.0
            cell = abstained.setdefault(str(row["lang"]), [0, 0])
            cell[0] += 1
            cell[1] += int(not result.answerable)
            outcome = "answered" if result.answerable else "abstained"
            sys.stdout.write(f"{row['qid']}\t{outcome}\t{top:.3f}\t{row['question']}\n")
    for lang, (n, held) in sorted(abstained.items()):
        sys.stdout.write(f"{lang}: {held} of {n} abstained\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
