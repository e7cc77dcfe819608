"""Render a Parla-CLARIN TEI 議事録 (e.g. ../shared/real/*.tei.xml) to the text form rag.parse reads.

    python tools/render_tei_minutes.py IN.tei.xml OUT.txt

A thin wrapper over eval/tei.py (``render``). The output is written where you say (a temp folder for tests and
evaluations): nothing from the TEI is kept in the repository. Also prints ``u-id<TAB>first characters`` per
remark so evaluations can map labels.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eval.tei import render  # noqa: E402

__all__ = ["render", "main"]


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        sys.stderr.write(__doc__ or "")
        return 2
    text, remarks = render(Path(argv[1]))
    Path(argv[2]).write_text(text, encoding="utf-8")
    for uid, body in remarks:
        sys.stdout.write(f"{uid}\t{body[:30]}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
