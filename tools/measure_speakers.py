"""Speaker accuracy of the parser on the TEI-rendered fixtures: python tools/measure_speakers.py [OUT_DIR]."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_parse_fixtures import write_tei_fixtures  # noqa: E402

from rag.parse import parse_file  # noqa: E402


def score(path: Path, expected: list[dict[str, str]]) -> tuple[int, int, int, list[str]]:
    """(remarks, labels, right speaker+role, mismatches) of one fixture."""
    doc = parse_file(path)
    right, misses = 0, []
    for remark, want in zip(doc.remarks, expected, strict=False):
        got = (remark.speaker, remark.role)
        if got == (want["speaker"], want["role"]) and not remark.text.startswith(want["label"]):
            right += 1
        else:
            misses.append(f"{remark.ordinal}: {want['label']} → {got} {remark.text[:20]!r}")
    return len(doc.remarks), len(expected), right, misses


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    files = write_tei_fixtures(out)
    expected = json.loads(files["tei_truth.json"].read_text(encoding="utf-8"))
    for name in ("tei_circle.txt", "tei_circle.pdf", "tei_zero.txt", "tei_zero.pdf"):
        remarks, labels, right, misses = score(files[name], expected)
        print(f"{name}: {remarks} remarks / {labels} labels, speaker+role right {right}/{labels} = {right / labels:.1%}")  # noqa: T201
        for miss in misses[:10]:
            print("   ", miss)  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
