"""A real `milvus-lite server` for the Milvus store tests: one process per test session, on a free port
(started and stopped by `eval.milvus_lite.lite_server`, the scripts' launcher)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import pytest


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL (http://127.0.0.1:PORT) of a Milvus Lite gRPC server, stopped at the end of the session."""
    try:
        import milvus_lite  # noqa: F401
        import pymilvus  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"milvus-lite / pymilvus are not installed ({exc}); pip install 'minutes-rag[milvus]'")
    from eval.milvus_lite import lite_server

    with ExitStack() as stack:
        try:
            url = stack.enter_context(lite_server(tmp_path_factory.mktemp("milvus-data")))
        except RuntimeError as exc:  # exited or never ready: the message holds the server's log tail
            pytest.fail(str(exc))
        yield url


@pytest.fixture
def milvus_store(milvus_server: str) -> str:
    """A RAG_STORE value of a fresh, empty index on the session's server (its own collection prefix)."""
    return f"{milvus_server}?prefix=t{uuid.uuid4().hex[:12]}"
