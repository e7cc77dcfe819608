"""`rag --help`, `rag parse` and importing rag.cli load nothing heavy (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "sentence_transformers", "transformers", "faiss", "bm25s", "sudachipy", "matplotlib",
         "ranx", "langchain_core", "langchain_community", "fastapi", "onnxruntime", "numba")

_PROBE = """
import json, runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_module("rag.cli", run_name="__main__") if len(sys.argv) > 1 else __import__("rag.cli")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


def loaded_modules(*args: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE.format(heavy=HEAVY), "rag", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    return list(json.loads(proc.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("args", [(), ("--help",), ("search", "--help"), ("index", "--help")])
def test_help_and_import_are_light(args: tuple[str, ...]) -> None:
    assert loaded_modules(*args) == []


def test_parse_is_light(seed_txt: Path) -> None:
    assert loaded_modules("parse", str(seed_txt)) == []
