"""eval/load_search.py: loopback-only guard, percentiles, and a short real run (errors → exit 1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_server import SAMPLES, make_settings, serve

from eval.load_search import check_loopback, main, percentile


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:1/", "http://[::1]:8000", "https://127.0.0.9"])
def test_loopback_urls_are_accepted(url: str) -> None:
    assert check_loopback(url) == url.rstrip("/")


@pytest.mark.parametrize(
    "url", ["http://example.com", "http://10.0.0.5:8000", "http://0.0.0.0:8000", "ftp://127.0.0.1", "127.0.0.1:8000"]
)
def test_other_hosts_are_refused(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="refusing|not an http"):
        check_loopback(url)
    assert main(["--url", url, "--duration", "1"]) == 2
    assert "error:" in capsys.readouterr().err


def test_bounds_are_enforced() -> None:
    assert main(["--clients", "0", "--duration", "1"]) == 2
    assert main(["--clients", "1000", "--duration", "1"]) == 2
    assert main(["--duration", "0"]) == 2


def test_percentile_nearest_rank() -> None:
    data = [float(x) for x in range(1, 101)]
    assert (percentile(data, 50), percentile(data, 95), percentile(data, 99), percentile(data, 100)) == (50, 95, 99, 100)
    assert percentile([7.0], 99) == 7.0 and percentile([], 50) == 0.0


def test_short_run_against_a_real_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "load.json"
    settings = make_settings(tmp_path / "index", ingest_samples_on_start=True)
    with serve(settings) as base:
        assert main(["--url", base, "--clients", "3", "--duration", "1.5", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "errors=0 (none)" in text and "p95=" in text
    assert out.read_text(encoding="utf-8").count('"errors": 0') == 1
    assert len(SAMPLES) == 3


def test_errors_make_it_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path / "index", read_requires_key=True)
    with serve(settings) as base:
        assert main(["--url", base, "--clients", "2", "--duration", "0.5"]) == 1
    assert "HTTP 401" in capsys.readouterr().out
