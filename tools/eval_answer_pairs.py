"""Does the answer-pair step (Settings.answer_pairs) help? Recall@5 and MRR@10 of the answering remark for
questions about a response, with the step off and on, over the real 議事録 rendered from ../shared/real.

    python tools/eval_answer_pairs.py [--split dev|test] [--model bundled:multilingual-e5-small]

Prints the figures; the question set (tools/answer_pairs_questions.json) was written before any run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from render_tei_minutes import render  # noqa: E402

from rag.service import RagService  # noqa: E402
from rag.settings import DEFAULT_MODEL, Settings  # noqa: E402

TEI = ROOT.parent / "shared" / "real" / "env_chuokankyo_sogoseisaku_113_gijiroku.tei.xml"
DOC = "env_sogoseisaku_113"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="dev", choices=["dev", "test", "both"])
    ap.add_argument("--model", default=DEFAULT_MODEL)
    args = ap.parse_args()
    questions = json.loads((ROOT / "tools" / "answer_pairs_questions.json").read_text(encoding="utf-8"))
    splits = ["dev", "test"] if args.split == "both" else [args.split]
    with tempfile.TemporaryDirectory() as tmp:
        text, remarks = render(TEI)
        path = Path(tmp) / f"{DOC}.txt"
        path.write_text(text, encoding="utf-8")
        ordinal = {uid: n for n, (uid, _) in enumerate(remarks, 1)}
        base = Settings(model=args.model, index_dir=Path(tmp) / "index", ingest_samples_on_start=False)
        off = RagService(base)
        report = off.ingest([path])
        if report.failed:
            raise SystemExit(f"ingest failed: {report.failed}")
        on = RagService(base.model_copy(update={"answer_pairs": True}))
        on._embedder, on._store = off.embedder, off.store()  # same loaded model and index
        for split in splits:
            for name, svc in (("off", off), ("on", on)):
                recall, rr = 0.0, 0.0
                for item in questions[split]:
                    wanted = {f"{DOC}#{ordinal[u]}" for u in item["relevant"]}
                    hits = [h.remark_id for h in svc.search(item["question"], k=10).hits]
                    recall += float(bool(wanted & set(hits[:5])))
                    rank = next((i for i, h in enumerate(hits, 1) if h in wanted), None)
                    rr += 1.0 / rank if rank else 0.0
                n = len(questions[split])
                line = f"{split} answer_pairs={name}: recall@5 {recall / n:.3f}  MRR@10 {rr / n:.3f}  (n={n})"
                sys.stdout.write(line + "\n")
                sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
