"""Materialization is guarded by a lock and published atomically (the real work is stubbed here)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from rag.embed import bundled


def test_concurrent_callers_materialize_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []

    def fake_materialize(src: Path, target: Path, digest: str) -> None:
        calls.append(target)
        time.sleep(0.3)  # long enough for the other caller to hit the lock
        target.mkdir()
        (target / bundled._MARKER).write_text("{}")

    monkeypatch.setattr(bundled, "_materialize", fake_materialize)
    results: list[tuple[Path, str]] = []
    threads = [
        threading.Thread(target=lambda: results.append(bundled.ensure_materialized(tmp_path)))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len(results) == 2 and results[0] == results[1]
    target, digest = results[0]
    assert target.parent == tmp_path and target.name.startswith("multilingual-e5-small-" + digest[:16])


def test_unmarked_directory_is_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target, _ = bundled.materialized_dir(tmp_path)
    target.mkdir(parents=True)  # e.g. left over by a crash before the marker was written
    calls: list[Path] = []
    monkeypatch.setattr(bundled, "_materialize", lambda src, tgt, dg: calls.append(tgt))
    bundled.ensure_materialized(tmp_path)
    assert calls == [target]
