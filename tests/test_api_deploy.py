"""Dockerfile and docker-compose.yml: structure, and the healthcheck command works against a real server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from api_server import make_settings, serve

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_compose_structure() -> None:
    api = COMPOSE["services"]["api"]
    assert api["build"] == {"context": ".", "dockerfile": "Dockerfile"}
    assert api["ports"] == ["8000:8000"]
    assert api["environment"]["RAG_API_KEY"] == "${RAG_API_KEY:?set RAG_API_KEY}"
    assert api["environment"]["RAG_INDEX_DIR"] == "/data/index"
    assert api["volumes"] == ["index-data:/data"] and "index-data" in COMPOSE["volumes"]
    test = api["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"] and "http://127.0.0.1:8000/health" in test[3]


def test_dockerfile_steps() -> None:
    lines = [ln.strip() for ln in DOCKERFILE.splitlines()]
    assert lines[[i for i, ln in enumerate(lines) if ln.startswith("FROM")][0]] == "FROM python:3.11-slim"
    torch = DOCKERFILE.index("--index-url https://download.pytorch.org/whl/cpu")
    project = DOCKERFILE.index("RUN pip install .")
    warm = DOCKERFILE.index("RUN rag model materialize")
    assert torch < project < warm
    assert 'CMD ["rag", "serve"]' in DOCKERFILE and "EXPOSE 8000" in DOCKERFILE
    assert "RAG_HOST=0.0.0.0" in DOCKERFILE and "HEALTHCHECK" in DOCKERFILE
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "data", "tests", ".env"} <= set(ignored)


def test_healthcheck_command_passes_against_a_running_server(tmp_path: Path) -> None:
    snippet = COMPOSE["services"]["api"]["healthcheck"]["test"][3]
    with serve(make_settings(tmp_path / "index"), wait_ready=False) as base:
        ok = subprocess.run([sys.executable, "-c", snippet.replace("http://127.0.0.1:8000", base)], timeout=30)
    assert ok.returncode == 0
    down = subprocess.run([sys.executable, "-c", snippet.replace("8000", "9")], capture_output=True, timeout=30)
    assert down.returncode != 0
