from __future__ import annotations

import os
from pathlib import Path

import pytest
from milvus_server import milvus_server, milvus_store  # noqa: F401  (fixtures of the Milvus store tests)

# Nothing in the suite may reach a model hub: fail loudly instead of downloading.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RAG_SHARED_DIR", ROOT.parent / "shared"))
SEED_TXT = SHARED / "seeds" / "000_1e1e3ba0d71176a4.txt"
SEED_PDF = SHARED / "seeds" / "000_1e1e3ba0d71176a4.pdf"


def _require(path: Path) -> Path:
    # Fail, never skip: CI must not pass silently without the shared material.
    if not path.exists():
        pytest.fail(f"{path} is missing: tests read the seed minutes and datasets from ../shared")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return _require(SHARED)


@pytest.fixture(scope="session")
def seed_txt() -> Path:
    return _require(SEED_TXT)


@pytest.fixture(scope="session")
def seed_pdf() -> Path:
    return _require(SEED_PDF)
